/**
 * CockroachDB's timestamp cache: the latest timestamp at which each key (or key span) was read,
 * and by whom. A write below it would change what that read saw after the fact, so the write is
 * pushed above it instead — the rule that makes MVCC serializable rather than snapshot isolation.
 * A reader's own later write is not pushed by its own read.
 */
import { compareHlc, nextHlc } from '../clocks/hybrid-logical-clock.js';
import type { Timestamp, TxnId } from './mvcc-types.js';

interface ReadMark {
  readonly ts: Timestamp;
  /** The reader, or null once two readers share the mark (then it pushes everyone). */
  readonly txn: TxnId | null;
}

interface SpanMark extends ReadMark {
  readonly lo: string;
  /** Exclusive upper end; null: unbounded. */
  readonly hi: string | null;
}

function raise(mark: ReadMark | undefined, ts: Timestamp, txn: TxnId | null): ReadMark {
  if (mark === undefined) return { ts, txn };
  const c = compareHlc(ts, mark.ts);
  if (c > 0) return { ts, txn };
  if (c < 0) return mark;
  return { ts, txn: mark.txn === txn ? txn : null };
}

/** The cache as plain data, for a range's snapshot. */
export interface TimestampCacheState {
  readonly keys: readonly (readonly [string, Timestamp, TxnId | null])[];
  readonly spans: readonly (readonly [string, string | null, Timestamp, TxnId | null])[];
}

export class TimestampCache {
  private readonly keys = new Map<string, ReadMark>();
  /**
   * Every key counts as read by someone at this timestamp (CockroachDB's low water): a cache
   * that starts empty at a new lease does not know what the previous leaseholder served, so it
   * starts at the lease's start instead, above every read the old lease could serve.
   */
  private low: Timestamp = { wall: 0, logical: 0 };
  // Spans are few (one per scan) in the workloads run here; a linear list keeps this simple.
  // An interval tree is the known next step if scans grow past a few thousand per range.
  private readonly spans: SpanMark[] = [];

  exportState(): TimestampCacheState {
    return {
      keys: [...this.keys].map(([k, m]) => [k, m.ts, m.txn] as const),
      spans: this.spans.map((s) => [s.lo, s.hi, s.ts, s.txn] as const),
    };
  }

  static fromState(state: TimestampCacheState): TimestampCache {
    const c = new TimestampCache();
    for (const [k, ts, txn] of state.keys) c.keys.set(k, { ts, txn });
    for (const [lo, hi, ts, txn] of state.spans) c.spans.push({ lo, hi, ts, txn });
    return c;
  }

  get lowWater(): Timestamp {
    return this.low;
  }

  raiseLowWater(ts: Timestamp): void {
    if (compareHlc(ts, this.low) > 0) this.low = ts;
  }

  /** A copy holding the marks that touch keys at or above `from` (all of them by default). */
  copy(from = ''): TimestampCache {
    const c = new TimestampCache();
    c.low = this.low;
    for (const [k, m] of this.keys) if (k >= from) c.keys.set(k, m);
    for (const s of this.spans) if (s.hi === null || s.hi > from) c.spans.push(s);
    return c;
  }

  recordRead(key: string, ts: Timestamp, txn: TxnId | null): void {
    this.keys.set(key, raise(this.keys.get(key), ts, txn));
  }

  recordScan(lo: string, hi: string | null, ts: Timestamp, txn: TxnId | null): void {
    const i = this.spans.findIndex((s) => s.lo === lo && s.hi === hi);
    if (i < 0) this.spans.push({ lo, hi, ts, txn });
    else this.spans[i] = { lo, hi, ...raise(this.spans[i], ts, txn) };
  }

  /**
   * The smallest timestamp `writer` may write `key` at, given what was read: just above the
   * latest read of the key by anyone else and above the low water, or `asked` if that is later.
   */
  minWriteTs(key: string, asked: Timestamp, writer: TxnId): Timestamp {
    let min = asked;
    if (compareHlc(this.low, min) >= 0) min = nextHlc(this.low);
    const consider = (mark: ReadMark): void => {
      if (mark.txn === writer) return;
      if (compareHlc(mark.ts, min) >= 0) min = nextHlc(mark.ts);
    };
    const mark = this.keys.get(key);
    if (mark !== undefined) consider(mark);
    for (const s of this.spans) {
      if (key >= s.lo && (s.hi === null || key < s.hi)) consider(s);
    }
    return min;
  }
}
