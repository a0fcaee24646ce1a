/**
 * Membership changes as an operator drives them (etcd's MemberAdd/Promote/Remove, and a wiped
 * member rejoining as a learner): each rule on the real Raft, and the mutant that drops it
 * caught by the same scenario.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/core/node.js';
import { MEMBERSHIP_REFUSALS } from '../../../src/protocols/raft/membership.js';
import { JOIN_KEY } from '../../../src/protocols/raft/raft-node.js';
import { Cluster } from './helpers.js';

/** Every node started with `--param join=on`: nobody has been told it is a member. */
function allJoining(mutant?: string): Cluster {
  const c = new Cluster({
    nodes: 3,
    params: { join: 'on' },
    ...(mutant !== undefined ? { mutant } : {}),
  });
  c.sim.runUntil(2000);
  return c;
}

test('a server that joins counts for nothing until the leader adds it', () => {
  const c = allJoining();
  assert.deepEqual(c.leaders(), [], 'no joining server campaigns');
  for (const n of c.live()) {
    assert.deepEqual(n.config, { voters: [], learners: [] });
    assert.equal(n.term, 0);
  }
  c.assertNoViolation();
});

test('mutant join-as-voter: joining servers elect a leader among themselves', () => {
  const c = allJoining('join-as-voter');
  assert.equal(c.leaders().length, 1, 'they took the initial voters as their configuration');
});

/** Removes every trace of the node's state, as `rm -rf` of its data directory would. */
function wipe(c: Cluster, id: NodeId): void {
  const disk = c.sim.disk(id);
  for (const k of disk.keys()) disk.delete(k);
  disk.truncateAfter(disk.firstIndex() - 1);
}

/**
 * A voter's data is wiped. It comes back only through a membership change: removed (the
 * removal committed by the rest), started empty as a joining server, added as a learner,
 * caught up, promoted. The history of writes is intact and the cluster keeps one leader.
 */
