/**
 * Raft scenarios that read like the dissertation, driven through the simulator directly.
 * Every cluster checks the safety invariants on every step (Cluster wires checkInvariants).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSizeBound, type Json } from '../../../src/core/json.js';
import type { NodeId } from '../../../src/core/node.js';
import { MAX_APPEND_SIZE, MAX_BATCH } from '../../../src/protocols/raft/replication.js';
import { Cluster } from './helpers.js';

test('§3.4 election: one leader emerges, counted by the election metrics', () => {
  const c = new Cluster();
  const leader = c.awaitLeader();
  const term = c.raft(leader).term;
  for (const n of c.live()) {
    assert.equal(n.term, term);
    if (n !== c.raft(leader)) assert.equal(n.role, 'follower');
  }
  c.sim.runUntil(c.sim.now + 1000);
  assert.deepEqual(c.leaders(), [leader], 'a healthy leader keeps its place');
  assert.equal(c.raft(leader).term, term);
  assert.ok((c.sim.metrics.get('elections') ?? []).length >= 1);
  assert.equal((c.sim.metrics.get('leader-changes') ?? []).length, 1);
  c.assertNoViolation();
});

test('writes commit on a majority, reads see them, and range reads by prefix', () => {
  const c = new Cluster();
  c.awaitLeader();
  c.write({ f: 'put', key: 'user/1', value: 'ada' });
  c.write({ f: 'put', key: 'user/2', value: 'bob' });
  c.write({ f: 'append', key: 'user/2', value: '!' });
  c.write({ f: 'put', key: 'zeta', value: 'z' });
  assert.equal(c.write({ f: 'cas', key: 'zeta', value: ['z', 'y'] }), true);
  assert.equal(c.write({ f: 'cas', key: 'zeta', value: ['z', 'x'] }), false);
  c.write({ f: 'delete', key: 'user/1' });
  assert.equal(c.write({ f: 'get', key: 'zeta' }), 'y');
  c.write({ f: 'put', key: 'user/3', value: 'cy' });
  assert.deepEqual(c.write({ f: 'range', prefix: 'user/' }), [
    ['user/2', 'bob!'],
    ['user/3', 'cy'],
  ]);
  c.sim.runUntil(c.sim.now + 200);
  const commits = new Set(c.live().map((n) => n.commitIndex));
  assert.equal(commits.size, 1, 'heartbeats spread the commit index to every follower');
  assert.ok((c.sim.metrics.get('commit-latency') ?? []).length >= 7);
  c.assertNoViolation();
});

test('a follower answers "not leader" with a hint; malformed ops are refused', () => {
  const c = new Cluster();
  const leader = c.awaitLeader();
  c.sim.runUntil(c.sim.now + 100);
  const follower = c.ids.find((id) => id !== leader) as NodeId;
  const r = c.call(follower, { f: 'put', key: 'k', value: 'v' });
  assert.deepEqual(r, { ok: false, error: 'not leader', definite: true, leader });
  const bad = c.call(leader, { f: 'explode', key: 'k' });
  assert.deepEqual(bad, { ok: false, error: 'malformed operation', definite: true });
});

test('§6.2 partitioned leader: the majority elects anew, the old leader steps down', () => {
  const c = new Cluster();
  const old = c.awaitLeader();
  c.write({ f: 'put', key: 'a', value: '1' });
  const oldTerm = c.raft(old).term;
  c.isolate([old]);
  c.sim.runUntil(c.sim.now + 600);
  const others = c.ids.filter((id) => id !== old);
  const fresh = c.awaitLeader(2000, others);
  assert.ok(c.raft(fresh).term > oldTerm);
  assert.notEqual(c.raft(old).role, 'leader', 'check-quorum deposed the isolated leader');
  const refused = c.call(old, { f: 'put', key: 'a', value: 'stale' });
  assert.equal(refused?.ok, false);
  c.write({ f: 'put', key: 'a', value: '2' });
  c.sim.heal();
  c.sim.runUntil(c.sim.now + 500);
  assert.equal(c.raft(old).leader, fresh);
  assert.equal(c.write({ f: 'get', key: 'a' }), '2');
  c.assertNoViolation();
});

test('§3.5 log repair: a follower that missed writes is brought back into line', () => {
  const c = new Cluster({ params: { 'snapshot-every': '100000' } });
  const leader = c.awaitLeader();
  const lagger = c.ids.find((id) => id !== leader) as NodeId;
  c.sim.crash(lagger);
  for (let i = 0; i < 30; i++) c.write({ f: 'append', key: 'log', value: `${i},` });
  c.sim.restart(lagger);
  c.sim.runUntil(c.sim.now + 500);
  const l = c.raft(leader);
  const f = c.raft(lagger);
  assert.equal(f.log.lastIndex(), l.log.lastIndex());
  for (let i = 1; i <= l.log.lastIndex(); i++) assert.equal(f.log.term(i), l.log.term(i));
  assert.equal(f.lastApplied, l.lastApplied);
  c.assertNoViolation();
});

test('§3.5 a follower far behind on large entries catches up in appends of bounded size', () => {
  const c = new Cluster({ params: { 'snapshot-every': '100000' } });
  const leader = c.awaitLeader();
  const lagger = c.ids.find((id) => id !== leader) as NodeId;
  c.sim.crash(lagger);
  // Each entry's JSON may be up to ~0.9 MB by jsonSizeBound: two exceed MAX_APPEND_SIZE.
  for (let i = 0; i < 12; i++) c.write({ f: 'put', key: `big/${i}`, value: 'x'.repeat(150_000) });
  c.sim.restart(lagger);
  c.sim.runUntil(c.sim.now + 2000);
  assert.equal(c.raft(lagger).log.lastIndex(), c.raft(leader).log.lastIndex());
  assert.equal(c.raft(lagger).lastApplied, c.raft(leader).lastApplied);
  const appends = (c.sim.trace.events ?? []).flatMap((e) =>
    e.e === 'send' && e.type === 'append' && e.to === lagger
      ? [(e.msg as { entries: Json[] }).entries]
      : [],
  );
  assert.ok(appends.length >= 12, `the 12 entries went one append each (${appends.length})`);
  for (const entries of appends) {
    const size = entries.reduce((n: number, e) => n + jsonSizeBound(e), 0);
    assert.ok(entries.length <= 1 || size <= MAX_APPEND_SIZE, `an append of ${size}`);
  }
  c.assertNoViolation();
});

/** The appends with entries sent `to` from virtual time `since` on: [time, entries carried]. */
function appendsTo(c: Cluster, to: NodeId, since: number): [number, number][] {
  return (c.sim.trace.events ?? []).flatMap((e) => {
    if (e.e !== 'send' || e.type !== 'append' || e.to !== to || (e.t as number) < since) return [];
    const n = (e.msg as { entries: Json[] }).entries.length;
    return n > 0 ? [[e.t as number, n] as [number, number]] : [];
  });
}

