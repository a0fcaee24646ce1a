/**
 * Keys in order, for range scans (etcd's MVCC store, the transactional database's MVCC): a B+ tree (sorted-btree), so a new key costs
 * O(log n). It was a sorted array kept by splice, O(n) per new key: 100,000 keys put in random
 * order averaged 21 µs per put and rose linearly (40 µs at the end), where keys in order took 5.
 */
import * as sortedBtree from 'sorted-btree';
import { simpleComparator } from 'sorted-btree';

/** The part of sorted-btree's BTree used here, as a set of strings. */
interface StringTree {
  readonly size: number;
  set(key: string, value: undefined): boolean;
  delete(key: string): boolean;
  has(key: string): boolean;
  keys(firstKey?: string): IterableIterator<string>;
  forRange(low: string, high: string, includeHigh: boolean, visit: (k: string) => void): number;
}
type BTreeConstructor = new (
  entries: undefined,
  compare: (a: string, b: string) => number,
) => StringTree;

/**
 * sorted-btree is CommonJS with its class on `exports.default`: Node's ESM loader gives the
 * whole `module.exports` as the default export, a bundler (the lab's Vite) gives
 * `exports.default`. Either way the namespace leads to the class.
 */
function btreeClass(): BTreeConstructor {
  const d = (sortedBtree as unknown as { default: unknown }).default;
  const inner = (d as { default?: unknown } | undefined)?.default;
  const found = typeof d === 'function' ? d : inner;
  if (typeof found !== 'function') throw new Error('sorted-btree: no BTree class found');
  return found as unknown as BTreeConstructor;
}

const BTree = btreeClass();

/** Keys lo ≤ k < hi (hi null: no upper end), or the one key lo. */
export interface KeyInterval {
  readonly lo: string;
  readonly hi: string | null;
  /** True when the interval is the one key `lo` (etcd's range_end ''). */
  readonly single: boolean;
}

export class KeyIndex implements Iterable<string> {
  private readonly tree = new BTree(undefined, simpleComparator);

  get size(): number {
    return this.tree.size;
  }

  add(key: string): void {
    this.tree.set(key, undefined);
  }

  delete(key: string): void {
    this.tree.delete(key);
  }

  /** Calls `visit` for every key inside `iv`, in order; `visit` must not change the index. */
  forEachIn(iv: KeyInterval, visit: (k: string) => void): void {
    if (iv.single) {
      if (this.tree.has(iv.lo)) visit(iv.lo);
      return;
    }
    if (iv.hi === null) {
      for (const k of this.tree.keys(iv.lo)) visit(k);
      return;
    }
    if (iv.hi <= iv.lo) return;
    this.tree.forRange(iv.lo, iv.hi, false, (k) => {
      visit(k);
    });
  }

  [Symbol.iterator](): Iterator<string> {
    return this.tree.keys();
  }
}
