/**
 * Which range holds a key and which nodes hold each range. Ranges split the ordered key space at
 * fixed split points for now (a range directory that lives in a meta range, and splits as a range
 * grows, are the next step: docs/transactions.md).
 */
import type { NodeId } from '../../core/node.js';

export interface RangeSpec {
  readonly id: string;
  /** Inclusive. */
  readonly start: string;
  /** Exclusive; null for the last range. */
  readonly end: string | null;
  readonly replicas: readonly NodeId[];
}

export const REPLICATION_FACTOR = 3;

export class RangeDirectory {
  readonly ranges: readonly RangeSpec[];

  constructor(splits: readonly string[], cluster: readonly NodeId[]) {
    const sorted = [...splits].sort();
    if (sorted.some((s, i) => s === '' || (i > 0 && s === sorted[i - 1]))) {
      throw new RangeError('split points must be distinct non-empty keys');
    }
    const bounds = ['', ...sorted];
    const factor = Math.min(REPLICATION_FACTOR, cluster.length);
    this.ranges = bounds.map((start, i) => ({
      id: `r${i + 1}`,
      start,
      end: bounds[i + 1] ?? null,
      // Spread the ranges' replicas round the cluster, so each node leads some and not all.
      replicas: Array.from({ length: factor }, (_, j) => cluster[(i + j) % cluster.length]!),
    }));
  }

  rangeOf(key: string): RangeSpec {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i]!;
      if (key >= r.start) return r;
    }
    throw new Error('unreachable: the first range starts at the empty key');
  }

  range(id: string): RangeSpec | undefined {
    return this.ranges.find((r) => r.id === id);
  }

  hostedBy(node: NodeId): RangeSpec[] {
    return this.ranges.filter((r) => r.replicas.includes(node));
  }

  contains(range: RangeSpec, key: string): boolean {
    return key >= range.start && (range.end === null || key < range.end);
  }
}
