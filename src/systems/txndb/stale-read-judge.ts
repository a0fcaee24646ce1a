/**
 * CockroachDB promises more than serializability without commit wait: no stale reads — each key
 * is linearizable. A transaction that begins after another one finished, in real time, sees that
 * one's writes to every key it reads (the uncertainty window guarantees it while clocks stay
 * within the max offset). Serializability alone does not say so (a read may be ordered before a
 * write that finished earlier), so this judge checks it from a list-append history: a read of a
 * key must contain every element appended to that key by a transaction that completed before the
 * reading transaction was invoked.
 */
import type { Json } from '../../core/json.js';
import type { HistoryOp } from '../../core/history.js';
import type { Judgement } from '../../core/system.js';

interface Append {
  readonly op: number;
  readonly value: Json;
  readonly complete: number;
}

function mopsOf(op: HistoryOp): readonly (readonly [string, string, Json])[] {
  const r = op.result;
  return Array.isArray(r) ? (r as unknown as (readonly [string, string, Json])[]) : [];
}

export function judgeStaleReads(history: readonly HistoryOp[]): Judgement {
  const ok = history.filter((o) => o.outcome === 'ok' && o.f === 'txn');
  const appends = new Map<string, Append[]>();
  for (const o of ok) {
    for (const [f, key, value] of mopsOf(o)) {
      if (f !== 'append') continue;
      const list = appends.get(key) ?? [];
      list.push({ op: o.id, value, complete: o.complete });
      appends.set(key, list);
    }
  }
  for (const list of appends.values()) list.sort((a, b) => a.complete - b.complete);
  let reads = 0;
  for (const o of ok) {
    for (const [f, key, value] of mopsOf(o)) {
      if (f !== 'r' || !Array.isArray(value)) continue;
      reads++;
      const seen = new Set(value.map((v) => JSON.stringify(v)));
      for (const a of appends.get(key) ?? []) {
        if (a.complete >= o.invoke) break;
        if (a.op === o.id || seen.has(JSON.stringify(a.value))) continue;
        return {
          verdict: 'invalid',
          message:
            `stale read: op ${o.id} (invoked at ${o.invoke.toFixed(1)} ms) read ${key} without ${JSON.stringify(a.value)}, ` +
            `appended by op ${a.op}, which had completed at ${a.complete.toFixed(1)} ms`,
          details: { reader: o.id, writer: a.op, key, value: a.value },
        };
      }
    }
  }
  return {
    verdict: 'valid',
    message: `no stale reads: ${reads} reads of ${appends.size} keys`,
    details: { reads },
  };
}
