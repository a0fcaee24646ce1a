/**
 * ZooKeeper's wire port served by the coordination state machine (coordination-backend.ts),
 * driven by the real node-zookeeper-client on loopback: create modes, versions, one-shot
 * watches and their ordering, multi atomicity, ephemerals and session expiry, reconnects with
 * setWatches; and each of the backend's mutants caught. Runs in about ten seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import type { CoordBackendMutant } from '../../../src/runtime/zookeeper/coordination-backend.js';
import { ErrCode, OpCode } from '../../../src/runtime/zookeeper/constants.js';
import { JuteReader, JuteWriter } from '../../../src/runtime/zookeeper/jute.js';
import {
  readConnectResponse,
  writeConnectRequest,
  type ConnectResponse,
} from '../../../src/runtime/zookeeper/records.js';
import type { ZkRequest } from '../../../src/runtime/zookeeper/requests.js';
import { proxy, serveCoordination, sleep, until, type Served } from './coord-harness.js';

type Client = ReturnType<typeof zookeeper.createClient>;
const { CreateMode, Exception, Event } = zookeeper;
const b = (s: string): Buffer => Buffer.from(s);

async function client(port: number, sessionTimeout = 10000): Promise<Client> {
  const c = zookeeper.createClient(`127.0.0.1:${port}`, {
    sessionTimeout,
    spinDelay: 50,
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

const create = (c: Client, path: string, data: string, mode: number): Promise<string> =>
  call((cb) => c.create(path, b(data), mode, cb));
const exists = (c: Client, path: string, w?: (e: zookeeper.ZkEvent) => void) =>
  call<zookeeper.ZkStat | null>((cb) => c.exists(path, w, cb));
const getData = (c: Client, path: string, w?: (e: zookeeper.ZkEvent) => void) =>
  new Promise<{ data: Buffer; stat: zookeeper.ZkStat }>((resolve, reject) =>
    c.getData(path, w, (e, data, stat) => (e ? reject(e) : resolve({ data, stat }))),
  );
const getChildren = (c: Client, path: string, w?: (e: zookeeper.ZkEvent) => void) =>
  new Promise<string[]>((resolve, reject) =>
    c.getChildren(path, w, (e, children) => (e ? reject(e) : resolve(children))),
  );
const setData = (c: Client, path: string, data: string, version: number) =>
  call<zookeeper.ZkStat>((cb) => c.setData(path, b(data), version, cb));

async function withServer(
  f: (s: Served) => Promise<void>,
  mutant?: CoordBackendMutant,
  tickMs = 100,
): Promise<void> {
  const s = await serveCoordination({ tickMs, mutant });
  try {
    await f(s);
  } finally {
    await s.stop();
  }
}

const code = (e: unknown): number => (e as zookeeper.ZkException).getCode();

test('create modes, versions and BADVERSION, errors with ZooKeeper codes', () =>
  withServer(async ({ port }) => {
    const c = await client(port);
    try {
      assert.equal(await create(c, '/p', 'one', CreateMode.PERSISTENT), '/p');
      assert.equal(await create(c, '/p/e', 'eph', CreateMode.EPHEMERAL), '/p/e');
      assert.equal(
        await create(c, '/p/s-', '', CreateMode.PERSISTENT_SEQUENTIAL),
        '/p/s-0000000001',
      );
      assert.equal(
        await create(c, '/p/es-', '', CreateMode.EPHEMERAL_SEQUENTIAL),
        '/p/es-0000000002',
      );
      assert.deepEqual((await getChildren(c, '/p')).sort(), ['e', 'es-0000000002', 's-0000000001']);
      await assert.rejects(
        create(c, '/p', '', CreateMode.PERSISTENT),
        (e) => code(e) === Exception.NODE_EXISTS,
      );
      await assert.rejects(
        create(c, '/none/x', '', CreateMode.PERSISTENT),
        (e) => code(e) === Exception.NO_NODE,
      );
      await assert.rejects(
        create(c, '/p/e/child', '', CreateMode.PERSISTENT),
        (e) => code(e) === -108,
      );

      const got = await getData(c, '/p');
      assert.equal(got.data.toString(), 'one');
      assert.equal(got.stat.version, 0);
      assert.equal((await setData(c, '/p', 'two', 0)).version, 1);
      await assert.rejects(setData(c, '/p', 'three', 0), (e) => code(e) === Exception.BAD_VERSION);
      assert.equal((await getData(c, '/p')).data.toString(), 'two');
      await assert.rejects(
        call<void>((cb) => c.remove('/p', 1, (e) => cb(e, undefined))),
        (e) => code(e) === -111, // NOTEMPTY
      );
      assert.equal(await exists(c, '/nope'), null);
    } finally {
      c.close();
    }
  }));

test('exists, getData and getChildren watches fire once each', () =>
  withServer(async ({ port, backend }) => {
    const a = await client(port);
    const w = await client(port);
    try {
      const seen: string[] = [];
      const note = (what: string) => (e: zookeeper.ZkEvent) =>
        seen.push(`${what}:${e.getType()}:${e.getPath()}`);
      assert.equal(await exists(w, '/x', note('exists')), null);
      await create(a, '/x', 'v0', CreateMode.PERSISTENT);
      await getData(w, '/x', note('data'));
      await getChildren(w, '/x', note('child'));
      assert.equal(backend.info().watchCount, 2, 'the data and child watches on /x');
      await setData(a, '/x', 'v1', -1);
      await setData(a, '/x', 'v2', -1);
      await create(a, '/x/c1', '', CreateMode.PERSISTENT);
      await create(a, '/x/c2', '', CreateMode.PERSISTENT);
      await until('three notifications', () => seen.length >= 3);
      assert.equal(backend.info().watchCount, 0, 'one-shot watches are spent');
      // Anchor for "once each": a watch set now fires on the next change; a second notification
      // from a spent watch would have come before it on the same session.
      assert.equal(await exists(w, '/y', note('anchor')), null);
      await create(a, '/y', '', CreateMode.PERSISTENT);
      await until('the later watch', () => seen.some((s) => s.startsWith('anchor')));
      assert.deepEqual(seen, [
        `exists:${Event.NODE_CREATED}:/x`,
        `data:${Event.NODE_DATA_CHANGED}:/x`,
        `child:${Event.NODE_CHILDREN_CHANGED}:/x`,
        `anchor:${Event.NODE_CREATED}:/y`,
      ]);
    } finally {
      a.close();
      w.close();
    }
  }));

/** ZooKeeper's ordering guarantee: the event comes before the reply that shows the change. */
async function notificationBeforeReply({ port }: Served): Promise<void> {
  const c = await client(port);
  try {
    await create(c, '/o', 'a', CreateMode.PERSISTENT);
    let fired = false;
    await getData(c, '/o', () => (fired = true));
    // Read `fired` inside the callback: the client may decode a notification that follows the
    // reply in the same chunk before an awaiting caller resumes.
    const firedAtReply = await call<boolean>((cb) =>
      c.setData('/o', b('b'), -1, (e) => cb(e, fired)),
    );
    assert.equal(firedAtReply, true, 'the setData reply arrived before its watch notification');
  } finally {
    c.close();
  }
}

