/**
 * The ZooKeeper client port (src/runtime/zookeeper/server.ts) on loopback: the real
 * node-zookeeper-client against the in-memory test backend, raw sockets for what a client
 * library would never send (malformed frames, pipelined requests, a client ahead of the
 * server), the four-letter words, and each wire mutant caught. Runs in a few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { ErrCode, OpCode } from '../../../src/runtime/zookeeper/constants.js';
import { JuteReader, JuteWriter } from '../../../src/runtime/zookeeper/jute.js';
import {
  readConnectResponse,
  readReplyHeader,
  writeConnectRequest,
  writeRequestHeader,
  type ConnectResponse,
} from '../../../src/runtime/zookeeper/records.js';
import { writeRequest, type ZkRequest } from '../../../src/runtime/zookeeper/requests.js';
import { readResult } from '../../../src/runtime/zookeeper/responses.js';
import {
  ZkServer,
  ZkServerOptionsError,
  type ZkServerOptions,
  type ZkWireMutant,
} from '../../../src/runtime/zookeeper/server.js';
import { MemoryBackend } from './memory-backend.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Waits for `r` to be closed, up to `ms`: true when it was. */
async function closesWithin(r: { closed: () => boolean }, ms: number): Promise<boolean> {
  return until('the close', r.closed, ms).then(
    () => true,
    () => false,
  );
}

async function serve(
  o: Partial<ZkServerOptions> = {},
): Promise<{ server: ZkServer; backend: MemoryBackend; port: number; logs: string[] }> {
  const backend = new MemoryBackend();
  const logs: string[] = [];
  const server = new ZkServer({
    backend,
    log: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
    ...o,
  });
  const { port } = await server.start();
  return { server, backend, port, logs };
}

/** A raw client socket: the packets it got back (lengths stripped) and whether it closed. */
interface Raw {
  socket: Socket;
  packets: Buffer[];
  bytes: () => Buffer;
  closed: () => boolean;
}

function raw(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let all = Buffer.alloc(0);
    let closed = false;
    const packets: Buffer[] = [];
    socket.on('data', (d: Buffer) => {
      all = Buffer.concat([all, d]);
      let at = packets.reduce((a, p) => a + 4 + p.length, 0);
      while (all.length >= at + 4 && all.length >= at + 4 + all.readInt32BE(at)) {
        const len = all.readInt32BE(at);
        packets.push(all.subarray(at + 4, at + 4 + len));
        at += 4 + len;
      }
    });
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({ socket, packets, bytes: () => all, closed: () => closed }),
    );
    socket.once('error', reject);
  });
}

function connectFrame(
  o: { lastZxidSeen?: bigint; readOnly?: boolean; sessionId?: bigint } = {},
): Buffer {
  const w = new JuteWriter();
  writeConnectRequest(w, {
    protocolVersion: 0,
    lastZxidSeen: o.lastZxidSeen ?? 0n,
    timeOut: 10000,
    sessionId: o.sessionId ?? 0n,
    passwd: Buffer.alloc(16),
    readOnly: o.readOnly,
  });
  return w.frame();
}

function requestFrame(xid: number, req: ZkRequest): Buffer {
  const w = new JuteWriter();
  writeRequestHeader(w, { xid, type: req.type });
  writeRequest(w, req);
  return w.frame();
}

/** A ping is a RequestHeader alone (xid -2, type ping). */
function pingFrame(): Buffer {
  const w = new JuteWriter();
  writeRequestHeader(w, { xid: -2, type: OpCode.ping });
  return w.frame();
}

/** A raw client past the handshake. */
async function session(port: number): Promise<Raw> {
  const r = await raw(port);
  r.socket.write(connectFrame());
  await until('connect response', () => r.packets.length === 1);
  return r;
}

type Client = ReturnType<typeof zookeeper.createClient>;

async function client(port: number): Promise<Client> {
  const c = zookeeper.createClient(`127.0.0.1:${port}`, {
    sessionTimeout: 10000,
    spinDelay: 100,
    retries: 0,
  });
  const connected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
  c.connect();
  await connected;
  return c;
}

function call<T>(f: (cb: (e: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));
}

