/**
 * `cluster up --system zookeeper` on loopback, driven by node-zookeeper-client through the
 * connect string: acknowledged creates and setData survive a kill -9 of the leader and its
 * restart (read back from every server after a sync), and a session on the killed leader moves to
 * another server and keeps its ephemeral; a server refuses a client that has seen a
 * later zxid; and the mutant `follower-expires` (a follower proposes expiry on its own clock)
 * is caught ending a live session that only that follower does not hear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { killNode, restartNode } from '../../../src/runtime/cluster.js';
import { OpCode } from '../../../src/runtime/zookeeper/constants.js';
import { sleep, waitFor } from '../wait-for.js';
import { RawSession } from './raw-session.js';
import {
  call,
  isConnectionLoss,
  leaderOf,
  session,
  upZk,
  type Client,
  type ZkCluster,
} from './zk-cluster.js';

const PERSISTENT = 0;
const EPHEMERAL = 1;

/** A raw session on node `id`, once it serves. */
function rawOn(
  c: ZkCluster,
  id: string,
  o: Parameters<typeof RawSession.open>[1] = {},
): Promise<RawSession> {
  return waitFor(
    `${id} serving`,
    () => RawSession.open(c.zkPort(id), o).catch(() => undefined),
    15_000,
  );
}

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** Resumes a session on another server and keeps it talking for `ms` (past its timeout). */
async function moveAndKeep(
  c: ZkCluster,
  id: string,
  from: RawSession,
  ms: number,
): Promise<bigint> {
  const moved = await rawOn(c, id, {
    sessionId: from.grant.sessionId,
    passwd: from.grant.passwd,
    lastZxidSeen: from.lastZxid,
    timeOut: from.grant.timeOut,
  });
  try {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      assert.equal((await moved.call({ type: OpCode.exists, path: '/', watch: false })).err, 0);
      await sleep(200);
    }
    return moved.grant.sessionId;
  } finally {
    moved.close();
  }
}

async function dataAfterSync(raw: RawSession, path: string): Promise<string> {
  const s = await raw.call({ type: OpCode.sync, path });
  assert.equal(s.err, 0, `sync ${path}`);
  const r = await raw.call({ type: OpCode.getData, path, watch: false });
  assert.equal(r.err, 0, `getData ${path}`);
  assert.equal(r.result?.kind, 'data');
  return r.result.kind === 'data' ? r.result.data.toString() : '';
}

