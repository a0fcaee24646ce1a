/**
 * A real node hands its system's schema every message a peer sends, with the cluster it was
 * started in: a Paxos ballot whose proposer index names no member is refused (the connection is
 * closed and the refusal logged), and a well-formed prepare then reaches the protocol, which
 * answers it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../src/core/json.js';
import type { Message, NodeId } from '../../src/core/node.js';
import { freePorts } from '../../src/runtime/cluster.js';
import { RuntimeNode } from '../../src/runtime/node-process.js';
import { PeerTransport, type Address } from '../../src/runtime/peer-transport.js';
import { paxosSystem } from '../../src/systems/paxos/paxos.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a paxos node refuses a peer ballot naming no member, and serves a well-formed one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-peer-schemas-'));
  const [p1, p2] = (await freePorts(2)) as [number, number];
  const a1: Address = { host: '127.0.0.1', port: p1 };
  const a2: Address = { host: '127.0.0.1', port: p2 };
  const logs: { msg: string; error?: string }[] = [];
  const node = await RuntimeNode.start({
    system: paxosSystem,
    id: 'n1',
    listen: a1,
    peers: new Map([['n2', a2]]),
    secret: SECRET,
    dataDir: join(dir, 'data'),
    logLine: (line) => logs.push(JSON.parse(line) as { msg: string; error?: string }),
  });
  // The test plays n2, with the cluster's secret: an authenticated peer.
  const got: { from: NodeId; msg: Message }[] = [];
  const peer = new PeerTransport({
    id: 'n2',
    listen: a2,
    peers: new Map([['n1', a1]]),
    secret: SECRET,
    onMessage: (from, msg) => got.push({ from, msg }),
    log: () => {},
    backoffMinMs: 10,
    backoffMaxMs: 50,
  });
  t.after(async () => {
    peer.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await peer.start();
  // Ballot 1002: round 1, proposer index 2, and a 2-node cluster has indexes 0 and 1 only.
  peer.send('n1', { type: 'prepare', instance: 'i0', ballot: 1002 } as Message);
  await until('the refusal', () => logs.some((l) => l.msg === 'peer connection rejected'));
  const refused = logs.find((l) => l.msg === 'peer connection rejected');
  assert.equal(
    refused?.error,
    'malformed prepare message: ballot: names no proposer in the cluster',
  );
  // Sent again until answered, as a proposer would: one sent while the refused connection was
  // still closing is lost with it.
  let sentAt = 0;
  await until('the promise', () => {
    if (Date.now() - sentAt > 200) {
      peer.send('n1', { type: 'prepare', instance: 'i0', ballot: 1001 } as Message);
      sentAt = Date.now();
    }
    return got.some((g) => g.msg.type === 'promise');
  });
  const promise = got.find((g) => g.msg.type === 'promise')?.msg as unknown as Record<string, Json>;
  assert.deepEqual(
    { ballot: promise.ballot, instance: promise.instance },
    { ballot: 1001, instance: 'i0' },
  );
});
