/**
 * The zookeeper system's watches, multi, sync and lock: each judge rule fails on a hand-built
 * history that breaks it and passes its good twin, and the lock's classic bug (a holder paused
 * past its session timeout wakes and acts) is pinned on a seed: the resource refuses the stale
 * holder, and `ignore-fencing` lets it act after the next holder, which the judge catches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import { streamFor } from '../../../src/core/random.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { judgeZk } from '../../../src/systems/zookeeper/zk-judge.js';
import { LockClient } from '../../../src/systems/zookeeper/zk-lock-client.js';
import { ZkMachine } from '../../../src/systems/zookeeper/zk-machine.js';
import { zookeeperSystem } from '../../../src/systems/zookeeper/zookeeper.js';

let nextId = 0;
/** An ok op of client `process` at `node`, invoked at its id's time. */
function ok(
  process: number,
  f: string,
  result: Record<string, Json>,
  extra: { key?: string; value?: Json; node?: string } = {},
): HistoryOp {
  const id = nextId++;
  return {
    id,
    process,
    f,
    ...(extra.key !== undefined ? { key: extra.key } : {}),
    ...(extra.value !== undefined ? { value: extra.value } : {}),
    invoke: id,
    complete: id + 0.5,
    outcome: 'ok',
    result,
    node: extra.node ?? 'n1',
  };
}

const ev = (type: string, path: string, zxid: number): Json => ({ type, path, zxid });

