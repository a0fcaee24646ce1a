/**
 * Transaction records, as CockroachDB keeps them: one per read-write transaction, on the range of
 * its anchor key, and the single place its fate is decided. A commit and an abort race through
 * the same range's log, so whichever is applied first wins and the other learns it — that is
 * what makes the commit atomic across ranges. Conflicts are settled here too: a transaction that
 * meets another's intent pushes it, and the push aborts the holder if the pusher has the higher
 * priority or the holder's coordinator has gone quiet (wound-wait: a transaction only ever waits
 * for one of higher priority, so waits never form a cycle and nobody waits forever).
 */
import { compareHlc, formatHlc } from '../clocks/hybrid-logical-clock.js';
import type { Timestamp, TxnId } from './mvcc-types.js';

export type TxnStatus = 'pending' | 'committed' | 'aborted';

export interface TxnRecord {
  readonly id: TxnId;
  /** The key the record lives at: it decides which range holds the record after a split. */
  readonly anchor: string;
  readonly status: TxnStatus;
  readonly priority: number;
  /** The commit timestamp once committed. */
  readonly commitTs: Timestamp | null;
  /** The coordinator's clock (ms) when it last showed it was alive. */
  readonly heartbeat: number;
}

export type RecordAnswer =
  | { readonly kind: 'status'; readonly record: TxnRecord }
  /** A push that found the holder alive and of higher priority: wait and push again. */
  | { readonly kind: 'wait'; readonly record: TxnRecord };

export class TxnRecordError extends Error {
  readonly code = 'txn-record';
  constructor(message: string) {
    super(message);
    this.name = 'TxnRecordError';
  }
}

/** Priority, then id: a strict total order, so of two transactions pushing each other one wins. */
export function outranks(
  a: { readonly id: TxnId; readonly priority: number },
  b: TxnRecord,
): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.id > b.id;
}

export class TxnRecords {
  private readonly records = new Map<TxnId, TxnRecord>();

  constructor(
    /** How long a coordinator may stay silent before a push may abort its transaction. */
    readonly expiryMs: number,
  ) {
    if (!(expiryMs > 0) || !Number.isFinite(expiryMs))
      throw new TxnRecordError(`expiry must be > 0 ms, not ${expiryMs}`);
  }

  get(id: TxnId): TxnRecord | undefined {
    return this.records.get(id);
  }

  all(): TxnRecord[] {
    return [...this.records.values()];
  }

  load(records: readonly TxnRecord[]): void {
    this.records.clear();
    for (const r of records) this.records.set(r.id, r);
  }

  /**
   * Creates the record before the transaction lays its first intent, so a pusher always finds
   * it. If a push got there first (and aborted it), the transaction learns it is aborted.
   */
  begin(id: TxnId, anchor: string, priority: number, now: number): TxnRecord {
    const had = this.records.get(id);
    if (had !== undefined) return had;
    const r: TxnRecord = {
      id,
      anchor,
      status: 'pending',
      priority,
      commitTs: null,
      heartbeat: now,
    };
    this.records.set(id, r);
    return r;
  }

  heartbeat(id: TxnId, now: number): TxnRecord | undefined {
    const r = this.records.get(id);
    if (r === undefined || r.status !== 'pending') return r;
    const next = { ...r, heartbeat: Math.max(r.heartbeat, now) };
    this.records.set(id, next);
    return next;
  }

  /** The commit point. A record already aborted stays aborted; a repeat commit is idempotent. */
  commit(id: TxnId, commitTs: Timestamp): TxnRecord {
    const r = this.records.get(id);
    if (r === undefined) {
      throw new TxnRecordError(
        `commit of ${id} without a record: begin lays the record before any intent`,
      );
    }
    if (r.status !== 'pending') {
      if (
        r.status === 'committed' &&
        r.commitTs !== null &&
        compareHlc(r.commitTs, commitTs) !== 0
      ) {
        throw new TxnRecordError(
          `${id} committed at ${formatHlc(r.commitTs)}, asked again at ${formatHlc(commitTs)}`,
        );
      }
      return r;
    }
    const next: TxnRecord = { ...r, status: 'committed', commitTs };
    this.records.set(id, next);
    return next;
  }

  /** The coordinator gives up (a restart or a client's failure). */
  rollback(id: TxnId): TxnRecord | undefined {
    const r = this.records.get(id);
    if (r === undefined || r.status !== 'pending') return r;
    const next: TxnRecord = { ...r, status: 'aborted' };
    this.records.set(id, next);
    return next;
  }

  /** Removes and answers the records anchored at or above `at` (a split's right-hand side). */
  splitAt(at: string): TxnRecord[] {
    const moved = [...this.records.values()].filter((r) => r.anchor >= at);
    for (const r of moved) this.records.delete(r.id);
    return moved;
  }

  push(
    pushee: TxnId,
    anchor: string,
    pusher: { readonly id: TxnId; readonly priority: number },
    now: number,
  ): RecordAnswer {
    const r = this.records.get(pushee);
    if (r === undefined) {
      // No record: the pushee's begin has not been applied here yet, and will find this.
      const aborted: TxnRecord = {
        id: pushee,
        anchor,
        status: 'aborted',
        priority: 0,
        commitTs: null,
        heartbeat: now,
      };
      this.records.set(pushee, aborted);
      return { kind: 'status', record: aborted };
    }
    if (r.status !== 'pending') return { kind: 'status', record: r };
    const expired = now - r.heartbeat > this.expiryMs;
    if (outranks(pusher, r) || expired) {
      const aborted: TxnRecord = { ...r, status: 'aborted' };
      this.records.set(pushee, aborted);
      return { kind: 'status', record: aborted };
    }
    return { kind: 'wait', record: r };
  }
}
