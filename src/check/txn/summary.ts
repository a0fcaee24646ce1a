/** The text `truthkit check --model list-append|rw-register` prints without --json. */
import type { AnomalyEvidence } from './anomalies.js';
import type { TxnCheckResult } from './check-txn.js';

export function formatTxnSummary(result: TxnCheckResult, file: string): string {
  const model = result.consistencyModel;
  const verdict =
    result.verdict === 'valid'
      ? model
      : result.verdict === 'invalid'
        ? `NOT ${model}`
        : `unknown whether ${model} (cycle search budget exhausted)`;
  const { ok, fail, unknown } = result.outcomes;
  let text =
    `${file}: ${verdict} — ${result.workload}, ${result.ops} transactions ` +
    `(${ok} ok, ${fail} failed, ${unknown} unknown), ${result.edges} dependency edges, ` +
    `${result.wallMs.toFixed(1)} ms\n`;
  if (result.anomalyTypes.length === 0) return text + 'No anomalies found.\n';
  text += `Anomalies: ${result.anomalyTypes.map((t) => `${t} (${result.counts[t] ?? 0})`).join(', ')}\n`;
  text += `Rules out: ${result.ruledOut.length > 0 ? result.ruledOut.join(', ') : 'none of the models offered'}\n`;
  for (const a of result.anomalies) text += formatAnomaly(a);
  return text;
}

export function formatAnomaly(a: AnomalyEvidence): string {
  if ('cycle' in a) {
    let text = `\n${a.type}: a cycle of ${a.cycle.length}\n`;
    for (const s of a.cycle)
      text += `  op ${s.from} -${s.kind}${s.key !== undefined ? ` ${s.key}` : ''}-> op ${s.to}: ${s.why}\n`;
    return text;
  }
  return `\n${a.type}: ${a.why}\n`;
}