test('the real client: create, getData, setData, exists with a watch, getChildren, multi, delete, notifications', async () => {
  const { server, port } = await serve();
  const c = await client(port);
  try {
    const { CreateMode, Event } = zookeeper;
    assert.equal(
      await call<string>((cb) => c.create('/app', Buffer.from('v0'), CreateMode.PERSISTENT, cb)),
      '/app',
    );
    const seq = await call<string>((cb) =>
      c.create('/app/lock-', Buffer.alloc(0), CreateMode.EPHEMERAL_SEQUENTIAL, cb),
    );
    assert.equal(seq, '/app/lock-0000000000');
    await assert.rejects(
      call((cb) => c.create('/app', Buffer.alloc(0), CreateMode.PERSISTENT, cb)),
      (e: { code: number }) => e.code === ErrCode.nodeExists,
    );

    const events: string[] = [];
    const [data, stat] = await new Promise<[Buffer, { version: number }]>((resolve, reject) =>
      c.getData(
        '/app',
        (e) => events.push(`data ${e.getType()} ${e.getPath()}`),
        (e, d, s) => (e ? reject(e) : resolve([d, s])),
      ),
    );
    assert.equal(data.toString(), 'v0');
    assert.equal(stat.version, 0);
    const missing = await call<unknown>((cb) =>
      c.exists('/gone', (e) => events.push(`exists ${e.getType()} ${e.getPath()}`), cb),
    );
    assert.equal(missing, null);
    const children = await new Promise<string[]>((resolve, reject) =>
      c.getChildren(
        '/app',
        (e) => events.push(`child ${e.getType()} ${e.getPath()}`),
        (e, ch) => (e ? reject(e) : resolve(ch)),
      ),
    );
    assert.deepEqual(children, ['lock-0000000000']);

    const after = await call<{ version: number }>((cb) =>
      c.setData('/app', Buffer.from('v1'), 0, cb),
    );
    assert.equal(after.version, 1);
    await assert.rejects(
      call((cb) => c.setData('/app', Buffer.from('v2'), 0, cb)),
      (e: { code: number }) => e.code === ErrCode.badVersion,
    );
    await call((cb) => c.create('/gone', Buffer.alloc(0), CreateMode.PERSISTENT, cb));
    await call<null>((cb) => c.remove('/app/lock-0000000000', -1, (e) => cb(e, null)));

    const results = await call<{ type: number }[]>((cb) =>
      c
        .transaction()
        .create('/tx', Buffer.from('t'))
        .setData('/tx', Buffer.from('u'), 0)
        .check('/tx', 1)
        .commit(cb),
    );
    assert.deepEqual(
      results.map((r) => r.type),
      [OpCode.create, OpCode.setData, OpCode.check],
    );
    await call<null>((cb) => c.remove('/tx', 1, (e) => cb(e, null)));
    await until('three notifications', () => events.length === 3);
    assert.deepEqual(events.sort(), [
      `child ${Event.NODE_CHILDREN_CHANGED} /app`,
      `data ${Event.NODE_DATA_CHANGED} /app`,
      `exists ${Event.NODE_CREATED} /gone`,
    ]);
    // One-shot: a second change fires nothing. Anchor: a watch set after it fires on the next
    // change; a notification the spent watch wrongly sent would have come first on the session.
    await call((cb) => c.setData('/app', Buffer.from('v3'), -1, cb));
    await call<unknown>((cb) =>
      c.exists('/anchor', (e) => events.push(`anchor ${e.getType()} ${e.getPath()}`), cb),
    );
    await call((cb) => c.create('/anchor', Buffer.alloc(0), CreateMode.PERSISTENT, cb));
    await until('the later watch to fire', () => events.some((e) => e.startsWith('anchor')));
    assert.equal(events.length, 4, `only the later watch fired: ${events.join('; ')}`);
  } finally {
    c.close();
    await server.close();
  }
});