/** A 5-node cluster whose leader has settled in, and bursts of writes proposed to it. */
function settledCluster() {
  const c = new Cluster({ params: { 'snapshot-every': '100000' } });
  const leader = c.awaitLeader();
  c.sim.runUntil(c.sim.now + 100);
  let proposed = 0;
  let answered = 0;
  return {
    c,
    since: c.sim.now,
    followers: c.ids.filter((x) => x !== leader),
    /** Proposes `n` writes at the leader at this instant, one client each. */
    propose(n: number): void {
      for (let i = 0; i < n; i++, proposed++) {
        const op = { f: 'put', key: `b/${proposed}`, value: 'v' };
        c.sim.request(leader, `burst-${proposed}`, 1, op, (r) => {
          assert.ok(r.ok, JSON.stringify(r));
          answered++;
        });
      }
    },
    /** Runs until every proposal is answered. */
    settle(): void {
      const end = c.sim.now + 2000;
      while (answered < proposed && c.sim.now < end) c.sim.runUntil(c.sim.now + 1);
      assert.equal(answered, proposed);
      c.assertNoViolation();
    },
  };
}

test('§10.2 batching: proposals of one instant go to each follower as one append', () => {
  const s = settledCluster();
  s.propose(40);
  s.settle();
  for (const id of s.followers) {
    // One per proposal would be four single-entry appends (the window) and then the rest.
    assert.deepEqual(
      appendsTo(s.c, id, s.since).map(([, n]) => n),
      [40],
      `appends to ${id}`,
    );
  }
});

