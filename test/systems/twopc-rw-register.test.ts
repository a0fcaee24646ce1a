/**
 * The 2PC systems under `--param workload=rw-register`: multi-key transactions of reads and
 * unique writes, judged by the transactional checker's rw-register analysis at strict
 * serializability, valid under every nemesis; the read-without-lock mutant and the 2PC mutants
 * list-append catches are caught by the checker alone (the system's invariants taken out) at
 * pinned seeds, where the correct system is valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SystemDefinition } from '../../src/core/system.js';
import { runChecked, type CheckedRun } from '../../src/sim/checked-run.js';
import { getSystem } from '../../src/systems/index.js';
import { cli } from '../cli/run-cli.js';

const NAMES = ['twopc', 'twopc-replicated', 'paxos-commit'] as const;
const RW = { workload: 'rw-register' };

function rwRegister(name: string): SystemDefinition {
  const s = getSystem(name)?.configure?.(RW);
  assert.ok(s !== undefined, name);
  return s;
}

test('rw-register: strict-serializable under every nemesis at once, with reads that see writes', () => {
  for (const name of NAMES) {
    for (const seed of [1]) {
      const run = runChecked({
        system: rwRegister(name),
        seed,
        nemesis: 'all',
        workload: { ops: 200 },
      });
      const where = `${name} --nemesis all --seed ${seed}`;
      assert.equal(
        run.verdict,
        'valid',
        `${where}: ${run.failure?.message ?? run.judgement?.message}`,
      );
      assert.match(
        run.judgement?.message ?? '',
        /^strict-serializable: rw-register, 200 transactions/,
      );
      // The history holds register transactions: writes and reads of single values, some of
      // them values another transaction wrote, and several keys per transaction.
      let seen = 0;
      let multiKey = 0;
      for (const op of run.history) {
        assert.equal(op.f, 'txn', where);
        if (op.outcome !== 'ok') continue;
        const mops = op.result as [string, string, unknown][];
        if (new Set(mops.map((m) => m[1])).size > 1) multiKey++;
        for (const [f, , v] of mops) {
          assert.ok(f === 'r' || f === 'w', `${where}: micro-op ${f}`);
          assert.ok(v === null || typeof v === 'number', `${where}: value ${JSON.stringify(v)}`);
          if (f === 'r' && v !== null) seen++;
        }
      }
      assert.ok(seen > 50, `${where}: only ${seen} reads of a written value`);
      assert.ok(multiKey > 50, `${where}: only ${multiKey} transactions over several keys`);
    }
  }
});

test('rw-register: under --swarm too (a few seeds; the sweeps are in docs/checker.md)', () => {
  for (const name of NAMES) {
    for (const seed of [7]) {
      const run = runChecked({
        system: rwRegister(name),
        seed,
        swarm: true,
        workload: { ops: 200 },
      });
      assert.equal(
        run.verdict,
        'valid',
        `${name} --swarm --seed ${seed}: ${run.judgement?.message}`,
      );
    }
  }
});

/** The system with its invariants taken out: only the history is judged. */
function historyOnly(s: SystemDefinition): SystemDefinition {
  const { checkInvariants: _invariants, ...rest } = s;
  return rest;
}

function swarmRun(system: SystemDefinition, seed: number, mutant?: string, ops = 300): CheckedRun {
  return runChecked({
    system,
    seed,
    swarm: true,
    workload: { ops },
    ...(mutant !== undefined ? { mutant } : {}),
  });
}

/**
 * [system, mutant, swarm seed, the anomaly types the checker reports, operations (300 unless
 * given)]: the first seed from 1 at which the checker alone catches each. With unique writes the checker orders two
 * versions of a key only where a transaction read one and wrote the next (or one is the initial
 * null), so it needs read-modify-writes, which the workload issues.
 */
const BY_THE_CHECKER: readonly (readonly [string, string, number, string, number?])[] = [
  ['twopc', 'read-without-lock', 11, 'G2-item'],
  ['twopc-replicated', 'read-without-lock', 3, 'G-single-process'],
  ['paxos-commit', 'read-without-lock', 3, 'G-single-process, G2-item'],
  [
    'twopc',
    'commit-before-all-prepared',
    1,
    'G-single-process, G1c-realtime, G2-item, lost-update',
  ],
  ['twopc', 'no-durable-decision', 29, 'G-single-realtime'],
  ['paxos-commit', 'skip-phase1-on-recovery', 3, 'G-single-process'],
  // None of swarm seeds 1-200 at 300 operations; at 1000 the first is 10.
  ['paxos-commit', 'ack-before-sync', 10, 'G-single-process, G2-item, lost-update', 1000],
];

for (const [name, mutant, seed, anomaly, ops] of BY_THE_CHECKER) {
  test(`${name} ${mutant} (rw-register): the transactional checker alone catches it at seed ${seed}`, () => {
    const s = historyOnly(rwRegister(name));
    const broken = swarmRun(s, seed, mutant, ops);
    assert.equal(broken.failure, null, 'no invariant to fail: the history is the evidence');
    assert.equal(broken.verdict, 'invalid');
    assert.ok(
      broken.judgement?.message.startsWith(`not strict-serializable: ${anomaly} — `),
      broken.judgement?.message,
    );
    const correct = swarmRun(s, seed, undefined, ops);
    assert.equal(correct.verdict, 'valid', correct.judgement?.message);
  });
}

test('the rw-register schema takes writes, not appends; list-append the reverse', () => {
  const cluster = ['n1', 'n2', 'n3', 'n4'];
  const prepare = { type: 'prepare', txn: '1.1', changes: { A: 0 }, mops: [[0, 'w', 'A', 7]] };
  const appending = { ...prepare, mops: [[0, 'append', 'A', 7]] };
  for (const name of NAMES) {
    const rw = rwRegister(name).checkMessage;
    const la = getSystem(name)?.configure?.({ workload: 'list-append' })?.checkMessage;
    const plain = getSystem(name)?.checkMessage;
    assert.ok(rw !== undefined && la !== undefined && plain !== undefined, name);
    assert.equal(rw(prepare, cluster), undefined, name);
    assert.match(rw(appending, cluster) ?? '', /malformed micro-op/, name);
    assert.equal(la(appending, cluster), undefined, name);
    assert.match(la(prepare, cluster) ?? '', /malformed micro-op/, name);
    // A real process's schema takes either workload's prepares.
    assert.equal(plain(prepare, cluster), undefined, name);
    assert.equal(plain(appending, cluster), undefined, name);
    assert.match(
      rw({ type: 'prepare', txn: '1.1', changes: { A: 0 } }, cluster) ?? '',
      /without its micro-ops/,
    );
  }
});

test('truthkit sim: --param workload=rw-register, the read-without-lock mutant caught', async () => {
  const caught = await cli(
    'sim',
    'twopc',
    '--param',
    'workload=rw-register',
    '--mutant',
    'read-without-lock',
    '--seed',
    '7',
    '--ops',
    '300',
    '--no-progress',
  );
  assert.equal(caught.code, 1, caught.err);
  assert.match(caught.out, /judge: not strict-serializable: G-single — G-single: op \d+ -rw C-> /);
  const valid = await cli(
    'sim',
    'twopc',
    '--param',
    'workload=rw-register',
    '--seed',
    '7',
    '--ops',
    '300',
    '--no-progress',
  );
  assert.equal(valid.code, 0, valid.out);
  assert.match(valid.out, /judge: strict-serializable: rw-register, 300 transactions/);
});
