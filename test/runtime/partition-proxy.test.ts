/**
 * The partition proxy on raw loopback sockets (no cluster): a connection that starts with a
 * peer hello is forwarded byte for byte; a 'sever' cut destroys the connections on the links it
 * cuts, both directions, and refuses new ones until healed, while links it does not cut carry
 * on; a 'stall' cut closes nothing but moves nothing across until the heal, when the held bytes
 * and connections flow on; a
 * connection that does not start with a hello to the proxy's member is refused. The
 * `forward-all` mutant (cuts never enforced) fails the cut's assertions. Also: cluster.json's
 * `dial` is read when present and refused when not host:port; and which writes count as
 * acknowledged by a cut-off member. (That members dial it is shown by
 * test/runtime/chaos-partitions.test.ts: no cut would take otherwise.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJsonFrame } from '../../src/runtime/frames.js';
import { parseAddress } from '../../src/runtime/kv-client.js';
import { PartitionProxies, type ProxyMutant } from '../../src/runtime/chaos/partition-proxy.js';
import { ClusterError, readClusterFile } from '../../src/runtime/cluster.js';
import { cutOffAcks } from '../../src/runtime/chaos/partition-fault.js';
import type { HistoryOp } from '../../src/core/history.js';

const IDS = ['n1', 'n2', 'n3'];

/** A stand-in member: an echo server on loopback. */
async function echoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const a = server.address();
  assert.ok(typeof a === 'object' && a !== null);
  return { server, port: a.port, sockets };
}

interface Dialed {
  socket: Socket;
  /** Everything echoed back so far. */
  received: () => Buffer;
  closed: Promise<void>;
}

function dial(address: string, hello: unknown): Dialed {
  const socket = connect(parseAddress(address));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((res) => socket.on('close', () => res()));
  socket.write(encodeJsonFrame(hello));
  return { socket, received: () => Buffer.concat(chunks), closed };
}

const hello = (from: string, to: string): unknown => ({
  t: 'hello',
  v: 1,
  from,
  to,
  nonce: '0123456789abcdef0123',
});

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves true if `p` settles within `ms`. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function scenario(mutant?: ProxyMutant): Promise<void> {
  const members = await Promise.all(IDS.map(() => echoServer()));
  const proxies = await PartitionProxies.start({
    ids: IDS,
    ...(mutant !== undefined ? { mutant } : {}),
  });
  try {
    const dialAt = proxies.dial();
    // Dialed before the members' ports are known: held, then forwarded.
    const early = dial(dialAt.n1 as string, hello('n2', 'n1'));
    proxies.setUpstreams(
      new Map(IDS.map((id, i) => [id, { host: '127.0.0.1', port: members[i]?.port as number }])),
    );
    const frame = encodeJsonFrame(hello('n2', 'n1'));
    await until('the hello echoed', () => early.received().equals(frame));
    early.socket.write('more');
    await until('later bytes echoed', () => early.received().length === frame.length + 4);

    const n1ToN2 = dial(dialAt.n2 as string, hello('n1', 'n2'));
    const n3ToN2 = dial(dialAt.n2 as string, hello('n3', 'n2'));
    await until('three links forwarded', () => proxies.stats.forwarded === 3);

    proxies.partition(['n1']);
    // Both directions of n1's links are cut at once; n3→n2 carries on.
    assert.ok(await within(early.closed, 1000), 'n2→n1 survived the cut');
    assert.ok(await within(n1ToN2.closed, 1000), 'n1→n2 survived the cut');
    assert.equal(proxies.stats.severed, 2);
    n3ToN2.socket.write('x');
    await until('n3→n2 still forwards', () => n3ToN2.received().toString().endsWith('x'));
    // A redial across the cut is refused; one within the majority goes through.
    const redial = dial(dialAt.n1 as string, hello('n3', 'n1'));
    assert.ok(await within(redial.closed, 1000), 'a new connection across the cut was let through');
    const inside = dial(dialAt.n3 as string, hello('n2', 'n3'));
    await until('n2→n3 forwarded', () => inside.received().length > 0);

    proxies.heal();
    const healed = dial(dialAt.n1 as string, hello('n3', 'n1'));
    await until('n3→n1 forwarded after the heal', () => healed.received().length > 0);
    for (const d of [n3ToN2, inside, healed]) d.socket.destroy();
  } finally {
    proxies.close();
    for (const m of members) {
      for (const s of m.sockets) s.destroy();
      m.server.close();
    }
  }
}

test('the proxy forwards a peer connection, and a cut severs and refuses its links only', async () => {
  await scenario();
});

test('the forward-all mutant (cuts not enforced) fails the same scenario', async () => {
  await assert.rejects(scenario('forward-all'), /survived the cut/);
});