test('§10.2 batching: a burst past one batch fills the window with full batches', () => {
  const s = settledCluster();
  s.propose(300);
  s.settle();
  const appends = appendsTo(s.c, s.followers[0] as NodeId, s.since);
  const first = (appends[0] as [number, number])[0];
  assert.deepEqual(
    appends.filter(([t]) => t === first).map(([, n]) => n),
    [MAX_BATCH, MAX_BATCH, MAX_BATCH, MAX_BATCH],
    'four full batches (the window) at once, the rest as answers come',
  );
  assert.equal(
    appends.reduce((sum, [, n]) => sum + n, 0),
    300,
    'every entry went exactly once',
  );
});

test('§10.2 batching: a proposal at a later instant goes at once, not after the answers', () => {
  const s = settledCluster();
  s.propose(1);
  s.c.sim.runUntil(s.c.sim.now + 0.5);
  s.propose(1);
  s.settle();
  for (const id of s.followers) {
    const appends = appendsTo(s.c, id, s.since);
    assert.deepEqual(
      appends.map(([, n]) => n),
      [1, 1],
    );
    const [[t1], [t2]] = appends as [[number, number], [number, number]];
    // Links take 1 ms each way: the second went before any answer to the first could arrive.
    assert.ok(t2 - t1 < 1, `sent ${t2 - t1} ms apart`);
  }
});

test('§3.5 a stale leader whose uncommitted entries conflict has them overwritten', () => {
  const c = new Cluster({ params: { 'snapshot-every': '100000' } });
  const old = c.awaitLeader();
  c.write({ f: 'put', key: 'x', value: 'committed' });
  c.isolate([old]);
  // The isolated leader still believes in its quorum for a moment and logs these writes.
  for (let i = 0; i < 3; i++)
    c.sim.request(old, 'c9', 100 + i, { f: 'put', key: 'x', value: `lost${i}` }, () => {});
  c.sim.runUntil(c.sim.now + 50);
  const staleLast = c.raft(old).log.lastIndex();
  c.sim.runUntil(c.sim.now + 600);
  c.write({ f: 'put', key: 'x', value: 'new' });
  c.write({ f: 'put', key: 'y', value: 'more' });
  c.sim.heal();
  c.sim.runUntil(c.sim.now + 500);
  const leader = c.leaders()[0] as NodeId;
  assert.notEqual(leader, old);
  const o = c.raft(old);
  const l = c.raft(leader);
  assert.ok(staleLast > 2);
  assert.equal(o.log.lastIndex(), l.log.lastIndex());
  for (let i = 1; i <= l.log.lastIndex(); i++) assert.equal(o.log.term(i), l.log.term(i));
  assert.equal(c.write({ f: 'get', key: 'x' }), 'new');
  c.assertNoViolation();
});

test('§5 snapshots: a lagging follower is caught up by a chunked InstallSnapshot', () => {
  const c = new Cluster({ params: { 'snapshot-every': '10', 'chunk-size': '16' } });
  const leader = c.awaitLeader();
  const lagger = c.ids.find((id) => id !== leader) as NodeId;
  c.sim.crash(lagger);
  for (let i = 0; i < 40; i++) c.write({ f: 'put', key: `k${i % 4}`, value: `v${i}` });
  assert.ok(c.raft(leader).log.snapshotIndex > 20, 'the leader compacted its log');
  c.sim.restart(lagger);
  c.sim.runUntil(c.sim.now + 1000);
  assert.ok(c.sent('snapshot') > 3, 'the snapshot travelled in several chunks');
  const f = c.raft(lagger);
  assert.ok(f.log.snapshotIndex > 0);
  assert.equal(f.lastApplied, c.raft(leader).lastApplied);
  assert.deepEqual(f.sm.snapshot(), c.raft(leader).sm.snapshot());
  c.assertNoViolation();
});

