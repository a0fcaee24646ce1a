/**
 * Connection limits (src/runtime/connection-limits.ts, grpc-limits.ts) on real loopback sockets:
 * the client port and the etcd port each flooded past their caps (per port, per address), with
 * an existing client still served; idle, half-open (silent) and never-closed connections cut.
 * Timeouts here are a few hundred milliseconds; the whole file runs in a few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { cli } from '../cli/run-cli.js';
import type { Json } from '../../src/core/json.js';
import { ClientServer } from '../../src/runtime/client-server.js';
import { freePorts } from '../../src/runtime/cluster.js';
import {
  CLOSE_GRACE_MS,
  connectionLimits,
  ConnectionLimitsError,
  peerPortLimits,
  GATE_MUTANTS,
  type ConnectionLimits,
  type GateMutant,
} from '../../src/runtime/connection-limits.js';
import { RuntimeNode } from '../../src/runtime/node-process.js';
import { PeerTransport } from '../../src/runtime/peer-transport.js';
import { fakeEtcdSystem } from './etcd-fake.js';
import { GENEROUS_MS } from '../support/wait.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Logged {
  message: string;
  fields: Record<string, Json>;
}

/** A raw connection: what it received, and whether the node closed or ended it. */
interface Raw {
  socket: Socket;
  text: () => string;
  ended: () => boolean;
  closed: () => boolean;
}

function raw(port: number, localAddress = '127.0.0.1', allowHalfOpen = false): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen });
    let text = '';
    let ended = false;
    let closed = false;
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('end', () => (ended = true));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({ socket, text: () => text, ended: () => ended, closed: () => closed }),
    );
    socket.once('error', reject);
  });
}

/** A client port whose node answers every request at once, except op "hang" (never). */
async function clientPort(
  limits: Partial<ConnectionLimits>,
  mutant?: GateMutant,
): Promise<{ server: ClientServer; port: number; logs: Logged[] }> {
  const logs: Logged[] = [];
  const server: ClientServer = new ClientServer({
    listen: { host: '127.0.0.1', port: 0 },
    onRequest: (r) => {
      if (r.op !== 'hang') setImmediate(() => server.reply(r.id, { ok: true, value: r.op }));
    },
    status: () => ({ up: true }),
    log: (message, fields) => logs.push({ message, fields }),
    limits: connectionLimits({ ...limits, ...(mutant !== undefined ? { mutant } : {}) }),
  });
  const { port } = await server.start();
  return { server, port, logs };
}

const LIMIT_LOG = 'connections refused or closed by limits';

test('limits are validated, with typed codes', () => {
  assert.deepEqual(connectionLimits({ maxConnections: 5, maxPerAddress: 5 }).maxPerAddress, 5);
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return e instanceof ConnectionLimitsError ? e.code : 'other';
    }
    return undefined;
  };
  assert.equal(
    code(() => connectionLimits({ maxConnections: 0 })),
    'out-of-range',
  );
  assert.equal(
    code(() => connectionLimits({ idleMs: 1.5 })),
    'not-an-integer',
  );
  assert.equal(
    code(() => connectionLimits({ handshakeMs: 0 })),
    'out-of-range',
  );
  assert.equal(
    code(() => connectionLimits({ maxConnections: 10, maxPerAddress: 11 })),
    'per-address-above-per-port',
  );
  assert.equal(
    code(() => connectionLimits({ idleMs: 0 })),
    undefined,
    '0 turns idle off',
  );
  // The peer port's caps grow with the cluster (local peers all come from 127.0.0.1).
  assert.ok(peerPortLimits(50).maxPerAddress > 50);
});

