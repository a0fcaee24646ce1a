/**
 * What the SQL layer needs from a transactional key-value store: interactive, serializable
 * transactions over an ordered key space of strings. The in-memory store (memory-txn-kv.ts)
 * implements it for tests and `truthkit sql serve`; the distributed database (src/systems/txndb,
 * its interactive coordinator sessions) will implement it on each node.
 *
 * Callback-based, not promise-based: the simulator's nodes are driven by callbacks and never
 * await, so the same executor runs in a simulated node and behind the real wire port (which may
 * wrap these calls in promises). A callback may be called synchronously (the memory store does)
 * or later (the database does); callers must not assume either.
 *
 * Keys compare as JavaScript strings (UTF-16 code units), which is how the txndb's ranges and
 * the MVCC store order them; values are strings (an encoded row or descriptor).
 */

/** Why a KV call failed; the SQL layer maps each to a SQLSTATE (sql-errors.ts). */
export type TxnKvErrorCode =
  /** The database restarted or aborted the transaction; running it again may succeed (40001). */
  | 'retry'
  /** The transaction is already committed, rolled back or failed: no more calls (25P02). */
  | 'txn-closed'
  /** The store cannot serve now (no leaseholder, shutting down); the outcome of a commit is
   * unknown if this is a commit's answer (08006, connection failure, as CockroachDB's 40003). */
  | 'unavailable';

export class TxnKvError extends Error {
  constructor(
    readonly code: TxnKvErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TxnKvError';
  }
}

export type KvResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TxnKvError };
export type KvDone<T> = (result: KvResult<T>) => void;

/**
 * A transaction's timestamp: the hybrid-logical-clock pair the database orders it by (wall
 * milliseconds and a logical counter). `now()` and `cluster_logical_timestamp()` show it.
 */
export interface TxnTimestamp {
  readonly wallMs: number;
  readonly logical: number;
}

export interface KvPair {
  readonly key: string;
  readonly value: string;
}

/** One open transaction. After commit, rollback or any error other than none, it is closed. */
export interface TxnHandle {
  /** The key's value as this transaction sees it (its own writes included), or null. */
  get(key: string, done: KvDone<string | null>): void;
  /**
   * Pairs with start <= key < end in key order, at most `limit` (0: no limit), its own writes
   * included and its own deletes excluded. The whole [start, end) counts as read for
   * serializability, even when the limit cut the answer short.
   */
  scan(start: string, end: string, limit: number, done: KvDone<readonly KvPair[]>): void;
  put(key: string, value: string, done: KvDone<null>): void;
  delete(key: string, done: KvDone<null>): void;
  /** Makes every write visible at once, or fails with 'retry' and nothing is written. */
  commit(done: KvDone<null>): void;
  rollback(done: KvDone<null>): void;
  /** The timestamp the transaction reads at now (it may move up until commit). */
  timestamp(): TxnTimestamp;
}

export interface TxnKv {
  begin(done: KvDone<TxnHandle>): void;
}

export function kvOk<T>(value: T): KvResult<T> {
  return { ok: true, value };
}

export function kvFail<T>(code: TxnKvErrorCode, message: string): KvResult<T> {
  return { ok: false, error: new TxnKvError(code, message) };
}
