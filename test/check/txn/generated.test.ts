/**
 * Histories from the seeded in-memory database (src/check/txn/memory-db.ts). Its serializable
 * mode must never be flagged (no false positive over thousands of histories, with aborts and
 * unknown outcomes); each weaker isolation level is a mutant of it — one guarantee removed —
 * whose anomalies the checker must find and name, while still passing the level it does keep.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AnomalyType, ConsistencyModel } from '../../../src/check/txn/anomalies.js';
import { checkTransactions } from '../../../src/check/txn/check-txn.js';
import { generateTxnHistory, type Isolation } from '../../../src/check/txn/memory-db.js';
import type { TxnWorkload } from '../../../src/check/txn/txn-history.js';

const WORKLOADS: TxnWorkload[] = ['list-append', 'rw-register'];

function run(
  workload: TxnWorkload,
  isolation: Isolation,
  model: ConsistencyModel,
  seeds: number,
  txns: number,
): { invalid: number; types: Set<AnomalyType> } {
  let invalid = 0;
  const types = new Set<AnomalyType>();
  for (let seed = 1; seed <= seeds; seed++) {
    const ops = generateTxnHistory({
      seed,
      workload,
      isolation,
      txns,
      processes: 2 + (seed % 5),
      activeKeys: 2 + (seed % 4),
      writesPerKey: 8,
      unknownRate: 0.05,
      abortRate: 0.05,
    });
    const r = checkTransactions(ops, { workload, consistencyModel: model });
    if (r.verdict !== 'valid') invalid++;
    for (const t of r.anomalyTypes) types.add(t);
  }
  return { invalid, types };
}

describe('no false positives', () => {
  for (const workload of WORKLOADS)
    test(`${workload}: 1500 serializable histories are strict-serializable, no anomaly at all`, () => {
      const { invalid, types } = run(workload, 'serializable', 'strict-serializable', 1500, 30);
      assert.deepEqual([...types], []);
      assert.equal(invalid, 0);
    });

  for (const workload of WORKLOADS)
    test(`${workload}: 300 serializable histories are strong-session-serializable`, () => {
      const { types } = run(workload, 'serializable', 'strong-session-serializable', 300, 30);
      assert.deepEqual([...types], []);
    });
});

describe('weakened isolation: the checker’s mutants', () => {
  for (const workload of WORKLOADS) {
    test(`${workload}: snapshot isolation passes as such, and its write skew (G2-item) is found`, () => {
      assert.equal(run(workload, 'snapshot-isolation', 'snapshot-isolation', 200, 30).invalid, 0);
      const ser = run(workload, 'snapshot-isolation', 'serializable', 200, 30);
      assert.ok(ser.invalid > 0);
      assert.deepEqual([...ser.types], ['G2-item']);
    });

    test(`${workload}: read committed passes as such; lost updates and G-single are found`, () => {
      assert.equal(run(workload, 'read-committed', 'read-committed', 200, 30).invalid, 0);
      const si = run(workload, 'read-committed', 'snapshot-isolation', 200, 30);
      assert.ok(si.invalid > 0);
      for (const t of ['G-single', 'lost-update', 'G2-item'] as const)
        assert.ok(si.types.has(t), `${t} not in ${[...si.types].join()}`);
      for (const t of si.types) assert.ok(!/^G(0|1)/.test(t), `read committed showed ${t}`);
    });

    test(`${workload}: read uncommitted shows aborted and intermediate reads (G1a, G1b)`, () => {
      const rc = run(workload, 'read-uncommitted', 'read-committed', 200, 30);
      assert.ok(rc.invalid > 0);
      for (const t of ['G1a', 'G1b'] as const)
        assert.ok(rc.types.has(t), `${t} not in ${[...rc.types].join()}`);
    });
  }

  test('a serializable history with a third of its transactions moved earlier is caught only by order edges', () => {
    // Strictness removed: every third transaction's window moves 40 ticks earlier, so it can
    // look complete before transactions it read from began, or run before its client's previous one.
    let caught = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const ops = generateTxnHistory({
        seed,
        workload: 'list-append',
        isolation: 'serializable',
        txns: 30,
      });
      const shifted = ops.map((op) => ({
        ...op,
        invoke: op.invoke - 40,
        complete: op.complete - 40,
      }));
      const late = ops.map((op, i) => (i % 3 === 0 ? shifted[i] : op)) as typeof ops;
      assert.equal(checkTransactions(late, { workload: 'list-append' }).verdict, 'valid');
      const strict = checkTransactions(late, {
        workload: 'list-append',
        consistencyModel: 'strict-serializable',
      });
      if (strict.verdict === 'invalid') {
        caught++;
        assert.ok(
          strict.anomalyTypes.every((t) => /-(realtime|process)$/.test(t)),
          strict.anomalyTypes.join(),
        );
      }
    }
    assert.ok(caught > 10, `caught ${caught}`);
  });
});