test('fencing: an accepted act with a token below one that acted is caught', () => {
  const run = (second: boolean): { verdict: string; message: string } => {
    nextId = 0;
    return judgeZk([
      ok(1, 'fence', { code: 0, zxid: 5, accepted: true, highest: 4, inc: 0 }, { value: 4 }),
      ok(3, 'fence', { code: 0, zxid: 6, accepted: true, highest: 9, inc: 0 }, { value: 9 }),
      ok(1, 'fence', { code: 0, zxid: 7, accepted: second, highest: 9, inc: 0 }, { value: 4 }),
    ]);
  };
  assert.equal(run(false).verdict, 'valid');
  const bad = run(true);
  assert.equal(bad.verdict, 'invalid');
  assert.match(bad.message, /fencing: .*token 4 .*after client 3's with token 9/);
});

test('multi atomicity: an OK multi must answer every op, a refused one name its failing op', () => {
  const multi = (result: Record<string, Json>): HistoryOp[] => {
    nextId = 0;
    const ops: Json = [
      { type: 'create', path: '/m0', data: '', mode: 'persistent' },
      { type: 'check', path: '/m1', version: 3 },
    ];
    return [ok(0, 'multi', { zxid: 1, inc: 0, ...result }, { value: ops })];
  };
  assert.equal(judgeZk(multi({ code: 0, results: [0, 0] })).verdict, 'valid');
  assert.equal(judgeZk(multi({ code: -103, results: [0, -103] })).verdict, 'valid');
  assert.equal(judgeZk(multi({ code: -112, results: [] })).verdict, 'valid');
  const partial = judgeZk(multi({ code: 0, results: [0] }));
  assert.equal(partial.verdict, 'invalid');
  assert.match(partial.message, /multi atomicity: .*answered OK/);
  assert.equal(judgeZk(multi({ code: -101, results: [-101, 0] })).verdict, 'invalid');
});

test('sync: an answer older than a write acknowledged before the sync was invoked is caught', () => {
  const h = (syncZxid: number): HistoryOp[] => {
    nextId = 0;
    return [
      ok(0, 'connect', { code: 0, zxid: 1, session: 1 }),
      ok(1, 'setData', { code: 0, zxid: 2, version: 1 }, { key: '/a', value: ['AAAA', -1] }),
      ok(2, 'sync', { code: 0, zxid: syncZxid, inc: 0 }, { node: 'n2' }),
    ];
  };
  assert.equal(judgeZk(h(3)).verdict, 'valid');
  const stale = judgeZk(h(1));
  assert.equal(stale.verdict, 'invalid');
  assert.match(stale.message, /sync: op 2 .*answered from zxid 1, but op 1 .*zxid 2/);
});

/** Client 0 registers a data watch on /a at zxid 2; client 1 sets /a at zxid 3. */
function watched(...after: HistoryOp[]): HistoryOp[] {
  nextId = 0;
  return [
    ok(0, 'connect', { code: 0, zxid: 1, session: 1 }),
    ok(
      0,
      'watch',
      { code: 0, zxid: 2, watch: 'data', exists: true, inc: 0 },
      {
        key: '/a',
        value: 'data',
      },
    ),
    ok(1, 'setData', { code: 0, zxid: 3, version: 1 }, { key: '/a', value: ['BBBB', -1] }),
    ...after,
  ];
}

test('watch ordering: an answer that holds the change must come after its notification', () => {
  const told = watched();
  told.push(ok(0, 'ping', { code: 0, zxid: 3, events: [ev('NodeDataChanged', '/a', 3)], inc: 0 }));
  assert.equal(judgeZk(told).verdict, 'valid');
  const untold = watched();
  untold.push(ok(0, 'getChildren', { code: 0, zxid: 4, children: [], inc: 0 }));
  const r = judgeZk(untold);
  assert.equal(r.verdict, 'invalid');
  assert.match(r.message, /watch ordering: client 0's data watch on \/a .*NodeDataChanged \/a/);
  // Answered by another server, which holds no watch of it: nothing is owed there.
  const moved = watched();
  moved.push(ok(0, 'getChildren', { code: 0, zxid: 4, children: [], inc: 0 }, { node: 'n2' }));
  assert.equal(judgeZk(moved).verdict, 'valid');
});

test('watch delivery: a one-shot registration is told at most once', () => {
  const twice = watched();
  twice.push(ok(0, 'ping', { code: 0, zxid: 3, events: [ev('NodeDataChanged', '/a', 3)], inc: 0 }));
  twice.push(
    ok(1, 'setData', { code: 0, zxid: 4, version: 2 }, { key: '/a', value: ['CCCC', -1] }),
  );
  twice.push(ok(0, 'ping', { code: 0, zxid: 4, events: [ev('NodeDataChanged', '/a', 4)], inc: 0 }));
  const r = judgeZk(twice);
  assert.equal(r.verdict, 'invalid');
  assert.match(r.message, /watch delivered twice: .*registration \(op 1\) had already fired/);
  // A persistent watch is told of every change.
  nextId = 0;
  const persistent = [
    ok(0, 'connect', { code: 0, zxid: 1, session: 1 }),
    ok(
      0,
      'watch',
      { code: 0, zxid: 2, watch: 'persistent', exists: true, inc: 0 },
      {
        key: '/a',
        value: 'persistent',
      },
    ),
    ok(0, 'ping', {
      code: 0,
      zxid: 4,
      events: [ev('NodeDataChanged', '/a', 3), ev('NodeDataChanged', '/a', 4)],
      inc: 0,
    }),
  ];
  assert.equal(judgeZk(persistent).verdict, 'valid');
  // A session that ended took its watches: nothing may be told of them after.
  const ended = watched();
  ended.push(ok(0, 'connect', { code: 0, zxid: 4, session: 2 }));
  ended.push(ok(0, 'ping', { code: 0, zxid: 4, events: [ev('NodeDataChanged', '/a', 3)], inc: 0 }));
  assert.match(judgeZk(ended).message, /no registration of it was live there/);
  // The session expired, a connect's answer was lost (it made session 2), the client registered
  // on session 2, and its next connect names session 2: the registration is still live there.
  const renewed = watched();
  renewed.push(ok(0, 'ping', { code: -112, zxid: 4 }));
  renewed.push({ ...ok(0, 'connect', {}), outcome: 'unknown', result: undefined });
  renewed.push(
    ok(
      0,
      'watch',
      { code: 0, zxid: 6, watch: 'data', exists: true, inc: 0 },
      {
        key: '/b',
        value: 'data',
      },
    ),
  );
  renewed.push(ok(0, 'connect', { code: 0, zxid: 7, session: 2 }));
  renewed.push(
    ok(0, 'ping', { code: 0, zxid: 8, events: [ev('NodeDataChanged', '/b', 8)], inc: 0 }),
  );
  assert.equal(judgeZk(renewed).verdict, 'valid', judgeZk(renewed).message);
  const bogus = watched();
  bogus.push(ok(0, 'ping', { code: 0, zxid: 3, events: [ev('NodeTouched', '/a', 3)], inc: 0 }));
  assert.match(judgeZk(bogus).message, /malformed notifications/);
});

test('the machine: a multi answers per op; the resource refuses a token below its highest', () => {
  const m = new ZkMachine({ tickMs: 50 });
  m.apply({ client: 'c0', seq: 1, op: { w: { type: 'createSession', timeout: 500 }, t: 0 } });
  const multi = (seq: number, version: number): Json =>
    m.apply({
      client: 'c0',
      seq,
      op: {
        w: {
          type: 'multi',
          ops: [
            { type: 'create', path: '/m0', data: '', mode: 'persistent' },
            { type: 'check', path: '/m0', version },
          ],
        },
        t: 0,
      },
    });
  assert.deepEqual(multi(2, 5), { code: -103, zxid: 2, results: [0, -103] });
  assert.equal(m.state.node('/m0'), undefined, 'a refused multi applied nothing');
  assert.deepEqual(multi(3, 0), { code: 0, zxid: 3, results: [0, 0] });
  assert.deepEqual(m.apply({ client: 'c1', seq: 1, op: { fence: 9 } }), {
    code: 0,
    zxid: 4,
    accepted: true,
    highest: 9,
  });
  assert.deepEqual(m.apply({ client: 'c2', seq: 1, op: { fence: 4 } }), {
    code: 0,
    zxid: 5,
    accepted: false,
    highest: 9,
  });
});

/**
 * Seed 3 without faults: client 1 holds the lock (token 10) and pauses past its session
 * timeout; its session expires, client 3 takes the lock and acts with token 11; client 1 wakes
 * and acts with its old token.
 */
const PINNED = { system: zookeeperSystem, seed: 3, workload: { ops: 300 } } as const;

test('lock: a holder paused past its session timeout is refused by the resource', () => {
  const r = runChecked(PINNED);
  assert.equal(r.verdict, 'valid', r.failure?.message ?? r.judgement?.message);
  const d = r.judgement?.details as Record<string, number> | undefined;
  assert.ok((d?.fencedRefused ?? 0) > 0, 'no stale holder was refused');
  assert.ok((d?.fencedAccepted ?? 0) > 0, 'no holder acted');
  assert.ok((r.metrics['zk.expiry-proposed']?.count ?? 0) > 0, 'no session expired');
});

test('ignore-fencing: the stale holder acts after the next one, and the judge says so', () => {
  const r = runChecked({ ...PINNED, mutant: 'ignore-fencing' });
  assert.equal(r.verdict, 'invalid');
  assert.match(r.judgement?.message ?? '', /fencing: the resource accepted client \d's act/);
});

test('the leader deletes emptied containers and expired TTL nodes', () => {
  const r = runChecked({ system: zookeeperSystem, seed: 4, workload: { ops: 1000 } });
  assert.equal(r.verdict, 'valid', r.failure?.message ?? r.judgement?.message);
  assert.ok((r.metrics['zk.container-delete-proposed']?.count ?? 0) > 0, 'no sweep proposed');
});

test('lock client: a create whose answer was lost is found again by its guid, and its czxid read', () => {
  const random = streamFor(1, 'test:lock-client');
  const c = new LockClient(1);
  const step = (lastOk: Json | undefined): Record<string, Json> =>
    c.next(random, lastOk) as Record<string, Json>;
  assert.equal(step(undefined).f, 'connect');
  assert.deepEqual(step({ code: 0, zxid: 1, session: 1 }), {
    f: 'create',
    key: '/lock',
    value: '',
    seen: 1,
  });
  const dir = { code: 0, zxid: 2 };
  const create = step(dir);
  assert.equal(create.f, 'createSeq');
  assert.equal(create.key, '/lock/_c_1x0-lock-');
  // The create's answer is lost: the client's latest ok answer is still the one before.
  assert.deepEqual(step(dir), { f: 'getChildren', key: '/lock', seen: 2 });
  const children = {
    code: 0,
    zxid: 4,
    children: ['_c_3x0-lock-0000000001', '_c_1x0-lock-0000000000'],
  };
  assert.deepEqual(step(children), {
    f: 'watch',
    key: '/lock/_c_1x0-lock-0000000000',
    value: 'data',
    seen: 4,
  });
  assert.equal(step({ code: 0, zxid: 4, watch: 'data', exists: true, czxid: 3 }).f, 'getChildren');
  // Lowest: it holds, and acts with its node's czxid (after a pause, now and then).
  let act = step({ ...children });
  if (act.f === 'pause') act = step({ code: 0, zxid: 4 });
  assert.deepEqual(act, { f: 'fence', value: 3, seen: 4 });
  // Refused (a higher token acted): it knows it lost the lock and starts over.
  assert.equal(step({ code: 0, zxid: 9, accepted: false, highest: 7 }).f, 'connect');
});
