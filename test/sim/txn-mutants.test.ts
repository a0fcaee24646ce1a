/**
 * The 2PC mutants under `--param workload=list-append`, each at a `--swarm` seed (300 ops):
 * which ones the transactional checker catches on its own — the run judged with the system's
 * invariants taken out, so only the history speaks — and, for the rest, that the whole system
 * (invariants and checker) still catches them under the new workload. The correct system's run
 * of every seed is valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SystemDefinition } from '../../src/core/system.js';
import { runChecked, type CheckedRun } from '../../src/sim/checked-run.js';
import { getSystem } from '../../src/systems/index.js';

const OPS = 300;

function listAppend(name: string): SystemDefinition {
  const s = getSystem(name)?.configure?.({ workload: 'list-append' });
  assert.ok(s !== undefined, name);
  return s;
}

/** The system with its invariants taken out: only the history is judged. */
function historyOnly(s: SystemDefinition): SystemDefinition {
  const { checkInvariants: _invariants, ...rest } = s;
  return rest;
}

function run(system: SystemDefinition, seed: number, mutant?: string): CheckedRun {
  return runChecked({
    system,
    seed,
    swarm: true,
    workload: { ops: OPS },
    ...(mutant !== undefined ? { mutant } : {}),
  });
}

/**
 * [system, mutant, swarm seed, the anomaly types the checker reports]. The atomicity mutants
 * commit a transaction at some participants only: the lost appends are read by nobody, and the
 * checker places an append no read shows after the last element read (as Elle does), so a
 * reader that missed it, or a later append, closes a cycle with it.
 */
const BY_THE_CHECKER: readonly (readonly [string, string, number, string])[] = [
  // The coordinator commits on the first yes vote: another participant's part may be refused
  // (its lock held by another transaction) and lost, and its no vote reported reads taken
  // without the lock.
  ['twopc', 'commit-before-all-prepared', 1, 'G-single, G0, G1c, G2-item'],
  // The coordinator's commit record is lost in a crash: participants in doubt learn abort.
  ['twopc', 'no-durable-decision', 1, 'G-single, G0-realtime, G1c-realtime, G2-item'],
  // Reads without locks: write skew, two transactions each missing the other's append.
  ['twopc', 'read-without-lock', 1, 'G2-item'],
  ['paxos-commit', 'read-without-lock', 1, 'G2-item'],
  // An acceptance lost in a crash, a recovery that skips phase 1: an instance chosen twice.
  ['paxos-commit', 'ack-before-sync', 14, 'G-single, G0-realtime, G1c-realtime, G2-item'],
  ['paxos-commit', 'skip-phase1-on-recovery', 2, 'G-single, G0-realtime, G1c-realtime, G2-item'],
];

for (const [name, mutant, seed, anomaly] of BY_THE_CHECKER) {
  test(`${name} ${mutant} (list-append): the transactional checker alone catches it at seed ${seed}`, () => {
    const s = historyOnly(listAppend(name));
    const broken = run(s, seed, mutant);
    assert.equal(broken.failure, null, 'no invariant to fail: the history is the evidence');
    assert.equal(broken.verdict, 'invalid');
    assert.ok(
      broken.judgement?.message.startsWith(`not strict-serializable: ${anomaly} — `),
      broken.judgement?.message,
    );
    const correct = run(s, seed);
    assert.equal(correct.verdict, 'valid', correct.judgement?.message);
  });
}

/**
 * [system, mutant, swarm seed, the invariant's message]: the whole system, invariants first,
 * catches every mutant under list-append too. Paxos Commit's two forgetful-RM mutants are caught
 * only so: they break "one value per ballot", which the acceptors' invariant sees at once, and no
 * seed searched (1-150 for forget-abort-vote, the invariant-catching 145 for
 * forget-released-vote) made one lose a commit that a read could show.
 */
const BY_THE_INVARIANTS: readonly (readonly [string, string, number, RegExp])[] = [
  ['twopc', 'no-durable-decision', 1, /^atomicity: txn \S+ aborted at n\d but committed at n\d$/],
  [
    'paxos-commit',
    'ack-before-sync',
    14,
    /^atomicity: txn \S+ committed at n\d but aborted at n\d$/,
  ],
  [
    'paxos-commit',
    'skip-phase1-on-recovery',
    2,
    /^atomicity: txn \S+ aborted at n\d but committed/,
  ],
  [
    'paxos-commit',
    'forget-abort-vote',
    3,
    /^one value per ballot: acceptor n\d: txn \S+: n\d's instance/,
  ],
  // Searched from seed 1: none in 1-144 (the transfer workload's entry is seed 61).
  [
    'paxos-commit',
    'forget-released-vote',
    145,
    /^one value per ballot: acceptor n\d: txn \S+: n\d's instance got Prepared and then Aborted/,
  ],
];

for (const [name, mutant, seed, message] of BY_THE_INVARIANTS) {
  test(`${name} ${mutant} (list-append): the system's invariants catch it at seed ${seed}`, () => {
    const s = listAppend(name);
    const broken = run(s, seed, mutant);
    assert.equal(broken.verdict, 'invalid');
    assert.equal(broken.failure?.kind, 'invariant');
    assert.match(broken.failure?.message ?? '', message);
    assert.equal(run(s, seed).verdict, 'valid');
  });
}
