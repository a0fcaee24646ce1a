/**
 * The final audit of a chaos run: after the faults end and the cluster has recovered, every key
 * is read once, and every acknowledged write must still be visible — its own value, or the value
 * of a write that may have come after it. Values are unique per write, so the value read names
 * the write that made it.
 *
 * A write W (an ok put, or an ok cas that swapped) is lost when the key's final value is
 *   - absent (nothing in the load deletes), or
 *   - not the value of any write in the history, or
 *   - the value of a write X acknowledged before W was invoked (X then certainly precedes W,
 *     so W must have been overwritten by X — impossible — or dropped).
 * A write whose outcome was unknown may have taken effect at any time after its invocation, so
 * its value counts as possibly later than any W invoked before that write completes, which is
 * never. This is a weaker check than linearizability (the checker judges the whole history
 * too); it is here because it names the lost writes, as an operator would count them.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';

export interface LostWrite {
  readonly key: string;
  readonly id: number;
  readonly value: Json;
  /** The key's final value (null when absent). */
  readonly found: Json;
}

export interface AuditResult {
  /** Acknowledged writes: ok puts and ok cas operations that swapped. */
  readonly acknowledged: number;
  readonly lost: readonly LostWrite[];
  /** Keys whose final read did not succeed: their writes could not be audited. */
  readonly unread: readonly string[];
}

/** The value an operation wrote, when it may have written one. */
function written(op: HistoryOp): Json | undefined {
  if (op.f === 'put') return op.value;
  if (op.f === 'cas' && Array.isArray(op.value) && op.value.length === 2) return op.value[1];
  return undefined;
}

function acknowledgedWrite(op: HistoryOp): boolean {
  if (op.outcome !== 'ok') return false;
  if (op.f === 'put') return true;
  return op.f === 'cas' && op.result === true;
}

/**
 * `finals` maps each key to its final read: the value (null when absent), or undefined when
 * the read did not succeed.
 */
export function auditWrites(
  history: readonly HistoryOp[],
  finals: ReadonlyMap<string, Json | undefined>,
): AuditResult {
  const writers = new Map<string, Map<string, HistoryOp>>();
  for (const op of history) {
    const v = written(op);
    if (op.key === undefined || v === undefined || op.outcome === 'fail') continue;
    if (op.f === 'cas' && op.outcome === 'ok' && op.result !== true) continue;
    let byValue = writers.get(op.key);
    if (byValue === undefined) writers.set(op.key, (byValue = new Map()));
    byValue.set(JSON.stringify(v), op);
  }
  let acknowledged = 0;
  const lost: LostWrite[] = [];
  const unread = new Set<string>();
  for (const op of history) {
    if (op.key === undefined || !acknowledgedWrite(op)) continue;
    acknowledged++;
    if (!finals.has(op.key)) continue; // a key the audit did not read (none in a chaos run)
    const found = finals.get(op.key);
    if (found === undefined) {
      unread.add(op.key);
      continue;
    }
    const maker = found === null ? undefined : writers.get(op.key)?.get(JSON.stringify(found));
    const visible =
      maker !== undefined &&
      (maker.id === op.id || maker.outcome !== 'ok' || maker.complete >= op.invoke);
    if (!visible) lost.push({ key: op.key, id: op.id, value: written(op) ?? null, found });
  }
  return { acknowledged, lost, unread: [...unread].sort() };
}
