/**
 * A causal context: the exact set of events (dots) a state has seen, kept as a version vector
 * over each actor's contiguous prefix plus a "dot cloud" of the events seen beyond a gap
 * (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", 2018, §5). A delta carries
 * only the dots it adds, so joining deltas out of order leaves gaps; claiming a gap as seen
 * would silently drop a concurrent element, which is why the cloud exists.
 */
import type { Dot } from '../clocks/dotted-version-vector.js';
import type { VersionVector } from '../clocks/version-vector.js';

export type CausalContext = {
  readonly vv: VersionVector;
  /** Dots beyond each actor's contiguous prefix, sorted, none covered by `vv`. */
  readonly cloud: readonly Dot[];
};

export const CONTEXT_EMPTY: CausalContext = { vv: {}, cloud: [] };

/** How `covers` decides that an event was seen; a mutant may swap it. */
export type Covers = (ctx: CausalContext, dot: Dot) => boolean;

export const covers: Covers = (ctx, [id, n]) =>
  (Object.hasOwn(ctx.vv, id) ? (ctx.vv[id] as number) : 0) >= n ||
  ctx.cloud.some(([i, m]) => i === id && m === n);

/** The highest counter of `id` the context has seen (a new dot of id's is one past it). */
export function maxCounter(ctx: CausalContext, id: string): number {
  let n = Object.hasOwn(ctx.vv, id) ? (ctx.vv[id] as number) : 0;
  for (const [i, m] of ctx.cloud) if (i === id && m > n) n = m;
  return n;
}

const byDot = (a: Dot, b: Dot): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]);

/** Folds cloud dots that extend a prefix into the vector, so equal sets are equal data. */
function compact(vv: Map<string, number>, cloud: Iterable<Dot>): CausalContext {
  const rest = [...cloud].sort(byDot);
  let moved = true;
  while (moved) {
    moved = false;
    for (let i = 0; i < rest.length; i++) {
      const [id, n] = rest[i] as Dot;
      const have = vv.get(id) ?? 0;
      if (n <= have) {
        rest.splice(i--, 1);
      } else if (n === have + 1) {
        vv.set(id, n);
        rest.splice(i--, 1);
        moved = true;
      }
    }
  }
  const out: Record<string, number> = {};
  for (const id of [...vv.keys()].sort())
    if ((vv.get(id) as number) > 0) out[id] = vv.get(id) as number;
  const seen = new Set<string>();
  const cloudOut = rest.filter(([id, n]) => {
    const k = `${id}\u0000${n}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { vv: out, cloud: cloudOut };
}

export function contextJoin(a: CausalContext, b: CausalContext): CausalContext {
  const vv = new Map<string, number>(Object.entries(a.vv));
  for (const [id, n] of Object.entries(b.vv)) vv.set(id, Math.max(vv.get(id) ?? 0, n));
  return compact(vv, [...a.cloud, ...b.cloud]);
}

export function contextAdd(ctx: CausalContext, dot: Dot): CausalContext {
  return compact(new Map(Object.entries(ctx.vv)), [...ctx.cloud, dot]);
}

export function contextOf(dots: Iterable<Dot>): CausalContext {
  return compact(new Map(), dots);
}

export { byDot };
