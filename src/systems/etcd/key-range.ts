/**
 * etcd's key-range rules, shared by Range, DeleteRange, Txn compares, Watch and the duplicate
 * checks of Txn. Keys are binary strings (one char per byte), so JS string order is byte order.
 *
 *  - range_end absent or '' → just `key`;
 *  - range_end '\0'         → every key ≥ key (so key '\0' with range_end '\0' is every key,
 *                             since no key is empty);
 *  - otherwise              → [key, range_end), empty when range_end ≤ key.
 */

import type { KeyInterval } from '../../core/key-index.js';
export type { KeyInterval };

export function keyInterval(key: string, rangeEnd: string | undefined): KeyInterval {
  if (rangeEnd === undefined || rangeEnd === '') return { lo: key, hi: null, single: true };
  if (rangeEnd === '\0') return { lo: key, hi: null, single: false };
  return { lo: key, hi: rangeEnd, single: false };
}

export function inInterval(k: string, iv: KeyInterval): boolean {
  if (iv.single) return k === iv.lo;
  return k >= iv.lo && (iv.hi === null || k < iv.hi);
}
