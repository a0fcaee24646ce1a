/**
 * The admin client (src/sim/membership-workload.ts): a run with membership changes makes them
 * for real, keeps them out of the checked history, and is judged on recovering after the final
 * heal; that judge fails the remove-below-quorum mutant, whose accepted removal leaves a
 * configuration whose majority never runs again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import { judgeRecovery, type MembershipSettings } from '../../src/sim/membership-workload.js';
import {
  RunOptionError,
  runSimulation,
  type RunOptions,
  type RunResult,
} from '../../src/sim/run.js';
import { drawSwarm } from '../../src/sim/swarm.js';
import { getSystem } from '../../src/systems/index.js';

const system = (name: string) => {
  const s = getSystem(name);
  assert.ok(s !== undefined);
  return s;
};

const SETTINGS: MembershipSettings = {
  pauseMs: 50,
  wipe: 1,
  kill: 0.3,
  noticeMs: 1000,
  downMs: 20,
  patienceMs: 2000,
  retryMs: 20,
  overlap: 0,
  addAfterMs: 0,
};

const KV_OPS = new Set(['get', 'put', 'append', 'cas', 'delete', 'range']);

function notes(run: RunResult): string[] {
  return (run.trace ?? []).flatMap((e) =>
    e.e === 'nemesis' && e.plan === 'membership' ? [e.detail] : [],
  );
}

for (const name of ['kv-raft', 'etcd-raft']) {
  test(`${name}: the admin client removes, wipes, re-adds and promotes; the run stays valid`, () => {
    const r = runChecked({
      system: system(name),
      seed: 3,
      nodes: 3,
      membership: SETTINGS,
      nemesis: 'partition-one',
      keepTrace: true,
      workload: { ops: 300, clients: 3 },
    });
    const done = notes(r);
    for (const step of ['remove', 'wipe', 'add-learner', 'promote']) {
      assert.ok(
        done.some((d) => d.startsWith(step) && (step === 'wipe' || d.includes(': done by'))),
        `no ${step} happened: ${done.join(' | ')}`,
      );
    }
    assert.ok(
      r.history.every((op) => KV_OPS.has(op.f)),
      'admin operations stay out of the history',
    );
    assert.equal(r.verdict, 'valid', r.failure?.message ?? r.judgement?.message);
  });
}

test('membership changes for a system that takes none are a usage error', () => {
  assert.throws(
    () => runSimulation({ system: system('paxos'), seed: 1, membership: SETTINGS }),
    RunOptionError,
  );
});

test('under --swarm some seeds of kv-raft draw membership changes, paxos never', () => {
  const drawn = (name: string) =>
    Array.from({ length: 20 }, (_, i) =>
      runSimulation({ system: system(name), seed: i + 1, swarm: true, workload: { ops: 20 } }),
    ).filter((r) => r.swarm?.membership !== null).length;
  const raft = drawn('kv-raft');
  assert.ok(raft > 0 && raft < 20, `${raft} of 20`);
  assert.equal(drawn('paxos'), 0);
});

test('the recovery judge fails a run in which nothing succeeded after the final heal', () => {
  const run = (firstOkAt: number | null) => ({ healedAt: 100, firstOkAt });
  assert.equal(judgeRecovery(run(150)).verdict, 'valid');
  assert.equal(judgeRecovery(run(null)).verdict, 'invalid');
});

/**
 * Seed 77's swarm run as it was before the stale-member regime (stale-member.ts) redrew it: the
 * same mix with the regime taken out (the same trace digest as before the regime existed).
 */
function seed77(name: string): RunOptions {
  const mix = drawSwarm(system(name), 77);
  assert.ok(mix.membership !== null);
  const { stale, ...membership } = mix.membership;
  assert.ok(stale !== undefined, 'seed 77 no longer draws the regime: use its own mix');
  return {
    system: system(name),
    seed: 77,
    swarm: true,
    swarmMix: { ...mix, membership },
    workload: { ops: 300 },
  };
}

test('mutant remove-below-quorum: a live voter removed while another is dead; never recovers', () => {
  // Seed 77 (searched from 1 with every swarm draw merged, before the stale-member regime): a
  // disk dies and the operator removes a live voter; the mutant accepts it, leaving a
  // configuration whose majority never runs again. The correct system refuses it.
  const options = seed77('kv-raft');
  const broken = runChecked({ ...options, mutant: 'remove-below-quorum' });
  assert.equal(broken.verdict, 'invalid');
  assert.match(broken.judgement?.message ?? '', /after the final heal/);
  assert.equal(runChecked(options).verdict, 'valid');
});

test('a leader elected a moment ago removes no live voter while another is dead', () => {
  // Seed 77 (3 nodes, both systems): n3 became leader and, within 40 ms, accepted the removal of
  // live n2 while n1's disk was dead — each follower counted as heard from at the election —
  // leaving voters {n1, n3} with n1 down for good. A removal now counts only followers that
  // answered this leader (Progress.answeredAt).
  for (const name of ['kv-raft', 'etcd-raft']) {
    const r = runChecked(seed77(name));
    assert.equal(r.verdict, 'valid', `${name} seed 77: ${r.judgement?.message ?? r.verdict}`);
  }
});
