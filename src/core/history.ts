/**
 * Histories: what clients saw. One record per operation, from invocation to completion, in the
 * JSON-lines format documented in docs/history-format.md. Checkers judge histories; they never
 * look inside nodes.
 */
import type { Json } from './json.js';

/**
 * `ok`: completed, and `result` is what it returned. `fail`: certainly did not take effect.
 * `unknown`: may or may not have taken effect, at any time after `invoke` (timeouts, crashes).
 */
export type Outcome = 'ok' | 'fail' | 'unknown';

export interface HistoryOp {
  /** Position in invocation order, from 0. */
  readonly id: number;
  /** The client (process) that issued it; a client has at most one operation in flight. */
  readonly process: number;
  /** The operation's name: get, put, append, cas, delete (kv); read, write, cas (register)… */
  readonly f: string;
  /** The key, for models partitioned by key. */
  readonly key?: string;
  /** The argument: the value written or appended; `[from, to]` for cas. */
  readonly value?: Json;
  /** Milliseconds (virtual in the simulator, real elsewhere). */
  readonly invoke: number;
  /** When the client stopped waiting; for `unknown` this bounds nothing. */
  readonly complete: number;
  readonly outcome: Outcome;
  /** What an `ok` operation returned: the value read (null when absent), true/false for cas. */
  readonly result?: Json;
  /** Why it failed or is unknown. */
  readonly error?: string;
  /** The node that answered, when one did. */
  readonly node?: string;
}

/** A HistoryOp under construction (filled in as the operation completes). */
export type HistoryOpDraft = { -readonly [K in keyof HistoryOp]: HistoryOp[K] };

/** One JSON line per operation. */
export function historyToJsonLines(ops: readonly HistoryOp[]): string {
  let out = '';
  for (const op of ops) out += JSON.stringify(op) + '\n';
  return out;
}
