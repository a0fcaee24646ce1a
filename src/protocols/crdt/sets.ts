/**
 * Sets. The add-wins observed-remove set (OR-set) tags each add with a fresh dot and removes
 * only the dots the remover has seen, so an add concurrent with a remove survives. The
 * two-phase set keeps an add set and a remove set (tombstones): once removed, never back.
 */
import type { Json } from '../../core/json.js';
import type { Dot } from '../clocks/dotted-version-vector.js';
import { contextAdd, contextOf, maxCounter } from './causal-context.js';
import { DOT_STORE_EMPTY, dotStoreJoin, type DotStore } from './dot-store.js';
import type { Covers } from './causal-context.js';

export function orsetJoin(a: DotStore, b: DotStore, covers?: Covers): DotStore {
  return dotStoreJoin(a, b, covers);
}

function dotsOf(s: DotStore, element: string): Dot[] {
  return s.entries.filter((e) => e.value === element).map((e) => e.dot);
}

/** The delta of `actor` adding `element`: a fresh dot, replacing the element's observed dots. */
export function orsetAdd(s: DotStore, actor: string, element: string): DotStore {
  const dot = [actor, maxCounter(s.ctx, actor) + 1] as const;
  return {
    ctx: contextAdd(contextOf(dotsOf(s, element)), dot),
    entries: [{ dot, value: element }],
  };
}

/** The delta of removing `element`: the dots of it that were observed, and nothing else. */
export function orsetRemove(s: DotStore, element: string): DotStore {
  return { ...DOT_STORE_EMPTY, ctx: contextOf(dotsOf(s, element)) };
}

export function orsetValue(s: DotStore): string[] {
  return [...new Set(s.entries.map((e) => String(e.value)))].sort();
}

export type TwoPhaseSet = {
  /** Sorted, without duplicates. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
};

export const TWO_PHASE_EMPTY: TwoPhaseSet = { added: [], removed: [] };

const union = (a: readonly string[], b: readonly string[]): string[] =>
  [...new Set([...a, ...b])].sort();

export function twoPhaseJoin(a: TwoPhaseSet, b: TwoPhaseSet): TwoPhaseSet {
  return { added: union(a.added, b.added), removed: union(a.removed, b.removed) };
}

export function twoPhaseAdd(element: string): TwoPhaseSet {
  return { added: [element], removed: [] };
}

export function twoPhaseRemove(element: string): TwoPhaseSet {
  return { added: [], removed: [element] };
}

export function twoPhaseValue(s: TwoPhaseSet): Json[] {
  const gone = new Set(s.removed);
  return s.added.filter((e) => !gone.has(e));
}