test('§5 recovery from snapshot plus log tail, sessions included', () => {
  const c = new Cluster({ nodes: 3, params: { 'snapshot-every': '8' } });
  c.awaitLeader();
  for (let i = 0; i < 20; i++) c.write({ f: 'append', key: 'k', value: `${i};` });
  const before = c.write({ f: 'get', key: 'k' });
  for (const id of c.ids) c.sim.crash(id);
  for (const id of c.ids) c.sim.restart(id);
  const leader = c.awaitLeader();
  assert.ok(c.raft(leader).log.snapshotIndex > 0, 'restarted from a snapshot');
  assert.equal(c.write({ f: 'get', key: 'k' }), before);
  c.assertNoViolation();
});

test('§6.3 sessions: a request that reaches the leader twice is applied once', () => {
  const c = new Cluster({ nodes: 3 });
  const leader = c.awaitLeader();
  c.sim.runUntil(c.sim.now + 50);
  const replies: unknown[] = [];
  const op = { f: 'append', key: 'k', value: 'x' };
  c.sim.request(leader, 'c7', 41, op, (r) => replies.push(r));
  c.sim.request(leader, 'c7', 41, op, (r) => replies.push(r));
  c.sim.runUntil(c.sim.now + 100);
  c.sim.request(leader, 'c7', 41, op, (r) => replies.push(r));
  c.sim.runUntil(c.sim.now + 100);
  assert.equal(replies.length, 3);
  for (const r of replies) assert.deepEqual(r, { ok: true, value: null });
  assert.equal(c.write({ f: 'get', key: 'k' }), 'x');
  c.assertNoViolation();
});

test('§4.2.1 membership: a learner catches up, is promoted to voter, then removed', () => {
  const c = new Cluster({ params: { voters: 'n1,n2,n3' } });
  const leader = c.awaitLeader(3000, ['n1', 'n2', 'n3']);
  for (let i = 0; i < 10; i++) c.write({ f: 'put', key: 'k', value: `${i}` });
  assert.equal(c.raft('n4').lastApplied, 0, 'n4 is not a member yet');
  const learner = c.call(leader, { f: 'add-learner', node: 'n4' });
  assert.deepEqual(learner, { ok: true, value: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] } });
  c.sim.runUntil(c.sim.now + 300);
  assert.equal(c.raft('n4').lastApplied, c.raft(leader).lastApplied, 'the learner caught up');
  assert.equal(c.raft('n4').role, 'follower');
  const add = c.call(leader, { f: 'add-server', node: 'n4' });
  assert.deepEqual(add, { ok: true, value: { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] } });
  const add5 = c.call(leader, { f: 'add-server', node: 'n5' });
  assert.deepEqual(add5, {
    ok: true,
    value: { voters: ['n1', 'n2', 'n3', 'n4', 'n5'], learners: [] },
  });
  const victim = ['n1', 'n2', 'n3'].find((id) => id !== leader) as NodeId;
  const rm = c.call(leader, { f: 'remove-server', node: victim });
  assert.equal(rm?.ok, true);
  c.write({ f: 'put', key: 'after', value: 'removal' });
  assert.deepEqual(
    [...c.raft(leader).config.voters].sort(),
    ['n1', 'n2', 'n3', 'n4', 'n5'].filter((x) => x !== victim),
  );
  // The removed server can no longer disturb the cluster.
  c.sim.runUntil(c.sim.now + 2000);
  assert.deepEqual(c.leaders(), [leader]);
  c.assertNoViolation();
});

test('membership changes wait for the leader to commit in its term, one at a time', () => {
  const c = new Cluster({ params: { voters: 'n1,n2,n3' } });
  const leader = c.awaitLeader(3000, ['n1', 'n2', 'n3']);
  c.write({ f: 'put', key: 'k', value: 'v' });
  const replies: { ok: boolean }[] = [];
  c.sim.request(leader, 'admin', 1, { f: 'add-learner', node: 'n4' }, (r) => (replies[0] = r));
  c.sim.request(leader, 'admin', 2, { f: 'add-learner', node: 'n5' }, (r) => (replies[1] = r));
  c.sim.runUntil(c.sim.now + 100);
  assert.deepEqual(
    replies.map((r) => r.ok),
    [true, false],
    'the second change is refused while the first is uncommitted',
  );
  c.assertNoViolation();
});

