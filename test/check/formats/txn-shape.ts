/**
 * The transaction shape agreed with the transactional checker (until its own validator,
 * src/check/txn/txn-history.ts, is on main): `f: 'txn'`; `value` the micro-operations as
 * invoked, `[f, key, v]` with f `r` | `w` | `append`, a string key, and v null for reads; for an
 * ok operation `result` the same micro-operations as completed, reads filled in (null, a value,
 * or a list of values).
 */
import type { HistoryOp } from '../../../src/core/history.js';

const scalar = (v: unknown): boolean => typeof v === 'number' || typeof v === 'string';

function microOps(value: unknown, completed: boolean): value is unknown[][] {
  if (!Array.isArray(value)) return false;
  return value.every((m: unknown) => {
    if (!Array.isArray(m) || m.length !== 3) return false;
    const [f, key, v] = m as [unknown, unknown, unknown];
    if (typeof key !== 'string') return false;
    if (f === 'w' || f === 'append') return scalar(v);
    if (f !== 'r') return false;
    if (!completed) return v === null;
    return v === null || scalar(v) || (Array.isArray(v) && v.every(scalar));
  });
}

export function isTxnHistoryOp(op: HistoryOp): boolean {
  if (op.f !== 'txn' || !microOps(op.value, false)) return false;
  if (op.outcome !== 'ok') return op.result === undefined;
  if (!microOps(op.result, true) || op.result.length !== op.value.length) return false;
  // The completion is the invocation with its reads filled in.
  return op.result.every((m, i) => {
    const invoked = (op.value as unknown[][])[i] as unknown[];
    return m[0] === invoked[0] && m[1] === invoked[1] && (m[0] === 'r' || m[2] === invoked[2]);
  });
}
