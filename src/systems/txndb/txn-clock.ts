/**
 * The two timestamp disciplines of the transactional database, behind one interface:
 *
 * - `truetime` (Spanner): a transaction reads and writes at TT.now().latest and is released to
 *   its client only once TT.after(its timestamp) holds — commit wait. No uncertainty window: any
 *   transaction that starts after the release takes a later timestamp. Strict serializable.
 * - `hlc` (CockroachDB): timestamps from a hybrid logical clock, carried on every message; a read
 *   treats values up to max-offset above its timestamp as uncertain and restarts above them. No
 *   commit wait. Serializable, and linearizable per key.
 */
import {
  HybridLogicalClock,
  type HlcTimestamp,
} from '../../protocols/clocks/hybrid-logical-clock.js';
import { TrueTime } from '../../protocols/clocks/truetime.js';

export type ClockKind = 'truetime' | 'hlc';

export interface TxnStart {
  readonly ts: HlcTimestamp;
  /** The uncertainty limit of the transaction's reads, or null for none. */
  readonly limit: HlcTimestamp | null;
}

export interface TxnClock {
  readonly kind: ClockKind;
  start(): TxnStart;
  /** Local milliseconds to wait before a transaction at `ts` may be released (0: now). */
  commitWaitMs(ts: HlcTimestamp): number;
  /** Merges a timestamp a message carried; false when it is past the max offset (drop it). */
  observe(ts: HlcTimestamp): boolean;
  /** The timestamp to stamp on an outgoing message. */
  stamp(): HlcTimestamp;
}

export interface ClockOptions {
  readonly epsilonMs: number;
  readonly maxOffsetMs: number;
  /** The no-commit-wait mutant: TrueTime without the wait. */
  readonly skipCommitWait: boolean;
}

export function makeTxnClock(kind: ClockKind, now: () => number, options: ClockOptions): TxnClock {
  const hlc = new HybridLogicalClock(now, { maxOffsetMs: options.maxOffsetMs });
  const observe = (ts: HlcTimestamp): boolean => {
    try {
      hlc.update(ts);
      return true;
    } catch {
      return false;
    }
  };
  if (kind === 'hlc') {
    return {
      kind,
      start() {
        const ts = hlc.now();
        return { ts, limit: { wall: ts.wall + options.maxOffsetMs, logical: 0 } };
      },
      commitWaitMs: () => 0,
      observe,
      stamp: () => hlc.now(),
    };
  }
  const tt = new TrueTime(now, options.epsilonMs);
  // Spanner has no logical clock: a node's timestamps come from its own TrueTime alone, and
  // commit wait alone orders transactions in real time. Merging other nodes' timestamps here
  // would hide a missing commit wait behind causality the messages happen to carry. The local
  // clock below only keeps one node's timestamps distinct within a millisecond.
  const local = new HybridLogicalClock(() => tt.now().latest, { maxOffsetMs: options.maxOffsetMs });
  return {
    kind,
    start: () => ({ ts: local.now(), limit: null }),
    commitWaitMs: (ts) => (options.skipCommitWait ? 0 : tt.waitMsUntilAfter(ts.wall)),
    observe: () => true,
    stamp: () => local.now(),
  };
}