test('§3.10 leadership transfer hands over to an up-to-date voter', () => {
  const c = new Cluster();
  const leader = c.awaitLeader();
  c.write({ f: 'put', key: 'k', value: 'v' });
  const target = c.ids.find((id) => id !== leader) as NodeId;
  const r = c.call(leader, { f: 'transfer-leader', node: target });
  assert.deepEqual(r, { ok: true, value: target });
  c.sim.runUntil(c.sim.now + 100);
  assert.deepEqual(c.leaders(), [target]);
  assert.equal(c.write({ f: 'get', key: 'k' }), 'v');
  c.assertNoViolation();
});

test('lease reads go stale under clock skew beyond the bound; ReadIndex stays correct', () => {
  const stale = (reads: string): unknown => {
    const c = new Cluster({ params: { reads, 'drift-bound': '0.05' } });
    const old = c.awaitLeader();
    c.write({ f: 'put', key: 'k', value: 'old' });
    c.sim.runUntil(c.sim.now + 60);
    // The leader's clock runs at a fifth of true speed: far outside the ±5 % the lease assumes.
    c.sim.setClock(old, c.sim.localTime(old) - c.sim.now, -0.8);
    c.isolate([old]);
    const others = c.ids.filter((id) => id !== old);
    const fresh = c.awaitLeader(2000, others);
    assert.equal(c.call(fresh, { f: 'put', key: 'k', value: 'new' })?.ok, true);
    // The old leader still thinks its lease holds (it hears nobody, but its clock crawls).
    return c.call(old, { f: 'get', key: 'k' }, 500);
  };
  assert.deepEqual(stale('lease'), { ok: true, value: 'old' }, 'the lease read was stale');
  const r = stale('read-index') as { ok: boolean } | undefined;
  assert.ok(r === undefined || r.ok === false, 'ReadIndex never answers from a deposed leader');
});

// ---- §6.4 follower reads ------------------------------------------------------------------------

const followerOf = (c: Cluster, leader: NodeId): NodeId =>
  c.ids.find((id) => id !== leader) as NodeId;
const followerReads = (c: Cluster): number => (c.sim.metrics.get('follower-reads') ?? []).length;

test('§6.4 follower reads: a follower serves a read itself, after applying the read index', () => {
  const c = new Cluster();
  const leader = c.awaitLeader();
  const f = followerOf(c, leader);
  c.write({ f: 'put', key: 'k', value: 'v1' });
  c.write({ f: 'put', key: 'k', value: 'v2' });
  // The put is acknowledged, but the follower only hears of its commit with the next message.
  assert.ok(c.raft(f).lastApplied < c.raft(leader).lastApplied, 'the follower lags');
  const r = c.call(f, { f: 'get', key: 'k' });
  assert.deepEqual(r, { ok: true, value: 'v2' }, 'answered by the follower, and current');
  assert.equal(c.sent('read-index'), 1);
  assert.equal(c.sent('read-index-resp'), 1);
  assert.equal(followerReads(c), 1);
  // Reads that arrive together share one request; those that arrive while it is outstanding
  // share the next one.
  const replies: unknown[] = [];
  for (let i = 0; i < 3; i++)
    c.sim.request(f, `r${i}`, 1, { f: 'get', key: 'k' }, (x) => replies.push(x));
  c.sim.runUntil(c.sim.now + 0.5);
  for (let i = 3; i < 6; i++)
    c.sim.request(f, `r${i}`, 1, { f: 'get', key: 'k' }, (x) => replies.push(x));
  c.sim.runUntil(c.sim.now + 50);
  assert.deepEqual(replies, Array(6).fill({ ok: true, value: 'v2' }));
  assert.equal(c.sent('read-index'), 3, 'two more requests for six reads');
  assert.equal(followerReads(c), 7);
  // Writes are still refused at a follower, and with follower reads off so are reads.
  assert.equal(c.call(f, { f: 'put', key: 'k', value: 'x' })?.ok, false);
  const off = new Cluster({ params: { 'follower-reads': 'off' } });
  const offLeader = off.awaitLeader();
  off.sim.runUntil(off.sim.now + 100);
  assert.deepEqual(off.call(followerOf(off, offLeader), { f: 'get', key: 'k' }), {
    ok: false,
    error: 'not leader',
    definite: true,
    leader: offLeader,
  });
  assert.equal(off.sent('read-index'), 0);
  c.assertNoViolation();
});