test('a watch notification reaches the client before the reply to the change', () =>
  withServer(notificationBeforeReply));

test('mutant notify-after-reply is caught', () =>
  assert.rejects(withServer(notificationBeforeReply, 'notify-after-reply'), /before its watch/));

test('multi is atomic: all ops or none, with per-op results', () =>
  withServer(async ({ port }) => {
    const c = await client(port);
    try {
      const failed = await new Promise<{ e: zookeeper.ZkException | null; r: { type: number }[] }>(
        (resolve) =>
          c
            .transaction()
            .create('/m1', b('x'))
            .setData('/missing', b('y'))
            .commit((e, r) => resolve({ e, r })),
      );
      assert.equal(failed.e?.getCode(), Exception.NO_NODE);
      assert.equal(failed.r.length, 2);
      assert.equal(await exists(c, '/m1'), null);
      const ok = await new Promise<{
        e: zookeeper.ZkException | null;
        r: { type: number; path?: string }[];
      }>((resolve) =>
        c
          .transaction()
          .create('/m1', b('x'))
          .create('/m1/k', b('y'))
          .check('/m1', 0)
          .setData('/m1', b('z'), 0)
          .commit((e, r) => resolve({ e, r })),
      );
      assert.equal(ok.e, null);
      assert.equal(ok.r[1]?.path, '/m1/k');
      assert.equal((await getData(c, '/m1')).data.toString(), 'z');
    } finally {
      c.close();
    }
  }));

test('ephemerals go when their session closes, and their watchers hear it', () =>
  withServer(async ({ port }) => {
    const owner = await client(port);
    const watcher = await client(port);
    try {
      await create(owner, '/eph', '', CreateMode.EPHEMERAL);
      let deleted = 0;
      assert.notEqual(
        await exists(watcher, '/eph', (e) => (e.getType() === Event.NODE_DELETED ? deleted++ : 0)),
        null,
      );
      owner.close();
      await until('NodeDeleted for /eph', () => deleted === 1);
      assert.equal(await exists(watcher, '/eph'), null);
    } finally {
      watcher.close();
    }
  }));

/**
 * A client cut off from the server stops pinging: within its negotiated timeout (10 ticks of
 * 100 ms here) the server expires the session, deletes its ephemeral, and on reconnect the
 * client is told its session expired.
 */
