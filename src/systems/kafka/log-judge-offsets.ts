/**
 * What the whole history says is in the log: for each partition and offset the value some op
 * showed there (an ok send's acknowledged offset, or an ok poll's record), and for each value the
 * places it was shown at. Two values at one offset is `inconsistent-offset`; one value at two
 * places is `duplicate` — both found as the facts come in, each counted once.
 */
import type { Evidence } from './log-judge-evidence.js';
import type { LogValue } from './log-judge-ops.js';

export interface Witness {
  readonly value: LogValue;
  /** The op that showed it. */
  readonly op: number;
  readonly via: 'send' | 'poll';
}

export interface Place {
  readonly key: string;
  readonly offset: number;
  readonly op: number;
}

function describeValue(v: LogValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export class OffsetFacts {
  private readonly byKey = new Map<string, Map<number, Witness>>();
  /** (key, offset)s already reported as inconsistent, so each counts once. */
  private readonly conflicted = new Map<string, Set<number>>();
  private readonly placeOf = new Map<LogValue, Place>();
  private readonly duplicated = new Set<LogValue>();
  private readonly highestRead = new Map<string, { offset: number; op: number }>();
  /** Per value, the places polls read it at (usually one; more is a duplicate). */
  private readonly readAt = new Map<LogValue, Place[]>();
  private readonly sorted = new Map<string, number[]>();

  constructor(private readonly evidence: Evidence) {}

  /** An op showed `value` at (key, offset). */
  see(key: string, offset: number, value: LogValue, op: number, via: 'send' | 'poll'): void {
    let at = this.byKey.get(key);
    if (at === undefined) this.byKey.set(key, (at = new Map()));
    const before = at.get(offset);
    if (before === undefined) {
      at.set(offset, { value, op, via });
      this.sorted.delete(key);
    } else if (before.value !== value) {
      let seen = this.conflicted.get(key);
      if (seen === undefined) this.conflicted.set(key, (seen = new Set()));
      if (!seen.has(offset)) {
        seen.add(offset);
        this.evidence.add('inconsistent-offset', {
          ops: [before.op, op],
          key,
          offset,
          value,
          why:
            `${key} offset ${offset} held ${describeValue(before.value)} by op ${before.op} ` +
            `(${before.via}) but ${describeValue(value)} by op ${op} (${via})`,
        });
      }
    }
    const place = this.placeOf.get(value);
    if (place === undefined) {
      this.placeOf.set(value, { key, offset, op });
    } else if ((place.key !== key || place.offset !== offset) && !this.duplicated.has(value)) {
      this.duplicated.add(value);
      this.evidence.add('duplicate', {
        ops: [place.op, op],
        key,
        offset,
        value,
        why:
          `value ${describeValue(value)} is at ${place.key} offset ${place.offset} by op ` +
          `${place.op} and at ${key} offset ${offset} by op ${op} (${via})`,
      });
    }
    if (via === 'poll') {
      const high = this.highestRead.get(key);
      if (high === undefined || offset > high.offset) this.highestRead.set(key, { offset, op });
      const places = this.readAt.get(value);
      if (places === undefined) this.readAt.set(value, [{ key, offset, op }]);
      else if (!places.some((p) => p.key === key && p.offset === offset)) {
        places.push({ key, offset, op });
      }
    }
  }

  /** The highest offset any ok poll read of `key`, and the poll. */
  highest(key: string): { offset: number; op: number } | undefined {
    return this.highestRead.get(key);
  }

  /** The places ok polls read `value` at, first read first. */
  readPlaces(value: LogValue): readonly Place[] {
    return this.readAt.get(value) ?? [];
  }

  partitions(): number {
    return this.byKey.size;
  }

  /** The lowest offset strictly between lo and hi that some op showed a record at. */
  firstBetween(key: string, lo: number, hi: number): { offset: number; at: Witness } | undefined {
    const at = this.byKey.get(key);
    if (at === undefined || hi - lo < 2) return undefined;
    let offsets = this.sorted.get(key);
    if (offsets === undefined) {
      offsets = [...at.keys()].sort((a, b) => a - b);
      this.sorted.set(key, offsets);
    }
    // The first index whose offset is > lo.
    let a = 0;
    let b = offsets.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if ((offsets[m] ?? Infinity) <= lo) a = m + 1;
      else b = m;
    }
    const offset = offsets[a];
    if (offset === undefined || offset >= hi) return undefined;
    const w = at.get(offset);
    if (w === undefined) throw new Error(`offset ${offset} of ${key} sorted but not stored`);
    return { offset, at: w };
  }
}

export { describeValue };
