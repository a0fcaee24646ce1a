/**
 * Zab's mechanisms one at a time, on a 3-server kv-zab cluster in the simulator: clients served
 * by any server, the two failure detectors, and the three ways a follower is brought in line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/core/node.js';
import { ZabCluster } from './helpers.js';

const put = (key: string, value: string) => ({ f: 'put', key, value });
const get = (key: string) => ({ f: 'get', key });
const synced = (c: ZabCluster, mode: string) =>
  c.sim.metrics.get(`zab.synced.${mode}`)?.length ?? 0;

test('a follower forwards a write and answers it once it has delivered it', () => {
  const c = new ZabCluster();
  const leader = c.awaitLeader();
  const follower = c.ids.find((n) => n !== leader) as NodeId;
  assert.deepEqual(c.call(follower, put('x', '1')), { ok: true, value: null });
  assert.equal(c.zab(follower).delivered, 1);
  assert.deepEqual(c.call(leader, get('x')), { ok: true, value: '1' });
  assert.equal(c.violation(), undefined);
});

test('a leader cut off from its quorum gives up; the others elect a leader of a later epoch', () => {
  const c = new ZabCluster();
  const old = c.awaitLeader();
  const epoch = c.zab(old).epoch;
  c.isolate([old]);
  const others = c.ids.filter((n) => n !== old);
  const next = c.awaitLeader(3000, others);
  assert.ok(c.zab(next).epoch > epoch);
  assert.ok(
    c.until(() => c.zab(old).state === 'looking', 1000, 1),
    'the old leader stepped down',
  );
  assert.equal(c.violation(), undefined);
});

test('a follower whose leader falls silent goes back to election', () => {
  const c = new ZabCluster();
  const leader = c.awaitLeader();
  const follower = c.ids.find((n) => n !== leader) as NodeId;
  c.sim.pause(leader);
  assert.ok(c.until(() => c.zab(follower).state !== 'following', 1000, 1));
  c.sim.resume(leader);
  c.awaitLeader();
  assert.equal(c.violation(), undefined);
});

test('a restarted follower catches up by DIFF; one too far behind the window by SNAP', () => {
  for (const [window, mode] of [
    ['64', 'diff'],
    ['2', 'snap'],
  ] as const) {
    const c = new ZabCluster({ params: { 'diff-window': window } });
    const leader = c.awaitLeader();
    const follower = c.ids.find((n) => n !== leader) as NodeId;
    c.sim.crash(follower);
    for (let i = 0; i < 5; i++) assert.equal(c.call(leader, put('x', `${i}`))?.ok, true);
    const before = synced(c, mode);
    c.sim.restart(follower);
    assert.ok(
      c.until(() => c.sim.node(follower) !== undefined && c.zab(follower).delivered === 5, 3000, 1),
    );
    assert.ok(synced(c, mode) > before, `${mode} with window ${window}`);
    assert.equal(c.violation(), undefined);
  }
});