test('acknowledged creates and setData survive a kill -9 of the leader and its restart', async (t) => {
  const c = await upZk(t, { params: { tick: '100' } });
  const leader = await leaderOf(c);
  // A session on the leader with an ephemeral: it moves to another server after the kill.
  const mover = await rawOn(c, leader, { timeOut: 2000 });
  const ephemeral = await mover.call({
    type: OpCode.create,
    path: '/moved',
    data: Buffer.alloc(0),
    acl: OPEN,
    flags: EPHEMERAL,
  });
  assert.equal(ephemeral.err, 0);
  const keepMover = setInterval(() => {
    mover.call({ type: OpCode.exists, path: '/', watch: false }).catch(() => undefined);
  }, 300);
  const cl = await session(c.connectString);
  t.after(() => cl.close());
  await call((cb) => cl.create('/w', Buffer.alloc(0), PERSISTENT, cb));
  await call((cb) => cl.create('/x', Buffer.from('0'), PERSISTENT, cb));

  const acked = new Set<string>();
  let lost = 0;
  let lastAckedSet = 0;
  let lastTriedSet = 0;
  let stop = false;
  const times: { killedAt?: number; firstAckAfterKill?: number } = {};
  const noteAck = (): void => {
    if (times.killedAt !== undefined && times.firstAckAfterKill === undefined) {
      times.firstAckAfterKill = performance.now();
    }
  };
  const creator = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const path = `/w/c${w}-${i}`;
      try {
        await call((cb) => cl.create(path, Buffer.from(path), PERSISTENT, cb));
        acked.add(path);
        noteAck();
      } catch (e) {
        if (!isConnectionLoss(e)) throw e;
        lost++;
        await sleep(20);
      }
    }
  };
  const setter = async (): Promise<void> => {
    for (let n = 1; !stop; n++) {
      lastTriedSet = n;
      try {
        await call((cb) => cl.setData('/x', Buffer.from(String(n)), -1, cb));
        lastAckedSet = n;
        noteAck();
      } catch (e) {
        if (!isConnectionLoss(e)) throw e;
        await sleep(20);
      }
    }
  };
  const load = Promise.all([creator(1), creator(2), creator(3), setter()]);
  await sleep(1000);
  const before = acked.size;
  await killNode(c.dir, leader);
  const killedAt = performance.now();
  times.killedAt = killedAt;
  clearInterval(keepMover);
  const next = await leaderOf(c, 15_000);
  const electedMs = performance.now() - killedAt;
  const elsewhere = c.file.nodes.find((n) => n.id !== leader && n.id !== next)?.id ?? next;
  const movedSession = moveAndKeep(c, elsewhere, mover, 3000);
  const backAt = await waitFor(
    'a write acked after the kill',
    () => times.firstAckAfterKill,
    15_000,
  );
  const writesBackMs = backAt - killedAt;
  await restartNode(c.dir, leader);
  await sleep(500);
  stop = true;
  await load;
  assert.equal(await movedSession, mover.grant.sessionId, 'the session moved, same id');
  t.diagnostic(
    `killed leader ${leader}; ${next} led ${Math.round(electedMs)} ms later; writes acknowledged ` +
      `again after ${Math.round(writesBackMs)} ms; ${acked.size} creates acknowledged ` +
      `(${before} before the kill), ${lost} lost to connection loss; setData ${lastAckedSet} acked`,
  );
  assert.notEqual(next, leader);
  assert.ok(acked.size > before, 'creates were acknowledged after the kill');

  // Every server, the restarted one included, holds every acknowledged write after a sync.
  for (const n of c.file.nodes) {
    const raw = await rawOn(c, n.id);
    try {
      const children = new Set((await raw.syncedChildren('/w')).map((k) => `/w/${k}`));
      const missing = [...acked].filter((p) => !children.has(p));
      assert.deepEqual(missing, [], `${n.id} lost acknowledged creates`);
      const moved = await raw.call({ type: OpCode.exists, path: '/moved', watch: false });
      assert.equal(moved.err, 0, `${n.id}: the moved session's ephemeral is gone`);
      const owner = moved.result?.kind === 'stat' ? moved.result.stat.ephemeralOwner : -1n;
      assert.equal(owner, mover.grant.sessionId);
      const x = Number(await dataAfterSync(raw, '/x'));
      assert.ok(
        x >= lastAckedSet && x <= lastTriedSet,
        `${n.id}: /x is ${x}, acked ${lastAckedSet}`,
      );
    } finally {
      raw.close();
    }
  }

  // Single system image: a client that has seen a later zxid than a server is not served there.
  const probe = await rawOn(c, leader);
  const last = (await probe.call({ type: OpCode.exists, path: '/', watch: false })).zxid;
  probe.close();
  await assert.rejects(RawSession.open(c.zkPort(leader), { lastZxidSeen: last + 1000n }));
  (await RawSession.open(c.zkPort(leader), { lastZxidSeen: last })).close();
});

/**
 * A session whose client talks only to one follower, kept alive by its pings for well past its
 * timeout: is its ephemeral still there, read through another server?
 */
async function followerSessionSurvives(t: Parameters<typeof upZk>[0], mutant?: string) {
  const c = await upZk(t, { params: { tick: '50' }, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = await leaderOf(c);
  const follower = c.file.nodes.find((n) => n.id !== leader)?.id ?? '';
  const other = c.file.nodes.find((n) => n.id !== leader && n.id !== follower)?.id ?? '';
  let expired = false;
  const cl: Client = await session(`127.0.0.1:${c.zkPort(follower)}`, 1000);
  cl.once('expired', () => (expired = true));
  t.after(() => cl.close());
  await call((cb) => cl.create('/alive', Buffer.alloc(0), EPHEMERAL, cb));
  // Twice the negotiated timeout (1 s): the client pings all along.
  await sleep(2500);
  const raw = await rawOn(c, other);
  try {
    const s = await raw.call({ type: OpCode.sync, path: '/' });
    assert.equal(s.err, 0);
    const r = await raw.call({ type: OpCode.exists, path: '/alive', watch: false });
    return { present: r.err === 0, expired };
  } finally {
    raw.close();
  }
}

test('only the leader expires sessions: a live session on a follower keeps its ephemeral', async (t) => {
  assert.deepEqual(await followerSessionSurvives(t), { present: true, expired: false });
});

test('mutant follower-expires: a follower ends a live session it does not hear', async (t) => {
  const r = await followerSessionSurvives(t, 'follower-expires');
  assert.equal(r.present, false, 'the ephemeral of a live session was removed');
});
