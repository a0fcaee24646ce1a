/**
 * Transactional checker benchmark: 100 000 list-append transactions from the seeded in-memory
 * serializable database, checked as they are (valid) and with a read skew (G-single) planted in
 * the middle, each under serializable and strict-serializable. Run alone with
 * `node dist/bench/txn-check.js` (TXN_BENCH_TXNS overrides the size), or from bench/run.ts.
 * Times exclude generating the history; best of 3.
 */
import { pathToFileURL } from 'node:url';
import type { HistoryOp } from '../src/core/history.js';
import type { ConsistencyModel } from '../src/check/txn/anomalies.js';
import { checkTransactions } from '../src/check/txn/check-txn.js';
import { generateTxnHistory } from '../src/check/txn/memory-db.js';

const RUNS = 3;
const LIMIT_S = 5;

/** Three transactions on fresh keys: T1 reads x before T2's append and y after it. */
export function plantGSingle(ops: readonly HistoryOp[]): HistoryOp[] {
  const mid = ops[ops.length >> 1] as HistoryOp;
  const t = mid.invoke;
  const id = ops.length;
  const txn = (
    n: number,
    process: number,
    value: unknown[],
    result: unknown[],
    invoke: number,
  ): HistoryOp =>
    ({
      id: id + n,
      process,
      f: 'txn',
      value,
      result,
      invoke,
      complete: invoke + 3,
      outcome: 'ok',
    }) as HistoryOp;
  return [
    ...ops,
    txn(
      0,
      -1,
      [
        ['r', 'gx', null],
        ['r', 'gy', null],
      ],
      [
        ['r', 'gx', []],
        ['r', 'gy', [1]],
      ],
      t,
    ),
    txn(
      1,
      -2,
      [
        ['append', 'gx', 1],
        ['append', 'gy', 1],
      ],
      [
        ['append', 'gx', 1],
        ['append', 'gy', 1],
      ],
      t,
    ),
    txn(2, -3, [['r', 'gx', null]], [['r', 'gx', [1]]], t + 5),
  ];
}

export function run(): void {
  const n = Number(process.env.TXN_BENCH_TXNS ?? 100_000);
  const genStart = performance.now();
  const valid = generateTxnHistory({
    seed: 1,
    workload: 'list-append',
    isolation: 'serializable',
    txns: n,
    processes: 10,
    unknownRate: 0.01,
    abortRate: 0.01,
  });
  const genS = (performance.now() - genStart) / 1000;
  const planted = plantGSingle(valid);
  const cases: { name: string; ops: HistoryOp[]; expect: string }[] = [
    { name: 'valid', ops: valid, expect: '' },
    { name: 'planted G-single', ops: planted, expect: 'G-single' },
  ];
  const rows = [];
  for (const c of cases)
    for (const model of ['serializable', 'strict-serializable'] as ConsistencyModel[]) {
      let best = Infinity;
      let edges = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = checkTransactions(c.ops, { workload: 'list-append', consistencyModel: model });
        const types = r.anomalyTypes.join(',');
        if (types !== c.expect)
          throw new Error(`${c.name} under ${model}: found [${types}], expected [${c.expect}]`);
        best = Math.min(best, r.wallMs / 1000);
        edges = r.edges;
      }
      rows.push({
        history: c.name,
        model,
        txns: c.ops.length,
        edges,
        'check (s)': best.toFixed(2),
        [`under ${LIMIT_S} s`]: best < LIMIT_S ? 'yes' : 'NO',
      });
    }
  console.log(
    `Transactional checker, list-append (best of ${RUNS}; history generated in ${genS.toFixed(1)} s)`,
  );
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) run();
