/**
 * Binary search over sorted times. The trace, the snapshots and the operations are all kept in
 * time order, so "what is visible between t0 and t1" and "the latest state at t" are
 * logarithmic lookups, never scans: that is what keeps drawing fast on long runs.
 */

/** The first index whose time is >= t (times.length when none is). */
export function lowerBound(
  times: ArrayLike<number>,
  t: number,
  from = 0,
  to = times.length,
): number {
  return firstWhere(times, (x) => x >= t, from, to);
}

/** The first index whose time is > t (times.length when none is). */
export function upperBound(
  times: ArrayLike<number>,
  t: number,
  from = 0,
  to = times.length,
): number {
  return firstWhere(times, (x) => x > t, from, to);
}

/** The first index in [from, to) whose time satisfies `past`, a predicate monotone in time. */
function firstWhere(
  times: ArrayLike<number>,
  past: (time: number) => boolean,
  from: number,
  to: number,
): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(times[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The index of the last time <= t, or -1 when every time is later. */
export function lastAtOrBefore(times: ArrayLike<number>, t: number): number {
  return upperBound(times, t) - 1;
}

/** The half-open index range [start, end) of times within [t0, t1]. */
export function rangeWithin(times: ArrayLike<number>, t0: number, t1: number): [number, number] {
  const start = lowerBound(times, t0);
  return [start, upperBound(times, t1, start)];
}

/**
 * A growable list of numbers in a typed array, for per-event times of long traces without an
 * object per number. Values must be appended in non-decreasing order to be searchable.
 */
export class TimeColumn {
  private data = new Float64Array(1024);
  length = 0;

  push(t: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = t;
  }

  get(i: number): number {
    return this.data[i] as number;
  }

  /** A view of the filled part (no copy), for the search functions above. */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
