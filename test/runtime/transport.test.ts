import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import type { Json } from '../../src/core/json.js';
import type { Message, NodeId } from '../../src/core/node.js';
import { proof } from '../../src/runtime/auth.js';
import { decodeJsonFrame, encodeJsonFrame, FrameDecoder } from '../../src/runtime/frames.js';
import { PeerTransport, type Address } from '../../src/runtime/peer-transport.js';
import { freePorts } from '../../src/runtime/cluster.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');

interface Harness {
  transport: PeerTransport;
  got: { from: NodeId; msg: Message }[];
  logs: { message: string; fields: Record<string, Json> }[];
}

function make(
  id: NodeId,
  listen: Address,
  peers: [NodeId, Address][],
  extra: {
    secret?: Buffer;
    maxQueue?: number;
    maxFrame?: number;
    checkMessage?: (msg: Message) => string | undefined;
  } = {},
): Harness {
  const got: Harness['got'] = [];
  const logs: Harness['logs'] = [];
  const transport = new PeerTransport({
    id,
    listen,
    peers: new Map(peers),
    secret: extra.secret ?? SECRET,
    onMessage: (from, msg) => got.push({ from, msg }),
    log: (message, fields) => logs.push({ message, fields }),
    backoffMinMs: 10,
    backoffMaxMs: 50,
    handshakeMs: 500,
    ...(extra.maxQueue !== undefined ? { maxQueue: extra.maxQueue } : {}),
    ...(extra.maxFrame !== undefined ? { maxFrame: extra.maxFrame } : {}),
    ...(extra.checkMessage !== undefined ? { checkMessage: extra.checkMessage } : {}),
  });
  return { transport, got, logs };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a raw connection, writes `bytes`, resolves when the node closes it. */
function rawConnection(
  port: number,
  bytes: Buffer[],
): Promise<{ closed: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, received });
    }, 3000);
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
    });
    s.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received });
    });
  });
}

test('authenticated peers exchange messages in order; strangers and garbage are turned away', async (t) => {
  const [p1, p2] = await freePorts(2);
  const a1: Address = { host: '127.0.0.1', port: p1 as number };
  const a2: Address = { host: '127.0.0.1', port: p2 as number };
  const n1 = make('n1', a1, [['n2', a2]]);
  const n2 = make('n2', a2, [['n1', a1]], { maxFrame: 64 * 1024 });
  t.after(() => {
    n1.transport.close();
    n2.transport.close();
  });
  await Promise.all([n1.transport.start(), n2.transport.start()]);
  for (let i = 0; i < 200; i++) n1.transport.send('n2', { type: 'ping', i } as Message);
  await until('200 messages', () => n2.got.length === 200);
  assert.deepEqual(
    n2.got.map((g) => (g.msg as unknown as { i: number }).i),
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.ok(n2.got.every((g) => g.from === 'n1'));

  // Garbage: not a frame of JSON.
  const garbage = await rawConnection(p2 as number, [Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
  assert.ok(garbage.closed, 'garbage closes the connection');
  // A message before any handshake.
  const early = await rawConnection(p2 as number, [
    encodeJsonFrame({ type: 'append-entries', term: 99 }),
  ]);
  assert.ok(early.closed);
  // A huge length prefix.
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(1 << 30);
  assert.ok((await rawConnection(p2 as number, [huge])).closed);
  // A peer with the wrong secret: the node's challenge arrives, the forged proof is refused.
  const nonce = 'f'.repeat(32);
  const forged = await new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: p2 as number });
    const d = new FrameDecoder(4096);
    s.on('connect', () =>
      s.write(encodeJsonFrame({ t: 'hello', v: 1, from: 'n1', to: 'n2', nonce })),
    );
    s.on('data', (chunk: Buffer) => {
      for (const f of d.push(chunk)) {
        const c = decodeJsonFrame(f) as { nonce: string };
        const wrong = proof(
          Buffer.from('not-the-secret-at-all'),
          'dialer',
          'n1',
          'n2',
          nonce,
          c.nonce,
        );
        s.write(encodeJsonFrame({ t: 'auth', proof: wrong }));
        s.write(encodeJsonFrame({ type: 'forged' }));
      }
    });
    s.on('error', () => {});
    s.on('close', () => resolve(true));
  });
  assert.ok(forged);
  // A hello from a node that is not a member.
  assert.ok(
    (
      await rawConnection(p2 as number, [
        encodeJsonFrame({ t: 'hello', v: 1, from: 'n9', to: 'n2', nonce }),
      ])
    ).closed,
  );
  // An oversized frame from an authenticated peer closes that connection only.
  n1.transport.send('n2', { type: 'big', pad: 'x'.repeat(100 * 1024) } as Message);
  await until('the oversized frame to be rejected', () => n2.transport.stats.rejected >= 6);
  assert.equal(n2.transport.stats.rejected, 6);
  assert.ok(
    n2.got.every((g) => g.msg.type === 'ping'),
    'nothing forged or oversized was delivered',
  );
  const reasons = n2.logs
    .filter((l) => l.message === 'peer connection rejected')
    .map((l) => l.fields.error);
  assert.equal(reasons.length, 6);
  assert.ok(reasons.some((r) => /authentication failed/.test(String(r))));
  assert.ok(reasons.some((r) => /unknown node/.test(String(r))));
  assert.ok(reasons.some((r) => /exceeds the limit/.test(String(r))));
  // n1 reconnects and the node keeps serving.
  const last = { type: 'ping', i: 200 };
  n1.transport.send('n2', last as Message);
  last.i = -1; // encoded when sent: a later mutation by the sender changes nothing
  await until('delivery after the rejections', () => n2.got.length === 201);
  assert.equal((n2.got[200]?.msg as unknown as { i: number }).i, 200);
});