test('§6.4 a follower cut off from its leader fails its reads instead of answering stale', () => {
  const c = new Cluster();
  const leader = c.awaitLeader();
  const f = followerOf(c, leader);
  c.write({ f: 'put', key: 'k', value: 'old' });
  c.sim.runUntil(c.sim.now + 100);
  assert.equal(c.raft(f).lastApplied, c.raft(leader).lastApplied);
  // Its requests are lost (it still hears the leader): no answer within an election timeout.
  c.sim.setPartition([[f, leader]]);
  const asked = c.sim.now;
  const lost = c.call(f, { f: 'get', key: 'k' });
  assert.deepEqual(lost, { ok: false, error: 'not leader', definite: true, leader });
  assert.ok(c.sim.now - asked >= 300, 'after one election timeout');
  assert.equal((c.sim.metrics.get('follower-read-timeouts') ?? []).length, 1);
  // Cut off entirely while the majority moves on: whether it still waits for the leader or has
  // given up on it, its read fails (with the old leader as a hint) and is never stale.
  c.isolate([f]);
  c.write({ f: 'put', key: 'k', value: 'new' });
  for (const wait of [0, 100, 400]) {
    c.sim.runUntil(c.sim.now + wait);
    const r = c.call(f, { f: 'get', key: 'k' });
    assert.equal(r?.ok, false, JSON.stringify(r));
    assert.equal(r?.ok === false && r.definite, true);
  }
  assert.equal(followerReads(c), 0, 'never answered');
  c.sim.heal();
  c.sim.runUntil(c.sim.now + 500);
  assert.deepEqual(c.call(f, { f: 'get', key: 'k' }), { ok: true, value: 'new' });
  c.assertNoViolation();
});

test('§6.4 a leader change fails the follower reads waiting on the old leader', () => {
  const c = new Cluster();
  const leader = c.awaitLeader();
  c.write({ f: 'put', key: 'k', value: 'old' });
  const [f, target] = c.ids.filter((id) => id !== leader) as [NodeId, NodeId];
  // The follower's requests never reach the leader (it still hears the leader's heartbeats).
  c.sim.setPartition([[f, leader]]);
  let reply: unknown;
  c.sim.request(f, 'r', 1, { f: 'get', key: 'k' }, (x) => (reply = x));
  c.sim.runUntil(c.sim.now + 5);
  assert.equal(reply, undefined, 'waiting for the read index');
  const asked = c.sim.now;
  assert.deepEqual(c.call(leader, { f: 'transfer-leader', node: target }), {
    ok: true,
    value: target,
  });
  c.sim.runUntil(c.sim.now + 20);
  assert.deepEqual(c.leaders(), [target]);
  assert.equal(c.raft(f).term, c.raft(target).term);
  // The follower adopted the new term on the vote request, before it knew the new leader.
  assert.deepEqual(reply, { ok: false, error: 'not leader', definite: true });
  assert.ok(c.sim.now - asked < 100, 'failed by the change, not by the timeout');
  assert.equal((c.sim.metrics.get('follower-read-timeouts') ?? []).length, 0);
  // The next read asks the new leader and sees its writes.
  c.write({ f: 'put', key: 'k', value: 'new' });
  assert.deepEqual(c.call(f, { f: 'get', key: 'k' }), { ok: true, value: 'new' });
  assert.equal(followerReads(c), 1);
  c.assertNoViolation();
});

