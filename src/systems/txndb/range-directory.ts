/**
 * Range descriptors and a node's cache of them. A descriptor says which span of the ordered key
 * space a range holds, on which nodes, and at which generation (bumped by every split of the
 * range, as CockroachDB's RangeDescriptor.generation). The authoritative copy of every
 * descriptor lives in the meta range (meta-machine.ts); each node keeps its own cache, routes by
 * it, and corrects it when a range answers `range-key-mismatch` (txndb-node.ts). The cluster's
 * first state — the static split points — is computed by every node alike, never shared.
 */
import type { NodeId } from '../../core/node.js';

export interface RangeDescriptor {
  readonly id: string;
  /** Inclusive. */
  readonly start: string;
  /** Exclusive; null for the last range. */
  readonly end: string | null;
  readonly replicas: readonly NodeId[];
  readonly generation: number;
}

/**
 * A descriptor as routing hands it out: with the key it was looked up for, which the RPC layer
 * sends along so the range can check the key is still its own and the layer can route again.
 */
export interface RangeSpec extends RangeDescriptor {
  readonly routeKey?: string;
}

export const REPLICATION_FACTOR = 3;
/** The meta range's group id: it is not a key range and is never split. */
export const META_RANGE = 'meta';

export class RangeDirectoryError extends Error {
  readonly code = 'bad-directory';
  constructor(message: string) {
    super(message);
    this.name = 'RangeDirectoryError';
  }
}

/** Where a range's replicas go: spread round the cluster, so each node leads some and not all. */
function replicasAt(i: number, cluster: readonly NodeId[]): NodeId[] {
  const factor = Math.min(REPLICATION_FACTOR, cluster.length);
  return Array.from({ length: factor }, (_, j) => cluster[(i + j) % cluster.length]!);
}

/** The directory every cluster starts from: the key space cut at `splits`, generation 1. */
export function initialDescriptors(
  splits: readonly string[],
  cluster: readonly NodeId[],
): RangeDescriptor[] {
  const sorted = [...splits].sort();
  if (sorted.some((s, i) => s === '' || (i > 0 && s === sorted[i - 1]))) {
    throw new RangeDirectoryError('split points must be distinct non-empty keys');
  }
  if (cluster.length === 0) throw new RangeDirectoryError('a cluster needs a node');
  const bounds = ['', ...sorted];
  return bounds.map((start, i) => ({
    id: `r${i + 1}`,
    start,
    end: bounds[i + 1] ?? null,
    replicas: replicasAt(i, cluster),
    generation: 1,
  }));
}

/** The meta range's replicas: the cluster's first nodes. */
export function metaReplicas(cluster: readonly NodeId[]): NodeId[] {
  return replicasAt(0, cluster);
}

export function spanContains(d: RangeDescriptor, key: string): boolean {
  return key >= d.start && (d.end === null || key < d.end);
}

function overlaps(a: RangeDescriptor, b: RangeDescriptor): boolean {
  return (b.end === null || a.start < b.end) && (a.end === null || b.start < a.end);
}

/**
 * A node's view of the directory. An update replaces every cached descriptor it overlaps when it
 * is at least as new (by generation): a split range's new left half and its right half replace
 * the old whole. Descriptors of one lineage only ever grow in generation, so a stale answer can
 * never undo a newer one.
 */
export class RangeCache {
  private readonly byId = new Map<string, RangeDescriptor>();

  constructor(initial: readonly RangeDescriptor[]) {
    for (const d of initial) this.byId.set(d.id, d);
    this.checkCovers();
  }

  all(): RangeDescriptor[] {
    return [...this.byId.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
  }

  generationOf(id: string): number {
    return this.byId.get(id)?.generation ?? 0;
  }

  range(id: string): RangeDescriptor | undefined {
    return this.byId.get(id);
  }

  rangeOf(key: string): RangeSpec {
    let best: RangeDescriptor | undefined;
    for (const d of this.byId.values()) {
      if (spanContains(d, key)) best = d;
    }
    if (best === undefined) throw new RangeDirectoryError(`no cached range holds '${key}'`);
    return { ...best, routeKey: key };
  }

  /**
   * Takes in `descs` that are news; answers whether anything changed. An update that would leave
   * part of the key space uncovered (a left half without its right) is not taken at all: the
   * caller then asks the meta range for the whole directory.
   */
  update(descs: readonly RangeDescriptor[]): boolean {
    const next = new Map(this.byId);
    let changed = false;
    for (const d of descs) {
      const same = next.get(d.id);
      if (same !== undefined && same.generation >= d.generation) continue;
      const others = [...next.values()].filter((o) => o.id !== d.id && overlaps(o, d));
      // A descriptor overlapping a newer one of another range is older news than what we hold.
      if (others.some((o) => o.generation > d.generation)) continue;
      for (const o of others) next.delete(o.id);
      next.set(d.id, d);
      changed = true;
    }
    if (!changed || coverProblem([...next.values()]) !== undefined) return false;
    this.byId.clear();
    for (const [id, d] of next) this.byId.set(id, d);
    return true;
  }

  private checkCovers(): void {
    const problem = coverProblem([...this.byId.values()]);
    if (problem !== undefined) throw new RangeDirectoryError(problem);
  }
}

/** Why `descs` do not tile the key space exactly, or undefined when they do. */
export function coverProblem(descs: readonly RangeDescriptor[]): string | undefined {
  const all = [...descs].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (all[0]?.start !== '') return 'the first range must start at the empty key';
  for (let i = 1; i < all.length; i++) {
    if (all[i - 1]!.end !== all[i]!.start)
      return `ranges ${all[i - 1]!.id} and ${all[i]!.id} do not meet`;
  }
  if (all[all.length - 1]!.end !== null) return 'the last range must run to the end';
  return undefined;
}
