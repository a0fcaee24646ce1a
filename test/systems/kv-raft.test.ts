/**
 * kv-raft under faults: seeds × every nemesis plan, each history checked for linearizability
 * and each run for liveness after the final heal; and the mutants, each caught by a sweep.
 */
import { test } from 'node:test';
import { assertHealthy } from './healthy-run.js';
import assert from 'node:assert/strict';
import { nemesisPlans } from '../../src/sim/nemesis.js';
import { runChecked, type CheckedRun } from '../../src/sim/checked-run.js';
import type { NemesisTiming } from '../../src/sim/nemesis.js';
import { getSystem } from '../../src/systems/index.js';
import { kvRaftSystem, raftOptionsFrom } from '../../src/systems/kv/kv-raft.js';

/** After the final heal, some operation invoked after it succeeds within this long. */

function run(
  seed: number,
  nemesis: string,
  ops: number,
  extra: {
    mutant?: string;
    nemesisTiming?: NemesisTiming;
    params?: Record<string, string>;
    nodes?: number;
  } = {},
): CheckedRun {
  return runChecked(
    { system: kvRaftSystem, seed, nemesis, workload: { ops }, ...extra },
    { checkTimeoutMs: 10_000 },
  );
}

test('kv-raft is registered with its mutants', () => {
  const s = getSystem('kv-raft');
  assert.equal(s, kvRaftSystem);
  assert.equal(s?.model, 'kv');
  assert.deepEqual(
    s?.mutants.map((m) => m.name),
    [
      'vote-not-durable',
      'commit-old-term',
      'read-from-follower',
      'no-sync-before-ack',
      'follower-read-no-wait',
      'read-index-no-round',
      'join-as-voter',
      'promote-unready',
      'remove-below-quorum',
      'joining-votes',
      'vote-without-log-check',
    ],
  );
  assert.equal(raftOptionsFrom({ 'follower-reads': 'off' }).followerReads, false);
  assert.equal(raftOptionsFrom({ 'follower-reads': 'on' }).followerReads, true);
  assert.throws(() => raftOptionsFrom({ 'follower-reads': 'yes' }), /'on' or 'off'/);
});

/** Reads the followers served themselves in a run (so the checker judged them too). */
const followerReads = (r: CheckedRun): number => r.metrics['follower-reads']?.count ?? 0;

for (const plan of nemesisPlans()) {
  test(`sweep: ${plan.name} × 20 seeds is linearizable and recovers after the heal`, () => {
    let served = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = run(seed, plan.name, 300);
      assertHealthy(r);
      served += followerReads(r);
    }
    assert.ok(served > 0, 'followers served some of the reads');
  });
}

test('three nodes: follower reads answered without a round stay linearizable under every plan', () => {
  // With three voters the leader and the asking follower are a majority, so the leader answers
  // a read-index request at once (raft-node.ts onReadIndex); five nodes never take that path.
  let withoutRound = 0;
  let served = 0;
  for (const plan of [...nemesisPlans().map((p) => p.name), 'all']) {
    for (let seed = 1; seed <= 8; seed++) {
      const r = run(seed, plan, 300, { nodes: 3 });
      assertHealthy(r);
      withoutRound += r.metrics['read-index-without-round']?.count ?? 0;
      served += followerReads(r);
    }
  }
  assert.ok(withoutRound > 0 && served > 0, `${withoutRound} answers, ${served} reads`);
  const five = run(1, 'none', 300);
  assert.ok(followerReads(five) > 0);
  assert.equal(five.metrics['read-index-without-round']?.count ?? 0, 0, 'five voters: a round');
});

test('sweep: all plans combined × 60 seeds is linearizable and recovers', () => {
  for (let seed = 1; seed <= 60; seed++) assertHealthy(run(seed, 'all', 300));
});

test('with follower reads on, followers serve most reads; off, none', () => {
  // Clients start at their home node, so with five nodes four in five first reach a follower.
  const on = run(1, 'none', 300);
  const off = run(1, 'none', 300, { params: { 'follower-reads': 'off' } });
  for (const r of [on, off]) assert.equal(r.verdict, 'valid');
  const reads = on.history.filter((o) => o.f === 'get' && o.outcome === 'ok').length;
  assert.ok(followerReads(on) > reads / 2, `${followerReads(on)} of ${reads} reads`);
  assert.equal(followerReads(off), 0);
});

test('the same seed gives the same run', () => {
  const a = run(7, 'crash,partition-halves,lossy', 200);
  const b = run(7, 'crash,partition-halves,lossy', 200);
  assert.equal(a.traceDigest, b.traceDigest);
  assert.deepEqual(a.history, b.history);
});

/** Seeds in `range` the mutant is caught on (invalid verdict or invariant failure). */
function caught(
  mutant: string,
  nemesis: string,
  seeds: number,
  nemesisTiming?: NemesisTiming,
): number[] {
  const out: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = run(seed, nemesis, 300, { mutant, ...(nemesisTiming ? { nemesisTiming } : {}) });
    if (r.verdict === 'invalid') out.push(seed);
  }
  return out;
}

const FAST_CRASHES: NemesisTiming = { faultMs: [20, 200], healMs: [20, 200] };

test('mutant read-from-follower is caught by partition-one', () => {
  assert.ok(caught('read-from-follower', 'partition-one', 5).length > 0);
});

test('mutant no-sync-before-ack is caught by fast crash-restart cycles', () => {
  assert.ok(caught('no-sync-before-ack', 'crash', 10, FAST_CRASHES).length > 0);
});

test('mutant follower-read-no-wait is caught by lossy links', (t) => {
  // Lost appends leave a follower behind the commit index the leader hands it.
  const seeds = caught('follower-read-no-wait', 'lossy', 5);
  t.diagnostic(`follower-read-no-wait caught under lossy on seeds ${seeds.join(' ')}`);
  assert.ok(seeds.length > 0, 'not caught on seeds 1-5');
});