test('§6.4 a lagging follower waits to apply the read index (the no-wait mutant does not)', () => {
  const lagging = (mutant?: string): unknown => {
    const params = { 'snapshot-every': '10', 'chunk-size': '16' };
    const c = new Cluster({ params, ...(mutant !== undefined ? { mutant } : {}) });
    const leader = c.awaitLeader();
    const f = followerOf(c, leader);
    c.write({ f: 'put', key: 'k', value: 'old' });
    c.sim.runUntil(c.sim.now + 100);
    c.sim.crash(f);
    for (let i = 0; i < 20; i++) c.write({ f: 'put', key: 'k', value: `new${i}` });
    c.sim.restart(f);
    // Read as soon as the restarted follower knows its leader: it is sent a snapshot in many
    // chunks, one per round trip, so it applies the leader's state well after the read index.
    while (c.raft(f).leader === null) c.sim.runUntil(c.sim.now + 0.1);
    assert.ok(c.raft(f).lastApplied < c.raft(leader).lastApplied);
    const r = c.call(f, { f: 'get', key: 'k' });
    c.assertNoViolation();
    return r;
  };
  assert.deepEqual(lagging(), { ok: true, value: 'new19' });
  assert.deepEqual(lagging('follower-read-no-wait'), { ok: true, value: 'old' }, 'stale');
});

test('§6.4 without a majority of two, a read index needs its round (read-index-no-round mutant)', () => {
  // Five voters: the old leader and one follower are cut off together, and their clocks crawl,
  // so the leader's check-quorum still "hears a majority" (as in the lease test above). The rest
  // elect a new leader and overwrite k. The follower asks the old leader for a read index.
  const staleRead = (mutant?: string): unknown => {
    const c = new Cluster(mutant !== undefined ? { mutant } : {});
    const old = c.awaitLeader();
    const f = followerOf(c, old);
    c.write({ f: 'put', key: 'k', value: 'old' });
    c.sim.runUntil(c.sim.now + 60);
    // Both clocks crawl, so the follower too keeps trusting its (slowed) leader's heartbeats.
    for (const id of [old, f]) c.sim.setClock(id, c.sim.localTime(id) - c.sim.now, -0.8);
    c.isolate([old, f]);
    const others = c.ids.filter((id) => id !== old && id !== f);
    const fresh = c.awaitLeader(2000, others);
    assert.equal(c.call(fresh, { f: 'put', key: 'k', value: 'new' })?.ok, true);
    return c.call(f, { f: 'get', key: 'k' }, 500);
  };
  // Two of five are no majority: the old leader's round gets one answer and never confirms,
  // so the follower's read fails rather than answering from the deposed leader's index.
  const r = staleRead() as { ok: boolean } | undefined;
  assert.ok(r === undefined || r.ok === false, `no stale read: ${JSON.stringify(r)}`);
  assert.deepEqual(staleRead('read-index-no-round'), { ok: true, value: 'old' }, 'stale');
});

test('a commit learned from the leader (a forwarded answer) commits a held entry at once, and only that', () => {
  const c = new Cluster({ nodes: 3 });
  const leader = c.awaitLeader();
  c.sim.runUntil(c.sim.now + 100);
  let answered = false;
  c.sim.request(leader, 'c1', 1, { f: 'put', key: 'k', value: 'v' }, (r) => {
    assert.ok(r.ok, JSON.stringify(r));
    answered = true;
  });
  while (!answered) c.sim.runUntil(c.sim.now + 1);
  const at = c.raft(leader).appliedEntry();
  const follower = c.ids.find((x) => x !== leader) as NodeId;
  const f = c.raft(follower);
  // The leader answered; the follower holds the entry but learns the commit index only with
  // the leader's next append or heartbeat.
  assert.ok(f.log.lastIndex() >= at.index, 'the follower holds the entry');
  assert.ok(f.commitIndex < at.index, 'and has not learned that it is committed');
  const before = f.lastApplied;

  f.learnCommitted(at.index, at.term + 1); // not the entry this log holds
  f.learnCommitted(at.index + 1, at.term); // an entry this log lacks
  c.raft(leader).learnCommitted(at.index + 1, at.term); // a leader keeps to its own rule
  assert.equal(f.commitIndex, before);
  assert.equal(c.raft(leader).commitIndex, at.index);

  f.learnCommitted(at.index, at.term);
  assert.equal(f.commitIndex, at.index);
  assert.equal(f.lastApplied, at.index);
  assert.deepEqual(f.appliedEntry(), at);
  // It applied the leader's entry (the invariants compare every replica's applied entries),
  // a read it serves sees the write, and the run stays safe to the end.
  assert.deepEqual(c.call(follower, { f: 'get', key: 'k' }), { ok: true, value: 'v' });
  c.sim.runUntil(c.sim.now + 500);
  c.assertNoViolation();
});
