/** Subsets drawn from a seeded stream, shared by swarm's draws (swarm.ts, quick-probe.ts). */
import type { Random } from '../core/random.js';

/** A subset of `items`, each in with probability `p`, in their order; maybe empty. */
export function subset<T>(random: Random, items: readonly T[], p: number): T[] {
  return items.filter(() => random.chance(p));
}

/** A non-empty subset: when the draw leaves nothing, one item at random. */
export function someOf<T>(random: Random, items: readonly T[], p: number): T[] {
  const out = subset(random, items, p);
  return out.length > 0 ? out : [random.pick(items)];
}