test('auth: digest is accepted and recorded; another scheme gets AUTHFAILED and the connection closes', async () => {
  const { server, backend, port } = await serve();
  const ok = zookeeper.createClient(`127.0.0.1:${port}`, { retries: 0 });
  const bad = zookeeper.createClient(`127.0.0.1:${port}`, { retries: 0 });
  try {
    ok.addAuthInfo('digest', Buffer.from('alice:secret'));
    await new Promise<void>((resolve) => {
      ok.once('connected', () => resolve());
      ok.connect();
    });
    await call<string>((cb) =>
      ok.create('/a', Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT, cb),
    );
    assert.deepEqual([...backend.auths.values()].flat(), [
      // Every connection holds its client's address, as ZooKeeper's do.
      { scheme: 'ip', id: '127.0.0.1' },
      // `echo -n alice:secret | openssl sha1 -binary | base64`
      { scheme: 'digest', id: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=' },
    ]);
    ok.close();

    bad.addAuthInfo('kerberos', Buffer.from('x'));
    const failed = new Promise<void>((resolve) =>
      bad.once('authenticationFailed', () => resolve()),
    );
    bad.connect();
    await failed;
    await until('the refused connection to close', () => server.connectionCount === 0);
  } finally {
    ok.close();
    bad.close();
    await server.close();
  }
});

test('malformed frames close only their own connection; another client is still served', async () => {
  const { server, port, logs } = await serve();
  const c = await client(port);
  try {
    await call<string>((cb) =>
      c.create('/k', Buffer.from('v'), zookeeper.CreateMode.PERSISTENT, cb),
    );
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(0x7ffffff0);
    const negative = Buffer.from([0xff, 0xff, 0xff, 0x00]);
    // A getData whose path claims more bytes than the packet holds.
    const w = new JuteWriter();
    writeRequestHeader(w, { xid: 1, type: OpCode.getData });
    w.int(1000).int(0);
    const cases: [string, Buffer, boolean][] = [
      ['garbage', Buffer.from('GET / HTTP/1.1\r\n\r\n'), false],
      ['huge length', huge, false],
      ['negative length', negative, true],
      ['hostile path length', w.frame(), true],
      ['truncated header', Buffer.from([0, 0, 0, 3, 0, 0, 0]), true],
    ];
    for (const [name, bytes, afterHandshake] of cases) {
      const r = afterHandshake ? await session(port) : await raw(port);
      r.socket.write(bytes);
      await until(`${name}: the connection to close`, r.closed);
      const data = await new Promise<Buffer>((resolve, reject) =>
        c.getData('/k', undefined, (e, d) => (e ? reject(e) : resolve(d))),
      );
      assert.equal(data.toString(), 'v', name);
    }
    assert.equal(server.connectionCount, 1);
    for (const code of ['frame-too-large', 'negative-frame', 'length-past-frame', 'truncated']) {
      assert.ok(
        logs.some((l) => l.includes(`"code":"${code}"`)),
        `logged ${code}`,
      );
    }
  } finally {
    c.close();
    await server.close();
  }
});

/**
 * Whether a connection that sends a length over the maximum is closed: waited for, up to 3 s
 * (the real server closes it at once; the bound only ends the mutant's wait).
 */
async function hugeLengthClosed(mutant?: ZkWireMutant): Promise<boolean> {
  const { server, port } = await serve(mutant !== undefined ? { mutant } : {});
  const r = await session(port);
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(64 * 1024 * 1024);
  r.socket.write(huge);
  const closed = await closesWithin(r, 3000);
  r.socket.destroy();
  await server.close();
  return closed;
}

test('mutant no-packet-limit: a 64 MiB length is believed, and this test sees it', async () => {
  assert.equal(await hugeLengthClosed(), true);
  assert.equal(await hugeLengthClosed('no-packet-limit'), false);
});

/** The xids of replies to two pipelined getData, the first one slow in the backend. */
async function replyOrder(mutant?: ZkWireMutant): Promise<number[]> {
  const { server, backend, port } = await serve(mutant !== undefined ? { mutant } : {});
  backend.nodes.set('/slow', { ...backend.nodes.get('/')!, children: new Set() });
  backend.delayMs.set('/slow', 100);
  const r = await session(port);
  r.socket.write(
    Buffer.concat([
      requestFrame(1, { type: OpCode.getData, path: '/slow', watch: false }),
      requestFrame(2, { type: OpCode.exists, path: '/', watch: false }),
      pingFrame(),
    ]),
  );
  await until('three replies', () => r.packets.length === 4);
  const xids = r.packets.slice(1).map((p) => readReplyHeader(new JuteReader(p)).xid);
  r.socket.destroy();
  await server.close();
  return xids;
}

test('replies go out in request order though the backend answers out of order (mutant replies-as-ready caught)', async () => {
  assert.deepEqual(await replyOrder(), [1, 2, -2]);
  assert.notDeepEqual(await replyOrder('replies-as-ready'), [1, 2, -2]);
});

/** Whether a client that has seen zxid 0x500000000 gets a session from a server at 3. */
async function aheadServed(mutant?: ZkWireMutant): Promise<boolean> {
  const { server, backend, port } = await serve(mutant !== undefined ? { mutant } : {});
  backend.advanceZxid(3n);
  const r = await raw(port);
  r.socket.write(connectFrame({ lastZxidSeen: 0x500000000n }));
  await until('an answer or a close', () => r.packets.length > 0 || r.closed());
  const served = r.packets.length > 0;
  r.socket.destroy();
  await server.close();
  return served;
}

/**
 * Pipelines 40 slow requests on one connection with maxQueued 10: what `stat` reports queued
 * for it while they are slow, and whether all 40 replies then arrive in order.
 */
async function queuedWhilePipelining(mutant?: ZkWireMutant): Promise<number> {
  const { server, backend, port } = await serve({
    maxQueued: 10,
    ...(mutant !== undefined ? { mutant } : {}),
  });
  backend.delayMs.set('/', 150);
  const r = await session(port);
  const frames: Buffer[] = [];
  for (let xid = 1; xid <= 40; xid++)
    frames.push(requestFrame(xid, { type: OpCode.exists, path: '/', watch: false }));
  r.socket.write(Buffer.concat(frames));
  await sleep(60);
  const probe = await raw(port);
  probe.socket.write('stat');
  await until('stat', probe.closed);
  const m = /queued=(\d+),recved=\d+,sent=1\)/.exec(probe.bytes().toString('latin1'));
  assert.ok(m, 'stat lists the pipelining connection');
  await until('40 replies', () => r.packets.length === 41, 5000);
  assert.deepEqual(
    r.packets.slice(1).map((p) => readReplyHeader(new JuteReader(p)).xid),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  r.socket.destroy();
  await server.close();
  return Number(m[1]);
}

test('a pipelining connection has at most maxQueued requests outstanding (mutant unbounded-queue caught)', async () => {
  assert.equal(await queuedWhilePipelining(), 10);
  assert.equal(await queuedWhilePipelining('unbounded-queue'), 40);
});

test('a client that has seen a later zxid is refused (mutant serve-zxid-ahead caught)', async () => {
  assert.equal(await aheadServed(), false);
  assert.equal(await aheadServed('serve-zxid-ahead'), true);
});

test('handshake: readOnly echoed only to clients that sent it; a closed session is refused with timeOut 0; closeSession', async () => {
  const { server, backend, port } = await serve();
  const responses: ConnectResponse[] = [];
  for (const readOnly of [undefined, false]) {
    const r = await raw(port);
    r.socket.write(connectFrame({ readOnly }));
    await until('connect response', () => r.packets.length === 1);
    const p = r.packets[0]!;
    assert.equal(p.length, readOnly === undefined ? 36 : 37);
    responses.push(readConnectResponse(new JuteReader(p)));
    r.socket.destroy();
  }
  assert.ok(responses.every((x) => x.timeOut === 10000 && x.sessionId > 0n));

  const r = await session(port);
  const sessionId = readConnectResponse(new JuteReader(r.packets[0]!)).sessionId;
  r.socket.write(
    requestFrame(1, { type: OpCode.create, path: '/e', data: Buffer.alloc(0), acl: [], flags: 1 }),
  );
  r.socket.write(requestFrame(2, { type: OpCode.closeSession }));
  r.socket.write(requestFrame(3, { type: OpCode.sync, path: '/' }));
  await until('the connection to close after closeSession', r.closed);
  const replies = r.packets.slice(1).map((p) => new JuteReader(p));
  assert.deepEqual(
    replies.map((x) => readReplyHeader(x)).map((h) => [h.xid, h.err]),
    [
      [1, 0],
      [2, 0],
    ],
    'nothing is answered after closeSession',
  );
  assert.equal(backend.nodes.has('/e'), false, 'the ephemeral went with its session');
  assert.deepEqual(backend.submitted, [OpCode.create, OpCode.closeSession], 'nothing after it ran');

  const again = await raw(port);
  again.socket.write(connectFrame({ sessionId }));
  await until('refusal', () => again.packets.length === 1);
  assert.equal(readConnectResponse(new JuteReader(again.packets[0]!)).timeOut, 0);
  await until('the refused connection to close', again.closed);

  // An opcode the front end does not decode (whoAmI here) is answered UNIMPLEMENTED and the
  // connection stays.
  const u = await session(port);
  const w = new JuteWriter();
  writeRequestHeader(w, { xid: 7, type: OpCode.whoAmI });
  u.socket.write(w.frame());
  await until('reply', () => u.packets.length === 2);
  assert.equal(readReplyHeader(new JuteReader(u.packets[1]!)).err, ErrCode.unimplemented);
  u.socket.write(requestFrame(8, { type: OpCode.getChildren, path: '/', watch: false }));
  await until('reply', () => u.packets.length === 3);
  const rd = new JuteReader(u.packets[2]!);
  assert.deepEqual(readReplyHeader(rd).xid, 8);
  assert.deepEqual(readResult(OpCode.getChildren, rd), { kind: 'children', children: [] });
  u.socket.destroy();
  await server.close();
});

test('four-letter words on the client port: ruok, stat, mntr', async () => {
  const { server, port } = await serve();
  const c = await client(port);
  const ask = async (word: string): Promise<string> => {
    const r = await raw(port);
    r.socket.write(word);
    await until(`${word} answered and closed`, r.closed);
    return r.bytes().toString('latin1');
  };
  try {
    assert.equal(await ask('ruok'), 'imok');
    const stat = await ask('stat');
    assert.match(stat, /^Zookeeper version: 3\.8\.4-truthkit/);
    assert.match(stat, /\nClients:\n \/127\.0\.0\.1:\d+\[1\]/);
    assert.match(stat, /\nMode: standalone\nNode count: 1\n$/);
    const mntr = await ask('mntr');
    assert.match(mntr, /^zk_version\t3\.8\.4-truthkit/);
    assert.match(mntr, /\nzk_server_state\tstandalone\n/);
    assert.match(mntr, /\nzk_num_alive_connections\t2\n/);
    assert.match(mntr, /\nzk_znode_count\t1\n/);
  } finally {
    c.close();
    await server.close();
  }
});

/**
 * Whether a connection that sends nothing is closed (handshakeTimeoutMs 100): waited for, up
 * to 3 s, which only ends the mutant's wait.
 */
async function silentClosed(mutant?: ZkWireMutant): Promise<boolean> {
  const { server, port } = await serve({
    handshakeTimeoutMs: 100,
    ...(mutant !== undefined ? { mutant } : {}),
  });
  const r = await raw(port);
  const closed = await closesWithin(r, 3000);
  r.socket.destroy();
  await server.close();
  return closed;
}

test('a connection that never sends its ConnectRequest is closed (mutant no-handshake-timeout caught)', async () => {
  assert.equal(await silentClosed(), true);
  assert.equal(await silentClosed('no-handshake-timeout'), false);
});

test('options are validated with a typed error', () => {
  const backend = new MemoryBackend();
  for (const bad of [
    { maxPacket: 0 },
    { maxPacket: 1.5 },
    { maxQueued: 0 },
    { handshakeTimeoutMs: -1 },
    { mutant: 'nope' as ZkWireMutant },
  ]) {
    assert.throws(
      () => new ZkServer({ backend, ...bad }),
      (e: unknown) => e instanceof ZkServerOptionsError && e.code === 'bad-option',
    );
  }
});
