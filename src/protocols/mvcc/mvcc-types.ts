/**
 * The vocabulary of the transactional database's MVCC layer, as CockroachDB's: versions at
 * timestamps, write intents (provisional values that name their transaction), and the answers a
 * read or a write can get.
 */
import type { Json } from '../../core/json.js';
import type { HlcTimestamp } from '../clocks/hybrid-logical-clock.js';

export type Timestamp = HlcTimestamp;
export type TxnId = string;

/** A committed value of a key; `value: null` is a deletion (a tombstone). */
export interface Version {
  readonly ts: Timestamp;
  readonly value: Json | null;
}

/** What an intent says of its transaction: enough for a reader to find the record and push. */
export interface TxnMeta {
  readonly id: TxnId;
  /** The key holding the transaction record (CockroachDB's anchor key). */
  readonly anchor: string;
  /** Bumped on every restart: an intent of an earlier epoch is not this attempt's write. */
  readonly epoch: number;
  /** The timestamp the transaction writes at (its provisional commit timestamp). */
  readonly writeTs: Timestamp;
  /** Priority for pushes: the higher one wins a conflict. */
  readonly priority: number;
}

export interface Intent {
  readonly txn: TxnMeta;
  readonly value: Json | null;
}

export type ReadAnswer =
  /** The newest version at or below the read timestamp (or none: `value` null, `ts` null). */
  | { readonly kind: 'value'; readonly value: Json | null; readonly ts: Timestamp | null }
  /** Another transaction's intent at or below the read timestamp (or in its uncertainty window). */
  | { readonly kind: 'intent'; readonly intent: Intent }
  /**
   * A committed value above the read timestamp but inside its uncertainty window: it may have
   * been written before the read began in real time, so the reader must restart above it.
   */
  | { readonly kind: 'uncertain'; readonly valueTs: Timestamp };

export type WriteAnswer =
  /** Written as an intent at `writeTs`, which may be later than asked (pushed by the timestamp cache or a newer version). */
  | { readonly kind: 'written'; readonly writeTs: Timestamp; readonly pushed: boolean }
  /** Another transaction's intent holds the key. */
  | { readonly kind: 'intent'; readonly intent: Intent };

export interface ReadOptions {
  readonly ts: Timestamp;
  /** The reading transaction, if any: it sees its own intents (of its current epoch). */
  readonly txn?: TxnMeta;
  /**
   * Values with ts in (ts, uncertaintyLimit] are uncertain (CockroachDB: the read timestamp plus
   * the max clock offset). Absent: no uncertainty (a TrueTime read, or a read that already
   * restarted past every value it could miss).
   */
  readonly uncertaintyLimit?: Timestamp;
}
