/**
 * etcd's key-range rules, shared by Range, DeleteRange, Txn compares, Watch and the duplicate
 * checks of Txn. Keys are binary strings (one char per byte), so JS string order is byte order.
 *
 *  - range_end absent or '' → just `key`;
 *  - range_end '\0'         → every key ≥ key (so key '\0' with range_end '\0' is every key,
 *                             since no key is empty);
 *  - otherwise              → [key, range_end), empty when range_end ≤ key.
 */

/** A half-open interval of keys: `hi` null = unbounded above. */
export interface KeyInterval {
  readonly lo: string;
  readonly hi: string | null;
  /** True when the interval is the one key `lo` (range_end ''). */
  readonly single: boolean;
}

export function keyInterval(key: string, rangeEnd: string | undefined): KeyInterval {
  if (rangeEnd === undefined || rangeEnd === '') return { lo: key, hi: null, single: true };
  if (rangeEnd === '\0') return { lo: key, hi: null, single: false };
  return { lo: key, hi: rangeEnd, single: false };
}

export function inInterval(k: string, iv: KeyInterval): boolean {
  if (iv.single) return k === iv.lo;
  return k >= iv.lo && (iv.hi === null || k < iv.hi);
}

/** Index of the first element of sorted `keys` that is ≥ `key` (binary search). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calls `visit` for every key of sorted `keys` inside `iv`, in order. */
export function forEachIn(
  keys: readonly string[],
  iv: KeyInterval,
  visit: (k: string) => void,
): void {
  if (iv.single) {
    const i = lowerBound(keys, iv.lo);
    if (keys[i] === iv.lo) visit(iv.lo);
    return;
  }
  for (let i = lowerBound(keys, iv.lo); i < keys.length; i++) {
    const k = keys[i] as string;
    if (iv.hi !== null && k >= iv.hi) return;
    visit(k);
  }
}