async function expiresWhenSilent(s: Served): Promise<void> {
  const p = await proxy(s.port);
  const observer = await client(s.port);
  const c = await client(p.port, 1000);
  try {
    await create(c, '/lease', '', CreateMode.EPHEMERAL);
    let expired = false;
    c.on('expired', () => (expired = true));
    p.cut();
    await until('the silent session expires', () => s.backend.info().ephemeralsCount === 0, 3000);
    assert.equal(await exists(observer, '/lease'), null);
    p.heal();
    await until('the client learns its session expired', () => expired, 5000);
  } finally {
    c.close();
    observer.close();
    await p.close();
  }
}

test('a session expires after its client stops pinging; its ephemerals go', () =>
  withServer(expiresWhenSilent));

test('mutant never-expire is caught', () =>
  assert.rejects(withServer(expiresWhenSilent, 'never-expire'), /silent session expires/));

test('a client reconnecting within its timeout keeps its session and re-sends its watches', () =>
  withServer(async (s) => {
    const p = await proxy(s.port);
    const other = await client(s.port);
    const c = await client(p.port, 2000);
    try {
      await create(c, '/mine', '', CreateMode.EPHEMERAL);
      await create(other, '/w', 'a', CreateMode.PERSISTENT);
      let changed = 0;
      await getData(c, '/w', (e) => (e.getType() === Event.NODE_DATA_CHANGED ? changed++ : 0));
      p.cut();
      await sleep(150);
      // Changed while the client was away: setWatches on reconnect fires it there.
      await setData(other, '/w', 'b', -1);
      p.heal();
      await until('the watch fires after reconnect', () => changed === 1, 5000);
      assert.notEqual(await exists(other, '/mine'), null);
      assert.equal(s.backend.info().ephemeralsCount, 1);
    } finally {
      c.close();
      other.close();
      await p.close();
    }
  }));

/** Resumes session `id` with `passwd` on a raw socket: the server's ConnectResponse. */
function resume(port: number, sessionId: bigint, passwd: Buffer): Promise<ConnectResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        sock.destroy();
        resolve(readConnectResponse(new JuteReader(got.subarray(4, 4 + got.readInt32BE(0)))));
      }
    });
    const w = new JuteWriter();
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen: 0n,
      timeOut: 4000,
      sessionId,
      passwd,
      readOnly: false,
    });
    sock.write(w.frame());
  });
}

async function wrongPasswordRefused({ port }: Served): Promise<void> {
  const c = await client(port);
  try {
    const id = c.getSessionId().readBigInt64BE(0);
    const r = await resume(port, id, Buffer.alloc(16, 7));
    assert.equal(r.timeOut, 0, 'a session was resumed with the wrong password');
  } finally {
    c.close();
  }
}

test('resuming a session needs its password', () => withServer(wrongPasswordRefused));

test('mutant any-passwd is caught', () =>
  assert.rejects(withServer(wrongPasswordRefused, 'any-passwd'), /wrong password/));

/** A client resumes its session elsewhere (here: a raw socket); its old connection is closed. */
async function oldConnectionClosed({ port }: Served): Promise<void> {
  const c = await client(port);
  try {
    let disconnected = false;
    c.once('disconnected', () => (disconnected = true));
    const id = c.getSessionId().readBigInt64BE(0);
    const r = await resume(port, id, c.getSessionPassword());
    assert.equal(r.sessionId, id);
    await until('the old connection closed', () => disconnected, 2000);
  } finally {
    c.close();
  }
}

test('a session resumed on a new connection closes its old one', () =>
  withServer(oldConnectionClosed));

test('mutant keep-old-connection is caught', () =>
  assert.rejects(withServer(oldConnectionClosed, 'keep-old-connection'), /old connection closed/));

test('an emptied container and a TTL node past its TTL are removed by the server', () =>
  withServer(async ({ backend }) => {
    const grant = await backend.connect({
      protocolVersion: 0,
      lastZxidSeen: 0n,
      timeOut: 10_000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
      readOnly: false,
    });
    assert.ok(grant !== undefined);
    const id = grant.sessionId;
    const data = Buffer.alloc(0);
    // world:anyone, all permissions (an empty list is INVALIDACL).
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    const ok = async (req: ZkRequest): Promise<void> =>
      assert.equal((await backend.submit(id, req)).err, 0, `op ${req.type}`);
    await ok({ type: OpCode.createContainer, path: '/box', data, acl, flags: 4 });
    await ok({ type: OpCode.create, path: '/box/x', data, acl, flags: 0 });
    await ok({ type: OpCode.createTTL, path: '/ttl', data, acl, flags: 5, ttl: 50n });
    const refused = await backend.submit(id, {
      type: OpCode.create,
      path: '/c2',
      data,
      acl,
      flags: 4,
    });
    assert.equal(refused.err, ErrCode.badArguments, 'container flags need createContainer');
    backend.tick();
    assert.ok(backend.server.state.node('/box') !== undefined, 'a container with a child stays');
    await ok({ type: OpCode.delete, path: '/box/x', version: -1 });
    await sleep(120);
    backend.tick();
    assert.equal(backend.server.state.node('/box'), undefined);
    assert.equal(backend.server.state.node('/ttl'), undefined);
  }));
