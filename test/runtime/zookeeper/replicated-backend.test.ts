/**
 * The replicated backend on one in-process zookeeper node (Zab with a quorum of one, its
 * write-ahead log in a temp dir), behind the wire front end: a pipelined write then read on one
 * connection reads the write (and the mutant `read-before-write` is caught not doing so); a
 * session is resumed only with its password (`any-passwd` caught); a silent session is expired
 * by the leader's proposal, its connection closed and another session's watch on its ephemeral
 * fired. A few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeNode } from '../../../src/runtime/node-process.js';
import { OpCode } from '../../../src/runtime/zookeeper/constants.js';
import type { ReplicatedBackendMutant } from '../../../src/runtime/zookeeper/replicated-backend.js';
import { startZkPort } from '../../../src/runtime/zookeeper/replicated-port.js';
import { ZkServer as ZkNode } from '../../../src/systems/zookeeper/zk-server.js';
import { zookeeperSystem } from '../../../src/systems/zookeeper/zookeeper.js';
import { waitFor } from '../wait-for.js';
import { RawSession } from './raw-session.js';
import { call, session, type Client } from './zk-cluster.js';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

async function oneNode(
  t: { after: (fn: () => Promise<void> | void) => void },
  mutant?: ReplicatedBackendMutant,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-zk-one-'));
  const node = await RuntimeNode.start({
    system: zookeeperSystem,
    id: 'n1',
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map(),
    dataDir: dir,
    params: { tick: '50' },
    logLine: () => {},
  });
  const server = node.host.node;
  assert.ok(server instanceof ZkNode);
  const port = startZkPort(
    server,
    {
      id: 'n1',
      secret: Buffer.alloc(32, 7),
      running: () => !node.host.isStopped,
      submit: (client, seq, op, onReply) => node.submitLocal(client, seq, op, onReply),
      guard: (fn) => node.host.guard(fn),
      log: () => {},
    },
    mutant !== undefined ? { mutant } : {},
  );
  t.after(async () => {
    port.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const address = await port.listen({ host: '127.0.0.1', port: 0 });
  await waitFor('broadcast', () => (server.zab.phase === 'broadcast' ? true : undefined));
  return address.port;
}

/** Creates and reads back 20 nodes, each read sent right behind its create: how many reads missed. */
async function pipelinedMisses(port: number): Promise<number> {
  const c: Client = await session(`127.0.0.1:${port}`);
  try {
    const reads = Array.from({ length: 20 }, (_, i) => {
      const path = `/p${i}`;
      const created = call((cb) => c.create(path, Buffer.from('v'), 0, cb));
      const read = new Promise<boolean>((resolve) =>
        c.getData(path, undefined, (e) => resolve(e === null)),
      );
      return Promise.all([created, read]).then(([, found]) => found);
    });
    return (await Promise.all(reads)).filter((found) => !found).length;
  } finally {
    c.close();
  }
}

test('a read pipelined behind a write on one connection reads it', async (t) => {
  assert.equal(await pipelinedMisses(await oneNode(t)), 0);
});

test('mutant read-before-write: the read overtakes the write', async (t) => {
  assert.ok((await pipelinedMisses(await oneNode(t, 'read-before-write'))) > 0);
});

/** Resumes a live session with a wrong password: was it let in? */
async function wrongPasswordServed(port: number): Promise<boolean> {
  const first = await RawSession.open(port);
  try {
    const passwd = Buffer.from(first.grant.passwd);
    passwd[0] = (passwd[0] ?? 0) ^ 1;
    const second = await RawSession.open(port, { sessionId: first.grant.sessionId, passwd });
    second.close();
    return true;
  } catch {
    return false;
  } finally {
    first.close();
  }
}

test('a session is resumed only with its password', async (t) => {
  const port = await oneNode(t);
  assert.equal(await wrongPasswordServed(port), false);
  const first = await RawSession.open(port);
  const again = await RawSession.open(port, {
    sessionId: first.grant.sessionId,
    passwd: first.grant.passwd,
  });
  assert.equal(again.grant.sessionId, first.grant.sessionId);
  again.close();
  first.close();
});

test('mutant any-passwd: a wrong password resumes the session', async (t) => {
  assert.equal(await wrongPasswordServed(await oneNode(t, 'any-passwd')), true);
});

test('a silent session is expired through the log: its connection closes, watchers hear', async (t) => {
  const port = await oneNode(t);
  // 200 ms asked, 100–1000 ms allowed at tick 50; the raw session never pings.
  const silent = await RawSession.open(port, { timeOut: 200 });
  const made = await silent.call({
    type: OpCode.create,
    path: '/gone',
    data: Buffer.alloc(0),
    acl: OPEN,
    flags: 1,
  });
  assert.equal(made.err, 0);
  const watcher: Client = await session(`127.0.0.1:${port}`);
  t.after(() => watcher.close());
  const deleted = new Promise<string>((resolve) =>
    watcher.exists(
      '/gone',
      (e) => resolve(`${e.name} ${e.path}`),
      () => undefined,
    ),
  );
  assert.equal(await deleted, 'NODE_DELETED /gone');
  await assert.rejects(silent.call({ type: OpCode.exists, path: '/', watch: false }));
});