async function clientCap(mutant?: GateMutant): Promise<void> {
  const { server, port, logs } = await clientPort(
    {
      maxConnections: 20,
      maxPerAddress: 20,
      idleMs: 0,
      handshakeMs: 10_000,
    },
    mutant,
  );
  try {
    const held: Raw[] = [];
    for (let i = 0; i < 20; i++) held.push(await raw(port));
    await until('20 admitted', () => server.gate.stats.open === 20);
    const refused: Raw[] = [];
    for (let i = 0; i < 10; i++) refused.push(await raw(port));
    await until('the refused to be closed', () => refused.every((r) => r.ended()));
    for (const r of refused) {
      assert.deepEqual(JSON.parse(r.text()), {
        rid: null,
        error: 'too many connections to this port',
      });
    }
    assert.equal(server.gate.stats.refusedPort, 10);
    assert.equal(server.gate.stats.open, 20);
    // Ten refusals, one log line (the rest wait for the next interval).
    const lines = logs.filter((l) => l.message === LIMIT_LOG);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.fields.port, 'client');
    // An existing client still gets its answer.
    const first = held[0] as Raw;
    first.socket.write('{"rid":1,"client":"c1","seq":1,"op":"hello"}\n');
    await until('the reply', () => first.text().includes('\n'));
    assert.deepEqual(JSON.parse(first.text()), { rid: 1, reply: { ok: true, value: 'hello' } });
    // A slot freed is a slot for the next client.
    (held[1] as Raw).socket.destroy();
    await until('a slot to free', () => server.gate.stats.open === 19);
    const next = await raw(port);
    next.socket.write('{"rid":2,"status":true}\n');
    await until('the status', () => next.text().includes('\n'));
    assert.equal((JSON.parse(next.text()) as { rid: number }).rid, 2);
    for (const h of [...held, next]) h.socket.destroy();
  } finally {
    server.close();
  }
}

async function clientAddress(mutant?: GateMutant): Promise<void> {
  const { server, port } = await clientPort(
    {
      maxConnections: 10,
      maxPerAddress: 3,
      idleMs: 0,
      handshakeMs: 10_000,
    },
    mutant,
  );
  try {
    const mine = [await raw(port), await raw(port), await raw(port)];
    const fourth = await raw(port);
    await until('the fourth to be refused', () => fourth.ended());
    assert.match(fourth.text(), /too many connections from your address/);
    assert.equal(server.gate.stats.refusedAddress, 1);
    // Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is another client.
    const other = await raw(port, '127.0.0.2');
    other.socket.write('{"rid":"x","status":true}\n');
    await until('the other address to be answered', () => other.text().includes('\n'));
    assert.equal(server.gate.openFrom('127.0.0.2'), 1);
    assert.equal(server.gate.openFrom('127.0.0.1'), 3);
    for (const r of [...mine, other]) r.socket.destroy();
  } finally {
    server.close();
  }
}

async function clientTimeouts(mutant?: GateMutant): Promise<void> {
  const { server, port } = await clientPort(
    {
      maxConnections: 10,
      maxPerAddress: 10,
      idleMs: 400,
      handshakeMs: 200,
    },
    mutant,
  );
  try {
    const t0 = Date.now();
    const silent = await raw(port);
    // Half a line is not a request: it is cut as well.
    const partial = await raw(port);
    partial.socket.write('{"rid":1,"client"');
    const idle = await raw(port);
    idle.socket.write('{"rid":1,"status":true}\n');
    const busy = await raw(port);
    busy.socket.write('{"rid":1,"client":"c","seq":1,"op":"hang"}\n');
    await until('the silent ones to be cut', () => silent.closed() && partial.closed());
    // Lower bounds only: that is the property (not cut before the timeout, 20 ms of slack for
    // timer granularity); until() above fails loudly if the cut never comes.
    const silentMs = Date.now() - t0;
    assert.ok(silentMs >= 180, `cut after ${silentMs} ms, before the 200 ms handshake timeout`);
    assert.equal(server.gate.stats.closedHandshake, 2);
    assert.ok(!idle.closed(), 'the idle one has spoken: not cut by the handshake timeout');
    await until('the idle one to be cut', () => idle.closed());
    const idleMs = Date.now() - t0;
    assert.ok(idleMs >= 380, `cut after ${idleMs} ms, before the 400 ms idle timeout`);
    assert.equal(server.gate.stats.closedIdle, 1);
    // Waiting for its answer is not idleness. Anchor: a connection that spoke after `busy` sent
    // its request is cut for idleness; `busy`, idle longer were it idle, must still be open.
    const later = await raw(port);
    later.socket.write('{"rid":1,"status":true}\n');
    await until('the later idle one to be cut', () => later.closed());
    assert.ok(!busy.closed(), 'a connection with a request in flight stays open');
    assert.equal(server.gate.stats.closedIdle, 2);
    assert.equal(server.gate.stats.open, 1);
    busy.socket.destroy();
  } finally {
    server.close();
  }
}