function rejoin(mutant?: string): { c: Cluster; roleBeforeAdd: string; victim: NodeId } {
  const c = new Cluster({ nodes: 3, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = c.awaitLeader();
  for (let i = 0; i < 20; i++) c.write({ f: 'append', key: 'h', value: `${i},` });
  const victim = c.ids.find((id) => id !== leader) as NodeId;
  c.sim.crash(victim);
  wipe(c, victim);
  c.sim.runUntil(c.sim.now + 400);
  const rm = c.call(leader, { f: 'remove-server', node: victim });
  assert.equal(rm?.ok, true, JSON.stringify(rm));
  // What `truthkit node --initial-state join` leaves in an empty store before the node starts.
  c.sim.disk(victim).put(JOIN_KEY, true);
  c.sim.restart(victim);
  c.sim.runUntil(c.sim.now + 1500);
  const roleBeforeAdd = c.raft(victim).role;
  return { c, roleBeforeAdd, victim };
}

test('a wiped member rejoins as a learner, then a voter, with the history intact', () => {
  const { c, roleBeforeAdd, victim } = rejoin();
  assert.equal(roleBeforeAdd, 'follower', 'the empty server never campaigned');
  assert.deepEqual(c.raft(victim).config, { voters: [], learners: [] });
  const leader = c.awaitLeader();
  const add = c.call(leader, { f: 'add-learner', node: victim });
  assert.equal(add?.ok, true, JSON.stringify(add));
  c.sim.runUntil(c.sim.now + 300);
  assert.ok(c.raft(victim).config.learners.includes(victim), 'a learner first');
  assert.equal(c.raft(victim).lastApplied, c.raft(leader).lastApplied, 'caught up');
  const promote = c.call(leader, { f: 'promote', node: victim });
  assert.equal(promote?.ok, true, JSON.stringify(promote));
  assert.ok(c.raft(leader).config.voters.includes(victim));
  const expected = Array.from({ length: 20 }, (_, i) => `${i},`).join('');
  assert.equal(c.write({ f: 'get', key: 'h' }), expected);
  c.sim.runUntil(c.sim.now + 300);
  assert.equal(c.raft(victim).sm.read({ f: 'get', key: 'h' }), expected);
  c.assertNoViolation();
});

test('mutant join-as-voter: the wiped member campaigns before anyone added it', () => {
  const { roleBeforeAdd } = rejoin('join-as-voter');
  // It still cannot win (its log is empty), but it believes itself a voter of the initial
  // configuration and keeps trying: exactly what the empty configuration rules out.
  assert.notEqual(roleBeforeAdd, 'follower');
});

/** A learner cut off from the leader while writes go on, then asked to be promoted. */
function promoteLagging(mutant?: string): Cluster {
  const c = new Cluster({
    params: { voters: 'n1,n2,n3' },
    ...(mutant !== undefined ? { mutant } : {}),
  });
  const leader = c.awaitLeader(3000, ['n1', 'n2', 'n3']);
  assert.equal(c.call(leader, { f: 'add-learner', node: 'n4' })?.ok, true);
  c.sim.runUntil(c.sim.now + 200);
  c.isolate(['n4']);
  for (let i = 0; i < 30; i++) c.write({ f: 'put', key: `k${i}`, value: 'v' });
  return c;
}

test('promote: refused while the learner lags, done once it caught up', () => {
  const c = promoteLagging();
  const leader = c.leaders()[0] as NodeId;
  const early = c.call(leader, { f: 'promote', node: 'n4' });
  assert.deepEqual(early, {
    ok: false,
    error: MEMBERSHIP_REFUSALS.learnerNotReady,
    definite: true,
  });
  const voter = c.call(leader, { f: 'promote', node: 'n2' });
  assert.deepEqual(voter, { ok: false, error: MEMBERSHIP_REFUSALS.alreadyMember, definite: true });
  const none = c.call(leader, { f: 'promote', node: 'n5' });
  assert.deepEqual(none, { ok: false, error: MEMBERSHIP_REFUSALS.notLearner, definite: true });
  c.sim.heal();
  c.sim.runUntil(c.sim.now + 300);
  const late = c.call(leader, { f: 'promote', node: 'n4' });
  assert.deepEqual(late, {
    ok: true,
    value: { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] },
  });
  c.assertNoViolation();
});

test('mutant promote-unready: a lagging learner is promoted', () => {
  const c = promoteLagging('promote-unready');
  const r = c.call(c.leaders()[0] as NodeId, { f: 'promote', node: 'n4' });
  assert.equal(r?.ok, true);
});

/** Three voters, one down long enough for the leader to know; then `node` is removed. */
function removeWithOneDown(pick: 'down' | 'up', mutant?: string) {
  const c = new Cluster({ nodes: 3, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = c.awaitLeader();
  c.write({ f: 'put', key: 'k', value: 'v' });
  const [up, down] = c.ids.filter((id) => id !== leader) as [NodeId, NodeId];
  c.sim.crash(down);
  c.sim.runUntil(c.sim.now + 400);
  return {
    c,
    leader,
    reply: c.call(leader, { f: 'remove-server', node: pick === 'up' ? up : down }),
  };
}

test('remove: refused when the active voters left are no majority; a down voter may go', () => {
  const refused = removeWithOneDown('up');
  assert.deepEqual(refused.reply, {
    ok: false,
    error: MEMBERSHIP_REFUSALS.notEnoughActive,
    definite: true,
  });
  assert.equal(refused.c.write({ f: 'put', key: 'k', value: 'still' }), null);
  const allowed = removeWithOneDown('down');
  assert.equal(allowed.reply?.ok, true, JSON.stringify(allowed.reply));
  assert.equal(allowed.c.write({ f: 'put', key: 'k', value: 'after' }), null);
  refused.c.assertNoViolation();
  allowed.c.assertNoViolation();
});

test('mutant remove-below-quorum: removing the live voter leaves a cluster that cannot commit', () => {
  const { c, leader, reply } = removeWithOneDown('up', 'remove-below-quorum');
  // Not refused: the change entered the log and its configuration (the leader and the down
  // voter) took effect at once. It never commits (the leader soon finds it hears no majority of
  // it and steps down), and nothing after it commits either.
  assert.notDeepEqual(reply, {
    ok: false,
    error: MEMBERSHIP_REFUSALS.notEnoughActive,
    definite: true,
  });
  assert.notEqual(reply?.ok, true);
  assert.equal(c.raft(leader).config.voters.length, 2);
  c.sim.runUntil(c.sim.now + 1000);
  for (const id of c.ids) {
    if (c.sim.status(id) !== 'up') continue;
    assert.notEqual(c.call(id, { f: 'put', key: 'k', value: 'stuck' }, 500)?.ok, true);
  }
});

test('promote: a learner that never answered is not caught up, however short the log', () => {
  const c = new Cluster({ params: { voters: 'n1,n2,n3' } });
  const leader = c.awaitLeader(3000, ['n1', 'n2', 'n3']);
  c.sim.crash('n5');
  assert.equal(c.call(leader, { f: 'add-learner', node: 'n5' })?.ok, true);
  assert.ok(c.raft(leader).log.lastIndex() < 8, 'a log shorter than the catch-up margin');
  const r = c.call(leader, { f: 'promote', node: 'n5' });
  assert.deepEqual(r, { ok: false, error: MEMBERSHIP_REFUSALS.learnerNotReady, definite: true });
  c.sim.restart('n5');
  c.sim.runUntil(c.sim.now + 300);
  assert.equal(c.call(leader, { f: 'promote', node: 'n5' })?.ok, true);
  c.assertNoViolation();
});

test('a promotion waiting for a learner that never starts blocks no other change', () => {
  const c = new Cluster({ params: { voters: 'n1,n2,n3' } });
  const leader = c.awaitLeader(3000, ['n1', 'n2', 'n3']);
  c.sim.crash('n5');
  let waiting: unknown;
  c.sim.request(leader, 'admin', 1, { f: 'add-server', node: 'n5' }, (r) => (waiting = r));
  c.sim.runUntil(c.sim.now + 300);
  assert.equal(waiting, undefined, 'it waits for n5 to catch up');
  const second = c.call(leader, { f: 'add-server', node: 'n4' });
  assert.deepEqual(second, {
    ok: false,
    error: 'configuration change in progress',
    definite: true,
  });
  assert.equal(c.call(leader, { f: 'add-learner', node: 'n4' })?.ok, true, 'not blocked');
  assert.equal(c.call(leader, { f: 'remove-server', node: 'n5' })?.ok, true, 'not blocked');
  c.sim.runUntil(c.sim.now + 200);
  assert.deepEqual(waiting, { ok: false, error: MEMBERSHIP_REFUSALS.notMember, definite: true });
  c.assertNoViolation();
});
