/**
 * A dot store: values each tagged with the event (dot) that made it, under the causal context
 * of everything the state has seen. Its join is the rule behind MV-registers, add-wins OR-sets
 * and dotted-version-vector siblings alike: an entry survives a join if both sides hold it, or
 * if the other side has never seen its dot; an entry the other side has seen but no longer
 * holds was overwritten or removed there.
 */
import type { Json } from '../../core/json.js';
import type { Dot } from '../clocks/dotted-version-vector.js';
import {
  byDot,
  contextJoin,
  covers as exactCovers,
  type CausalContext,
  type Covers,
} from './causal-context.js';

export type DotEntry = {
  readonly dot: Dot;
  readonly value: Json;
};

export type DotStore = {
  readonly ctx: CausalContext;
  /** Sorted by dot; each dot at most once, each covered by `ctx`. */
  readonly entries: readonly DotEntry[];
};

export const DOT_STORE_EMPTY: DotStore = { ctx: { vv: {}, cloud: [] }, entries: [] };

const key = (d: Dot): string => `${d[0]}\u0000${d[1]}`;

export function dotStoreJoin(a: DotStore, b: DotStore, covers: Covers = exactCovers): DotStore {
  const inB = new Map(b.entries.map((e) => [key(e.dot), e]));
  const inA = new Set(a.entries.map((e) => key(e.dot)));
  const entries: DotEntry[] = [];
  for (const e of a.entries) if (inB.has(key(e.dot)) || !covers(b.ctx, e.dot)) entries.push(e);
  for (const e of b.entries) if (!inA.has(key(e.dot)) && !covers(a.ctx, e.dot)) entries.push(e);
  entries.sort((x, y) => byDot(x.dot, y.dot));
  return { ctx: contextJoin(a.ctx, b.ctx), entries };
}
