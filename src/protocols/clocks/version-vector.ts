/**
 * Version vectors (Parker et al., "Detection of Mutual Inconsistency in Distributed Systems",
 * 1983): a counter per replica id, absent meaning 0. One vector describes a causal history (the
 * set of events (id, 1..n) for each entry), so comparing two vectors compares two histories:
 * one contains the other (before / after), they are the same (equal), or neither (concurrent).
 * Vectors are plain records, kept with sorted keys so equal vectors are equal JSON.
 */

export type VersionVector = Readonly<Record<string, number>>;

export type Order = 'before' | 'after' | 'equal' | 'concurrent';

export function vvGet(v: VersionVector, id: string): number {
  return Object.hasOwn(v, id) ? (v[id] as number) : 0;
}

function sorted(entries: Iterable<[string, number]>): VersionVector {
  const out: Record<string, number> = {};
  for (const [k, n] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`bad counter ${n} for ${k}`);
    if (n > 0) out[k] = n;
  }
  return out;
}

/** The vector with `id`'s counter one higher (a new event at `id`). */
export function vvIncrement(v: VersionVector, id: string): VersionVector {
  return sorted([...Object.entries(v).filter(([k]) => k !== id), [id, vvGet(v, id) + 1]]);
}

/** The least upper bound: pointwise maximum (the union of the two histories). */
export function vvMerge(a: VersionVector, b: VersionVector): VersionVector {
  const m = new Map<string, number>(Object.entries(a));
  for (const [k, n] of Object.entries(b)) m.set(k, Math.max(m.get(k) ?? 0, n));
  return sorted(m);
}

/** Whether `a`'s history contains `b`'s: every entry of b is at most a's. */
export function vvDescends(a: VersionVector, b: VersionVector): boolean {
  for (const [k, n] of Object.entries(b)) if (vvGet(a, k) < n) return false;
  return true;
}

/** How `a` stands to `b`: `before` means a's history is strictly inside b's. */
export function vvCompare(
  a: VersionVector,
  b: VersionVector,
  descends: (x: VersionVector, y: VersionVector) => boolean = vvDescends,
): Order {
  const ab = descends(a, b);
  const ba = descends(b, a);
  if (ab && ba) return 'equal';
  if (ab) return 'after';
  if (ba) return 'before';
  return 'concurrent';
}

export function vvFrom(entries: Readonly<Record<string, number>>): VersionVector {
  return sorted(Object.entries(entries));
}

/** Total events the vector counts (its history's size). */
export function vvSize(v: VersionVector): number {
  let s = 0;
  for (const n of Object.values(v)) s += n;
  return s;
}
