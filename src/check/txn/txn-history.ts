/**
 * Transactions in a history, as Elle records them: a `HistoryOp` with `f: 'txn'` whose `value`
 * is the list of micro-operations as invoked, `[[f, key, v], …]`, and — for an `ok` op — whose
 * `result` is the same list as completed, reads filled in. This module holds the shape, the
 * validator (shared with the EDN reader, which converts Elle's histories into it) and the
 * normalised form the checker works on.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { HistoryError } from '../errors.js';

/** `r` reads (v null as invoked), `w` writes a register, `append` appends to a list. */
export type MicroOpF = 'r' | 'w' | 'append';
export type TxnValue = number | string;
/** A micro-op as recorded: `[f, key, v]`; keys may be numbers in Elle's histories. */
export type MicroOp = readonly [MicroOpF, string | number, Json];

/** Which of Elle's workloads a history is: lists appended to, or registers written. */
export const TXN_WORKLOADS = ['list-append', 'rw-register'] as const;
export type TxnWorkload = (typeof TXN_WORKLOADS)[number];

export function isTxnWorkload(name: string): name is TxnWorkload {
  return (TXN_WORKLOADS as readonly string[]).includes(name);
}

export const TXN_F = 'txn';

/** A micro-op with its key as a string and its read value checked for the workload. */
export interface Mop {
  readonly f: MicroOpF;
  readonly key: string;
  /** Written or appended value; for a read: the list read (list-append) or the value. */
  readonly value: TxnValue | readonly TxnValue[] | null;
}

/** One transaction, ready to check. */
export interface Txn {
  /** Dense index (position in `ops`). */
  readonly index: number;
  readonly op: HistoryOp;
  /** Completed micro-ops for `ok`; the invoked ones otherwise (reads are null). */
  readonly mops: readonly Mop[];
}

const isValue = (v: unknown): v is TxnValue =>
  (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string';

function describe(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** Why `mops` (one op's `value` or `result`) is malformed, or undefined. */
function mopsProblem(
  mops: unknown,
  workload: TxnWorkload,
  what: 'value' | 'result',
  reads: 'null' | 'filled',
): string | undefined {
  if (!Array.isArray(mops)) return `${what} must be a list of micro-ops, got ${describe(mops)}`;
  for (let i = 0; i < mops.length; i++) {
    const m: unknown = mops[i];
    const at = `${what}[${i}]`;
    if (!Array.isArray(m) || m.length !== 3)
      return `${at} must be [f, key, value], got ${describe(m)}`;
    const [f, key, v] = m as unknown[];
    if (typeof key !== 'string' && !(typeof key === 'number' && Number.isFinite(key)))
      return `${at}: the key must be a string or a number, got ${describe(key)}`;
    if (f === 'r') {
      if (reads === 'null') {
        if (v !== null) return `${at}: an invoked read's value must be null, got ${describe(v)}`;
      } else if (workload === 'list-append') {
        if (v !== null && !(Array.isArray(v) && v.every(isValue)))
          return `${at}: a list-append read returns a list of numbers or strings or null, got ${describe(v)}`;
      } else if (v !== null && !isValue(v))
        return `${at}: a register read returns a number, a string or null, got ${describe(v)}`;
    } else if (f === (workload === 'list-append' ? 'append' : 'w')) {
      if (!isValue(v)) return `${at}: the value must be a number or a string, got ${describe(v)}`;
    } else {
      const allowed = workload === 'list-append' ? '"r" or "append"' : '"r" or "w"';
      return `${at}: the micro-op must be ${allowed} for ${workload}, got ${describe(f)}`;
    }
  }
  return undefined;
}

/**
 * Why `op` is not a well-formed transaction of `workload`, or undefined. Unknown and failed
 * transactions need only their invoked micro-ops; an `ok` one's `result` must be the same
 * micro-ops in the same order, with the reads filled in.
 */
export function validateTxnOp(op: HistoryOp, workload: TxnWorkload): string | undefined {
  if (op.f !== TXN_F) return `f must be "${TXN_F}", got ${describe(op.f)}`;
  const invoked = mopsProblem(op.value, workload, 'value', 'null');
  if (invoked) return invoked;
  if (op.outcome !== 'ok') return undefined;
  const done = mopsProblem(op.result, workload, 'result', 'filled');
  if (done) return done;
  const value = op.value as readonly MicroOp[];
  const result = op.result as readonly MicroOp[];
  if (value.length !== result.length)
    return `result has ${result.length} micro-ops but value has ${value.length}`;
  for (let i = 0; i < value.length; i++) {
    const [f, k, v] = value[i] as MicroOp;
    const [rf, rk, rv] = result[i] as MicroOp;
    if (f !== rf || String(k) !== String(rk) || (f !== 'r' && v !== rv))
      return `result[${i}] ${describe(result[i])} is not the invoked ${describe(value[i])}`;
  }
  return undefined;
}

/** Validates every op (a HistoryError names the first bad one) and normalises keys. */
export function toTxns(ops: readonly HistoryOp[], workload: TxnWorkload): Txn[] {
  const txns: Txn[] = [];
  for (const op of ops) {
    const problem = validateTxnOp(op, workload);
    if (problem !== undefined) throw new HistoryError(`operation ${op.id}: ${problem}`);
    if (op.outcome === 'ok' && !(op.complete >= op.invoke))
      throw new HistoryError(`operation ${op.id} (txn): completes before it is invoked`);
    const raw = (op.outcome === 'ok' ? op.result : op.value) as readonly MicroOp[];
    const mops = raw.map(([f, key, value]): Mop => {
      if (f === 'r' && workload === 'list-append' && value === null)
        return { f, key: String(key), value: op.outcome === 'ok' ? [] : null };
      return { f, key: String(key), value: value as Mop['value'] };
    });
    txns.push({ index: txns.length, op, mops });
  }
  return txns;
}