test('a peer that never reads fills only its own bounded queue', async (t) => {
  const [p1, p2, p3] = await freePorts(3);
  // n3 accepts connections and never answers: the handshake cannot complete.
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(p3, '127.0.0.1', () => r()));
  const a = (p: number | undefined): Address => ({ host: '127.0.0.1', port: p as number });
  const n1 = make(
    'n1',
    a(p1),
    [
      ['n2', a(p2)],
      ['n3', a(p3)],
    ],
    { maxQueue: 100 },
  );
  const n2 = make('n2', a(p2), [['n1', a(p1)]]);
  t.after(() => {
    n1.transport.close();
    n2.transport.close();
    silent.close();
  });
  await Promise.all([n1.transport.start(), n2.transport.start()]);
  await until('n1 to reach n2', () => n1.transport.stats.connects === 1);
  for (let i = 0; i < 1000; i++) {
    n1.transport.send('n3', { type: 'ping', i } as Message);
    n1.transport.send('n2', { type: 'ping', i } as Message);
  }
  await until('n2 to get everything', () => n2.got.length === 1000);
  assert.equal(n1.transport.queued().n3, 100);
  assert.equal(n1.transport.stats.dropped, 900);
});

test('a peer that restarts is redialed and messages flow again', async (t) => {
  const [p1, p2] = await freePorts(2);
  const a1: Address = { host: '127.0.0.1', port: p1 as number };
  const a2: Address = { host: '127.0.0.1', port: p2 as number };
  const n1 = make('n1', a1, [['n2', a2]]);
  let n2 = make('n2', a2, [['n1', a1]]);
  t.after(() => {
    n1.transport.close();
    n2.transport.close();
  });
  await Promise.all([n1.transport.start(), n2.transport.start()]);
  n1.transport.send('n2', { type: 'before' } as Message);
  await until('the first message', () => n2.got.length === 1);
  n2.transport.close(); // the peer goes away…
  await until('n1 to notice', () => n1.logs.some((l) => l.message === 'peer connection lost'));
  n1.transport.send('n2', { type: 'while-down' } as Message); // …queued meanwhile…
  await new Promise((r) => setTimeout(r, 100)); // a few failed redials
  n2 = make('n2', a2, [['n1', a1]]);
  await n2.transport.start(); // …and comes back on the same address
  await until('the queued message', () => n2.got.length === 1);
  n1.transport.send('n2', { type: 'after' } as Message);
  await until('the next message', () => n2.got.length === 2);
  assert.deepEqual(
    n2.got.map((g) => g.msg.type),
    ['while-down', 'after'],
  );
  assert.equal(n1.transport.stats.connects, 2);
});

test('a message over the frame limit is dropped by its sender, not sent to close the link', async (t) => {
  const [p1, p2] = await freePorts(2);
  const a = (p: number | undefined): Address => ({ host: '127.0.0.1', port: p as number });
  const n1 = make('n1', a(p1), [['n2', a(p2)]], { maxFrame: 4096 });
  const n2 = make('n2', a(p2), [['n1', a(p1)]], { maxFrame: 4096 });
  t.after(() => {
    n1.transport.close();
    n2.transport.close();
  });
  await Promise.all([n1.transport.start(), n2.transport.start()]);
  await until('n1 to reach n2', () => n1.transport.stats.connects === 1);
  n1.transport.send('n2', { type: 'ping', i: 0 } as Message);
  n1.transport.send('n2', { type: 'big', pad: 'x'.repeat(5000) } as Message);
  n1.transport.send('n2', { type: 'ping', i: 2 } as Message);
  await until('both small messages', () => n2.got.length === 2);
  assert.deepEqual(
    n2.got.map((g) => g.msg.type),
    ['ping', 'ping'],
  );
  assert.equal(n1.transport.stats.dropped, 1);
  assert.equal(n2.transport.stats.rejected, 0, 'the receiver never saw an oversized frame');
  assert.equal(n1.transport.stats.connects, 1, 'the link stayed up');
  const log = n1.logs.find((l) => l.message === 'message over the frame limit dropped');
  assert.ok(log !== undefined && log.fields.type === 'big', JSON.stringify(n1.logs));
});

test("an authenticated peer's malformed message is dropped and logged, and its connection closed", async (t) => {
  const [p1, p2] = await freePorts(2);
  const a1: Address = { host: '127.0.0.1', port: p1 as number };
  const a2: Address = { host: '127.0.0.1', port: p2 as number };
  const n1 = make('n1', a1, [['n2', a2]]);
  const n2 = make('n2', a2, [['n1', a1]], {
    checkMessage: (msg) =>
      Number.isSafeInteger((msg as { term?: unknown }).term) ? undefined : 'term: not a number',
  });
  t.after(() => {
    n1.transport.close();
    n2.transport.close();
  });
  await Promise.all([n1.transport.start(), n2.transport.start()]);
  n1.transport.send('n2', { type: 'vote', term: '1000000001' } as unknown as Message);
  await until('the rejection', () => n2.logs.some((l) => l.message === 'peer connection rejected'));
  const rejected = n2.logs.find((l) => l.message === 'peer connection rejected');
  assert.equal(rejected?.fields.error, 'malformed vote message: term: not a number');
  assert.equal(rejected?.fields.from, 'n1');
  assert.equal(n2.got.length, 0, 'never handed to the node');
  // The sender redials; what it sends well-formed then arrives.
  await until('n1 to notice', () => n1.logs.some((l) => l.message === 'peer connection lost'));
  n1.transport.send('n2', { type: 'vote', term: 2 } as unknown as Message);
  await until('the good message', () => n2.got.length === 1);
  assert.deepEqual(n2.got[0]?.msg, { type: 'vote', term: 2 });
});