/** A 'stall' cut: nothing closes, nothing moves across it, and everything flows on at the heal. */
async function stallScenario(mutant?: ProxyMutant): Promise<void> {
  const members = await Promise.all(IDS.map(() => echoServer()));
  const proxies = await PartitionProxies.start({
    ids: IDS,
    ...(mutant !== undefined ? { mutant } : {}),
  });
  proxies.setUpstreams(
    new Map(IDS.map((id, i) => [id, { host: '127.0.0.1', port: members[i]?.port as number }])),
  );
  try {
    const at = proxies.dial();
    const n2ToN1 = dial(at.n1 as string, hello('n2', 'n1'));
    const n3ToN2 = dial(at.n2 as string, hello('n3', 'n2'));
    await until(
      'two links forwarded',
      () => n2ToN1.received().length > 0 && n3ToN2.received().length > 0,
    );
    const before = n2ToN1.received().length;
    proxies.partition(['n1'], 'stall');
    n2ToN1.socket.write('held');
    n3ToN2.socket.write('x');
    await until('n3→n2 still forwards', () => n3ToN2.received().toString().endsWith('x'));
    const redial = dial(at.n1 as string, hello('n3', 'n1'));
    // Anchor: a new connection across no cut, dialled after it, gets through; the redial would
    // have by then, were the stall not holding it. ('held' was written before 'x', above.)
    const control = dial(at.n2 as string, hello('n3', 'n2'));
    await until('a new uncut connection to forward', () => control.received().length > 0);
    control.socket.destroy();
    assert.equal(n2ToN1.received().length, before, 'bytes crossed a stalled cut');
    assert.equal(redial.received().length, 0, 'a new connection crossed a stalled cut');
    assert.equal(n2ToN1.socket.destroyed, false, 'a stall closed a connection');
    assert.equal(proxies.stats.severed, 0);
    proxies.heal();
    await until('held bytes flow on at the heal', () =>
      n2ToN1.received().toString().endsWith('held'),
    );
    await until('the held connection goes through', () => redial.received().length > 0);
    for (const d of [n2ToN1, n3ToN2, redial]) d.socket.destroy();
  } finally {
    proxies.close();
    for (const m of members) {
      for (const s of m.sockets) s.destroy();
      m.server.close();
    }
  }
}

test('a stalled cut holds bytes and new connections on its links until the heal', async () => {
  await stallScenario();
});

test('the forward-all mutant fails the stall scenario too', async () => {
  await assert.rejects(stallScenario('forward-all'), /crossed a stalled cut/);
});

test('the proxy refuses a connection that is not a hello to its member', async () => {
  const member = await echoServer();
  const proxies = await PartitionProxies.start({ ids: IDS, helloMs: 300 });
  proxies.setUpstreams(new Map(IDS.map((id) => [id, { host: '127.0.0.1', port: member.port }])));
  try {
    const at = proxies.dial().n1 as string;
    const cases: unknown[] = [
      hello('n2', 'n3'), // addressed to another member
      hello('n9', 'n1'), // from no member
      hello('n1', 'n1'), // from itself
      { t: 'auth', proof: 'x' },
    ];
    for (const h of cases) {
      assert.ok(await within(dial(at, h).closed, 1000), JSON.stringify(h));
    }
    // Not a frame at all, and silence: refused (the latter after helloMs).
    const junk = connect(parseAddress(at));
    junk.on('error', () => {});
    junk.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    assert.ok(await within(new Promise((r) => junk.on('close', () => r())), 1000));
    const quiet = connect(parseAddress(at));
    quiet.on('error', () => {});
    assert.ok(await within(new Promise((r) => quiet.on('close', () => r())), 2000));
    assert.equal(proxies.stats.forwarded, 0);
    assert.equal(proxies.stats.refused, 6);
    assert.equal(member.sockets.size, 0);
  } finally {
    proxies.close();
    member.server.close();
  }
});

test('cluster.json: a node’s dial address is validated; files without one still read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-dial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (nodes: unknown[]): void =>
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ system: 'kv-raft', nodes }));
  const node = { id: 'n1', peer: '127.0.0.1:1', client: '127.0.0.1:2' };
  file([node]);
  assert.equal(readClusterFile(dir).nodes[0]?.dial, undefined);
  file([{ ...node, dial: '127.0.0.1:3' }]);
  assert.equal(readClusterFile(dir).nodes[0]?.dial, '127.0.0.1:3');
  for (const dial of ['nowhere', 7, '']) {
    file([{ ...node, dial }]);
    assert.throws(
      () => readClusterFile(dir),
      (e: unknown) => {
        assert.ok(e instanceof ClusterError);
        assert.match(e.message, /node n1 has dial .*, not host:port/);
        return true;
      },
    );
  }
});

test('cutOffAcks: a write invoked during a cut and acknowledged by the cut-off side before the heal', () => {
  const w = (id: number, node: string, invoke: number, complete: number, f = 'put'): HistoryOp => ({
    id,
    process: id,
    f,
    key: 'k',
    value: f === 'cas' ? ['a', `v${id}`] : `v${id}`,
    invoke,
    complete,
    outcome: 'ok',
    result: f === 'cas' ? true : null,
    node,
  });
  const cuts = [{ minority: ['n1'], from: 100, to: 200 }];
  const h = [
    w(0, 'n1', 90, 150), // invoked before the cut: it may have committed before it
    w(1, 'n2', 120, 150), // the majority's
    w(2, 'n1', 120, 250), // acknowledged after the heal
    w(3, 'n1', 120, 150), // the cut-off side acknowledged it: counted
    w(4, 'n1', 130, 160, 'cas'), // a cas that swapped, likewise
    { ...w(5, 'n1', 130, 160), f: 'get', value: undefined }, // reads are not writes
  ];
  assert.deepEqual(
    cutOffAcks(h, cuts).map((op) => op.id),
    [3, 4],
  );
});