async function etcdNode(
  limits: Partial<ConnectionLimits>,
  mutant?: GateMutant,
): Promise<{ node: RuntimeNode; port: number; logs: Logged[]; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-conn-limits-'));
  const [peer, etcd] = (await freePorts(2)) as [number, number];
  const logs: Logged[] = [];
  const node = await RuntimeNode.start({
    system: fakeEtcdSystem,
    id: 'n1',
    listen: { host: '127.0.0.1', port: peer },
    peers: new Map(),
    dataDir: join(dir, 'data'),
    etcd: { host: '127.0.0.1', port: etcd },
    limits: connectionLimits({ ...limits, ...(mutant !== undefined ? { mutant } : {}) }),
    logLine: (line) => {
      const o = JSON.parse(line) as { msg: string } & Record<string, Json>;
      logs.push({ message: o.msg, fields: o });
    },
  });
  return {
    node,
    port: etcd,
    logs,
    stop: async () => {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** HTTP/2's client preface and an empty SETTINGS frame: a connection that then says nothing. */
const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

async function etcdCap(mutant?: GateMutant): Promise<void> {
  const { node, port, logs, stop } = await etcdNode(
    {
      maxConnections: 30,
      maxPerAddress: 30,
      idleMs: 0,
      handshakeMs: 10_000,
    },
    mutant,
  );
  const client = new Etcd3({ hosts: `127.0.0.1:${port}` });
  try {
    await client.put('before').value('flood');
    const gate = node.etcd?.port?.gate;
    assert.ok(gate !== undefined);
    const held: Raw[] = [];
    while (gate.stats.open < 30) {
      const r = await raw(port);
      r.socket.write(PREFACE);
      held.push(r);
      await until('admission', () => gate.stats.open + gate.stats.refusedPort > held.length);
    }
    const refused: Raw[] = [];
    for (let i = 0; i < 10; i++) refused.push(await raw(port));
    await until('the refused to be closed', () => refused.every((r) => r.ended()));
    assert.ok(
      refused.every((r) => r.text() === ''),
      'refused before HTTP/2 begins',
    );
    assert.equal(gate.stats.refusedPort, 10);
    assert.equal(logs.filter((l) => l.message === LIMIT_LOG && l.fields.port === 'etcd').length, 1);
    // The client connected before the flood is still served on its connection.
    await client.put('during').value('flood');
    assert.equal(await client.get('during').string(), 'flood');
    assert.equal(await client.get('before').string(), 'flood');
    const status = node.status() as { connections: { etcd: { refusedPort: number } } };
    assert.equal(status.connections.etcd.refusedPort, 10);
    for (const h of held) h.socket.destroy();
  } finally {
    client.close();
    await stop();
  }
}

async function etcdTimeouts(mutant?: GateMutant): Promise<void> {
  const { node, port, stop } = await etcdNode(
    {
      maxConnections: 10,
      maxPerAddress: 10,
      idleMs: 500,
      handshakeMs: 300,
    },
    mutant,
  );
  try {
    const gate = node.etcd?.port?.gate;
    assert.ok(gate !== undefined);
    const silent = await raw(port);
    // Speaks HTTP/2, then nothing; receives GOAWAY and FIN at the idle timeout, never closes.
    const stubborn = await raw(port, '127.0.0.1', true);
    stubborn.socket.write(PREFACE);
    await until('the silent one to be cut', () => gate.stats.closedHandshake === 1, 3000);
    // The client sees the close a turn or two after the gate counts it.
    await until('the silent one to see it', () => silent.ended() || silent.closed(), 1000);
    await until('the GOAWAY and FIN', () => stubborn.ended(), 3000);
    // 0x07 is GOAWAY's frame type (RFC 9113 §6.8), the 4th byte of a frame header.
    assert.ok(stubborn.text().includes('\x07\x00\x00\x00\x00\x00'), 'a GOAWAY was sent');
    assert.equal(gate.stats.open, 1, 'half-closed, it still holds its slot');
    await until('the half-closed one to be cut', () => gate.stats.open === 0, CLOSE_GRACE_MS * 3);
    assert.equal(gate.stats.closedNeverClosed, 1);
    stubborn.socket.destroy();
  } finally {
    await stop();
  }
}

/**
 * etcd port, idle timeout against real clients: a client with nothing open is sent GOAWAY and
 * reconnects for its next call; a client holding a watch is never idle, its connection stays.
 */
async function etcdIdleClients(): Promise<void> {
  const { node, port, stop } = await etcdNode({
    maxConnections: 10,
    maxPerAddress: 10,
    idleMs: 400,
    handshakeMs: 5000,
  });
  // Own connections each (grpc-js otherwise shares one among channels to the same address).
  const own = { hosts: `127.0.0.1:${port}`, grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } };
  const watching = new Etcd3(own);
  const writing = new Etcd3(own);
  try {
    const gate = node.etcd?.port?.gate;
    assert.ok(gate !== undefined);
    const watcher = await watching.watch().key('idle/k').create();
    const seen: string[] = [];
    watcher.on('put', (kv) => seen.push(kv.value.toString()));
    await writing.put('idle/k').value('1');
    await until('the first event', () => seen.length === 1);
    assert.equal(gate.stats.accepted, 2);
    // The writer's close is the event awaited; that the watcher's connection was kept shows
    // below: its next event arrives with only the writer having reconnected.
    await until('the idle writer to be closed', () => gate.stats.open === 1, GENEROUS_MS);
    assert.equal(gate.stats.open, 1, 'the writer, idle, was closed; the watcher was not');
    await writing.put('idle/k').value('2');
    await until('the second event', () => seen.length === 2);
    assert.deepEqual(seen, ['1', '2']);
    assert.equal(gate.stats.accepted, 3, 'only the writer reconnected');
    await watcher.cancel();
  } finally {
    watching.close();
    writing.close();
    await stop();
  }
}

async function peerCap(mutant?: GateMutant): Promise<void> {
  const logs: Logged[] = [];
  const transport = new PeerTransport({
    id: 'n1',
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map([['n2', { host: '127.0.0.1', port: 1 }]]),
    secret: Buffer.from('a-secret-of-sixteen-or-more'),
    onMessage: () => {},
    log: (message, fields) => logs.push({ message, fields }),
    limits: connectionLimits({
      maxConnections: 4,
      maxPerAddress: 2,
      idleMs: 0,
      ...(mutant !== undefined ? { mutant } : {}),
    }),
  });
  const { port } = await transport.start();
  try {
    const a = [await raw(port), await raw(port)];
    const third = await raw(port);
    await until('the address cap', () => third.ended());
    const b = [await raw(port, '127.0.0.2'), await raw(port, '127.0.0.3')];
    const fifth = await raw(port, '127.0.0.4');
    await until('the port cap', () => fifth.ended());
    assert.equal(transport.gate.stats.refusedAddress, 1);
    assert.equal(transport.gate.stats.refusedPort, 1);
    assert.equal(transport.gate.stats.open, 4);
    assert.equal(logs.filter((l) => l.message === LIMIT_LOG).length, 1);
    for (const r of [...a, ...b]) r.socket.destroy();
  } finally {
    transport.close();
  }
}

/** One HTTP/2 frame (RFC 9113 §4.1). */
function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal without indexing, new name" (RFC 7541 §6.2.2), for names and values < 127. */
function hpackBlock(headers: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(headers).map(([n, v]) =>
      Buffer.concat([
        Buffer.from([0, n.length]),
        Buffer.from(n),
        Buffer.from([v.length]),
        Buffer.from(v),
      ]),
    ),
  );
}

interface H2Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/**
 * A raw HTTP/2 client that never acknowledges the server's SETTINGS unless told to and opens
 * as many streams as it likes: what a client ignoring SETTINGS_MAX_CONCURRENT_STREAMS does.
 */
async function rawH2(port: number): Promise<{ frames: H2Frame[]; r: Raw }> {
  const r = await raw(port);
  const frames: H2Frame[] = [];
  let buf = Buffer.alloc(0);
  r.socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
      const len = buf.readUIntBE(0, 3);
      frames.push({
        type: buf[3] as number,
        flags: buf[4] as number,
        stream: buf.readUInt32BE(5) & 0x7fffffff,
        payload: buf.subarray(9, 9 + len),
      });
      buf = buf.subarray(9 + len);
    }
  });
  r.socket.write(PREFACE);
  return { frames, r };
}

