/**
 * What `truthkit check --model list-append|rw-register` does once the history is read: check
 * it, and render the text or JSON and, if asked, the HTML report. Loaded on demand by
 * src/cli/commands/check.ts, so a linearizability check does not load it.
 */
import type { HistoryOp } from '../../core/history.js';
import type { ConsistencyModel } from './anomalies.js';
import { checkTransactions, type TxnCheckResult } from './check-txn.js';
import { renderTxnReport } from './report-html.js';
import { formatTxnSummary } from './summary.js';
import type { TxnWorkload } from './txn-history.js';

export interface TxnRunOptions {
  readonly file: string;
  readonly format: string;
  readonly workload: TxnWorkload;
  readonly consistencyModel?: ConsistencyModel;
  readonly json?: boolean;
  /** Where the report goes (named in the output); the caller writes `html` there. */
  readonly report?: string;
}

export interface TxnRun {
  readonly verdict: TxnCheckResult['verdict'];
  readonly text: string;
  readonly html?: string;
}

export function runTxnCheck(ops: readonly HistoryOp[], o: TxnRunOptions): TxnRun {
  const result = checkTransactions(ops, {
    workload: o.workload,
    ...(o.consistencyModel !== undefined ? { consistencyModel: o.consistencyModel } : {}),
  });
  const html =
    o.report !== undefined ? renderTxnReport(result, ops, `truthkit check ${o.file}`) : undefined;
  const text = o.json
    ? JSON.stringify(
        {
          file: o.file,
          format: o.format,
          model: o.workload,
          ...result,
          ...(o.report !== undefined ? { report: o.report } : {}),
        },
        null,
        2,
      ) + '\n'
    : formatTxnSummary(result, o.file) +
      (o.report !== undefined ? `Report written to ${o.report}\n` : '');
  return { verdict: result.verdict, text, ...(html !== undefined ? { html } : {}) };
}
