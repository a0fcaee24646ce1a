/**
 * The two timestamp disciplines, shown where they matter: one transaction appends to a key on a
 * node whose clock is fast, then — after it has finished, in real time — another reads the key
 * on a node whose clock is slow. With clocks inside the promised bound, TrueTime's commit wait
 * and the HLC's uncertainty restart each make the read see the append; without them (the
 * mutants) it does not; with clocks past the bound (skew-beyond-bound), neither holds, as
 * Spanner's and CockroachDB's papers say.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { runChecked, type CheckedRun } from '../../../src/sim/checked-run.js';
import { cockroachSystem, spannerSystem } from '../../../src/systems/txndb/txndb.js';

interface Scenario {
  readonly mutant?: string;
  readonly params?: Record<string, string>;
  /** n1's and n2's clock offsets from true time. */
  readonly offsets: readonly [number, number];
  readonly beyondBound?: boolean;
  /** When the reading client starts (the writer starts at 1 s). */
  readonly readAt: number;
}

function run(base: SystemDefinition, seed: number, s: Scenario): CheckedRun {
  // Client 0 (on n1) appends, client 1 (on n2) reads: one transaction each.
  const system: SystemDefinition = {
    ...base,
    nextOp: (_random, process, issued): Json =>
      process === 0
        ? { f: 'txn', value: [['append', 'k00', issued + 1]] }
        : { f: 'txn', value: [['r', 'k00', null]] },
  };
  const clock = (node: string, offset: number) => ({
    kind: 'clock' as const,
    node,
    offset,
    drift: 0,
    at: 0,
    ...(s.beyondBound === true ? { beyondBound: true } : {}),
  });
  return runChecked(
    {
      system,
      seed,
      ...(s.mutant !== undefined ? { mutant: s.mutant } : {}),
      ...(s.params !== undefined ? { params: s.params } : {}),
      workload: { clients: 2, ops: 2, startMs: [1000, s.readAt], thinkMs: 1e6 },
      script: [clock('n1', s.offsets[0]), clock('n2', s.offsets[1])],
    },
    { checkTimeoutMs: 10_000 },
  );
}

/** The read's list, and whether the writer had finished before the reader began. */
function outcome(r: CheckedRun): { read: Json; writerFirst: boolean } {
  const [w, rd] = r.history;
  assert.ok(
    w !== undefined && rd !== undefined && w.outcome === 'ok' && rd.outcome === 'ok',
    JSON.stringify(r.history),
  );
  const read = (rd.result as Json[][])[0]![2]!;
  return { read, writerFirst: w.complete < rd.invoke };
}

const SEEDS = [1, 2, 3];

test('cockroach: a read that starts after a write finished sees it, on a clock 480 ms behind (uncertainty restart)', () => {
  for (const seed of SEEDS) {
    const r = run(cockroachSystem, seed, { offsets: [240, -240], readAt: 1100 });
    assert.equal(r.verdict, 'valid', `seed ${seed}: ${r.judgement?.message}`);
    const o = outcome(r);
    assert.ok(o.writerFirst, `seed ${seed}: the scenario needs the write finished first`);
    assert.deepEqual(o.read, [1]);
    assert.ok(
      (r.metrics['txn.uncertainty-restart']?.count ?? 0) >= 1,
      `seed ${seed}: no uncertainty restart`,
    );
  }
});

test('cockroach mutant ignore-uncertainty: the same read misses the write, and the stale-read judge says so', () => {
  for (const seed of SEEDS) {
    const r = run(cockroachSystem, seed, {
      mutant: 'ignore-uncertainty',
      offsets: [240, -240],
      readAt: 1100,
    });
    assert.equal(r.verdict, 'invalid', `seed ${seed}`);
    assert.match(r.judgement?.message ?? '', /^stale read: op 1 .* read k00 without 1/);
  }
});

test('cockroach with clocks past the max offset: stale reads, as CockroachDB documents', () => {
  const verdicts = SEEDS.map((seed) =>
    run(cockroachSystem, seed, { offsets: [400, -400], beyondBound: true, readAt: 1100 }),
  );
  assert.ok(
    verdicts.some((r) => r.verdict === 'invalid' && /^stale read/.test(r.judgement?.message ?? '')),
    verdicts.map((r) => r.verdict).join(','),
  );
});

test('cockroach keeps clock faults inside its bound: an offset asked past it is clamped, and the read stays fresh', () => {
  const r = run(cockroachSystem, 1, { offsets: [400, -400], readAt: 1100 });
  assert.equal(r.verdict, 'valid', r.judgement?.message);
  assert.deepEqual(outcome(r).read, [1]);
});

const SPANNER = { params: { epsilon: '100' }, offsets: [100, -100] as const };

test('spanner: commit wait holds the writer until its timestamp has passed everywhere, so a later reader on a slow clock sees it', () => {
  for (const seed of SEEDS) {
    const r = run(spannerSystem, seed, { ...SPANNER, readAt: 1300 });
    assert.equal(r.verdict, 'valid', `seed ${seed}: ${r.judgement?.message}`);
    const o = outcome(r);
    assert.ok(o.writerFirst, `seed ${seed}: the scenario needs the write finished first`);
    assert.deepEqual(o.read, [1]);
    // The writer waited out about 2ε after its timestamp was taken.
    assert.ok(
      r.history[0]!.complete - r.history[0]!.invoke >= 180,
      `seed ${seed}: no commit wait seen`,
    );
  }
});

test('spanner mutant no-commit-wait: the writer answers early, a later reader misses it — G-single-realtime', () => {
  for (const seed of SEEDS) {
    const r = run(spannerSystem, seed, { ...SPANNER, mutant: 'no-commit-wait', readAt: 1100 });
    assert.equal(r.verdict, 'invalid', `seed ${seed}`);
    assert.ok(outcome(r).writerFirst);
    assert.match(r.judgement?.message ?? '', /not strict-serializable: G-single-realtime/);
  }
});

test('spanner with clocks past ε: commit wait no longer suffices — G-single-realtime', () => {
  for (const seed of SEEDS) {
    const r = run(spannerSystem, seed, {
      ...SPANNER,
      offsets: [300, -300],
      beyondBound: true,
      readAt: 1300,
    });
    assert.equal(r.verdict, 'invalid', `seed ${seed}`);
    assert.match(r.judgement?.message ?? '', /G-single-realtime/);
  }
});