const H2 = { data: 0, headers: 1, rstStream: 3, settings: 4, goaway: 7 } as const;
/** RST_STREAM's REFUSED_STREAM (RFC 9113 §7): the stream was not processed, safe to retry. */
const REFUSED_STREAM = 7;
/** SETTINGS_MAX_CONCURRENT_STREAMS's identifier (RFC 9113 §6.5.2). */
const MAX_CONCURRENT_STREAMS = 3;

function watchHeaders(port: number): Buffer {
  return hpackBlock({
    ':method': 'POST',
    ':scheme': 'http',
    ':path': '/etcdserverpb.Watch/Watch',
    ':authority': `127.0.0.1:${port}`,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
}

/** A gRPC message: WatchRequest{create_request{key}} behind its 5-byte length prefix. */
function watchCreate(key: string): Buffer {
  const keyField = Buffer.concat([Buffer.from([0x0a, key.length]), Buffer.from(key)]);
  const body = Buffer.concat([Buffer.from([0x0a, keyField.length]), keyField]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/**
 * etcd port, streams per connection: the cap is announced in SETTINGS; a client that opens
 * twice as many streams has the extra ones refused (REFUSED_STREAM) while the first ones keep
 * working; a client that acknowledged the cap and still exceeds it loses its connection, and
 * nobody else notices; a real client with more calls in flight than the cap has them queued.
 */
async function etcdStreams(mutant?: GateMutant): Promise<void> {
  const cap = 4;
  const { port, stop } = await etcdNode(
    { maxConnections: 10, maxPerAddress: 10, idleMs: 0, handshakeMs: 10_000, maxStreams: cap },
    mutant,
  );
  const client = new Etcd3({ hosts: `127.0.0.1:${port}` });
  try {
    await client.put('k').value('before');
    const { frames, r } = await rawH2(port);
    await until('the server SETTINGS', () => frames.some((f) => f.type === H2.settings));
    const settings = frames.find((f) => f.type === H2.settings && (f.flags & 1) === 0);
    assert.ok(settings !== undefined);
    const announced = new Map<number, number>();
    for (let i = 0; i + 6 <= settings.payload.length; i += 6) {
      announced.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    }
    assert.equal(announced.get(MAX_CONCURRENT_STREAMS), cap, 'the cap is announced');
    const ids = Array.from({ length: 2 * cap }, (_, i) => 1 + 2 * i);
    for (const id of ids) r.socket.write(h2Frame(H2.headers, 0x4, id, watchHeaders(port)));
    const refused = (): number[] =>
      frames
        .filter((f) => f.type === H2.rstStream && f.payload.readUInt32BE(0) === REFUSED_STREAM)
        .map((f) => f.stream);
    await until('the extra streams to be refused', () => refused().length >= cap);
    assert.deepEqual(refused(), ids.slice(cap));
    // The first stream still works: a watch created on it is answered on it.
    r.socket.write(h2Frame(H2.data, 0, 1, watchCreate('k')));
    await until('the watch to be created', () =>
      frames.some((f) => f.type === H2.data && f.stream === 1),
    );
    assert.ok(!r.closed(), 'the connection stays');
    r.socket.destroy();

    // Acknowledged, then exceeded: a protocol error that closes that connection (RFC 9113
    // §5.1.2) and no other.
    const rude = await rawH2(port);
    await until('its SETTINGS', () => rude.frames.some((f) => f.type === H2.settings));
    rude.r.socket.write(h2Frame(H2.settings, 0x1, 0, Buffer.alloc(0)));
    await sleep(50);
    for (const id of ids) rude.r.socket.write(h2Frame(H2.headers, 0x4, id, watchHeaders(port)));
    await until(
      'the rude connection to be closed',
      () => rude.frames.some((f) => f.type === H2.goaway) || rude.r.closed(),
    );
    rude.r.socket.destroy();

    // A client that keeps to the cap: three times as many calls at once, all answered.
    const puts = Array.from({ length: 3 * cap }, (_, i) => client.put(`p${i}`).value(String(i)));
    await Promise.all(puts);
    assert.equal(await client.get('p11').string(), '11');
    assert.equal(await client.get('k').string(), 'before');
  } finally {
    client.close();
    await stop();
  }
}

test('truthkit node: a limit that cannot work is a one-line usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-conn-flags-'));
  try {
    const base = ['node', '--system', 'kv-raft', '--id', 'n1', '--listen', '127.0.0.1:0'];
    const above = await cli(
      ...base,
      '--data',
      dir,
      '--max-connections',
      '10',
      '--max-connections-per-address',
      '50',
    );
    assert.equal(above.code, 2);
    assert.equal(
      above.err.trim(),
      'truthkit: max connections per address (50) exceeds max connections (10)',
    );
    const negative = await cli(...base, '--data', dir, '--idle-timeout', '-5');
    assert.equal(negative.code, 2);
    assert.match(negative.err, /--idle-timeout/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('client port: past its cap new connections are refused and logged once; existing clients are served', () =>
  clientCap());
test('client port: one address is capped; another address is not', () => clientAddress());
test('client port: a silent connection is cut at the handshake timeout, an idle one at the idle timeout, a busy one never', () =>
  clientTimeouts());
test('etcd port: past its cap new connections are refused and logged; an etcd3 client keeps working', () =>
  etcdCap());
test('etcd port: no preface is cut at the handshake timeout; idle is sent GOAWAY, and one that never closes is cut', () =>
  etcdTimeouts());
test('etcd port: an idle client is sent GOAWAY and reconnects; a watching one keeps its connection', () =>
  etcdIdleClients());
test('peer port: strangers past the cap are refused before the handshake', () => peerCap());
test('etcd port: streams past the per-connection cap are refused; the first ones keep working', () =>
  etcdStreams());

/** Which scenario catches each mutant (a gate with that one rule removed). */
const CATCHES: Record<GateMutant, (mutant: GateMutant) => Promise<void>> = {
  'no-port-cap': clientCap,
  'no-address-cap': clientAddress,
  'no-handshake-timeout': clientTimeouts,
  'no-idle-timeout': clientTimeouts,
  'idle-ignores-busy': clientTimeouts,
  'no-close-grace': etcdTimeouts,
  'log-every-event': clientCap,
  'no-stream-cap': etcdStreams,
};

test('every gate mutant is caught', async () => {
  for (const mutant of GATE_MUTANTS) {
    await assert.rejects(CATCHES[mutant](mutant), `mutant ${mutant} was not caught`);
  }
});
