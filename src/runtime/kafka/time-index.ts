/**
 * ListOffsets by timestamp without reading the log from its start: an index of batches in
 * offset order with, for each, the largest timestamp of it and every batch before it — Kafka's
 * `.timeindex` keeps the same running maximum, so its entries ascend in both fields even when
 * producers' timestamps do not. The first batch holding a timestamp at or after `t` is then the
 * first entry whose running maximum reaches `t`, found by binary search.
 *
 * Kept in memory, rebuilt when the log is opened (the single broker's open already reads every
 * batch header to rebuild producer state) — Kafka's file survives restarts; this index costs a
 * header scan per open instead. Entries dropped from the front (retention) leave running maxima
 * that may count removed batches: a lookup can then answer an earlier batch than the first that
 * qualifies, never a later one, so callers scan forward from it and check each batch.
 */

/** Each removes one rule; test/runtime/kafka/time-index.test.ts catches each. */
export const TIME_INDEX_MUTANTS = [
  /** Entries hold each batch's own largest timestamp, not the running maximum. */
  'own-max',
] as const;
export type TimeIndexMutant = (typeof TIME_INDEX_MUTANTS)[number];

export class TimeIndexError extends Error {
  readonly code = 'time-index-order';
  constructor(message: string) {
    super(message);
    this.name = 'TimeIndexError';
  }
}

export class TimeIndex {
  private offsets: number[] = [];
  private maxima: number[] = [];
  /** Where the live entries begin (dropped ones are cut in bulk, not one shift each). */
  private start = 0;

  constructor(private readonly mutant?: TimeIndexMutant) {}

  get size(): number {
    return this.offsets.length - this.start;
  }

  /** The next batch, at `baseOffset` (above every batch indexed), with its largest timestamp. */
  append(baseOffset: number, maxTimestamp: number): void {
    const last = this.offsets.at(-1);
    if (this.size > 0 && last !== undefined && baseOffset <= last) {
      throw new TimeIndexError(`batch at ${baseOffset} after one at ${last}`);
    }
    const before = this.size > 0 ? (this.maxima.at(-1) as number) : -Infinity;
    this.offsets.push(baseOffset);
    this.maxima.push(this.mutant === 'own-max' ? maxTimestamp : Math.max(before, maxTimestamp));
  }

  /** Base offset of the first indexed batch holding a timestamp ≥ `timestamp`, if any. */
  lookup(timestamp: number): number | undefined {
    let lo = this.start;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.maxima[mid] as number) >= timestamp) hi = mid;
      else lo = mid + 1;
    }
    return lo < this.offsets.length ? this.offsets[lo] : undefined;
  }

  /** Forgets batches at or after `offset` (the log was truncated there). */
  truncateTo(offset: number): void {
    let n = this.offsets.length;
    while (n > this.start && (this.offsets[n - 1] as number) >= offset) n--;
    this.offsets.length = n;
    this.maxima.length = n;
  }

  /** Forgets batches that begin before `offset` (the log start moved past them). */
  dropBefore(offset: number): void {
    while (this.start < this.offsets.length && (this.offsets[this.start + 1] ?? Infinity) <= offset)
      this.start++;
    if (this.start > 1024 && this.start * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.start);
      this.maxima = this.maxima.slice(this.start);
      this.start = 0;
    }
  }
}
