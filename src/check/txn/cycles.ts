/**
 * Finding the smallest cycle of each of Adya's types (as Elle does): strongly connected
 * components first — on a valid history every component is a single transaction and the
 * search ends there, in O(V + E) — then, inside each component, for every edge that can start
 * a cycle of the type, a breadth-first search back to its tail over the edges the type
 * allows. The shortest over all starting edges is the evidence.
 *
 *   G0        a ww edge, then ww edges
 *   G1c       a wr edge, then ww / wr edges
 *   G-single       an rw edge, then ww / wr edges (exactly one rw)
 *   G-nonadjacent  an rw edge, then any, with at least one more rw and no two rw adjacent
 *                  (searched where no G-single was found: it rules out snapshot isolation)
 *   G2-item        an rw edge, then any, with at least one more rw (searched where no
 *                  G-nonadjacent was found, which is one)
 *
 * Each type is searched on the data edges alone first; where none is found and the model adds
 * order edges (process, real time), again with them: a cycle found then needs one, and is
 * named `<type>-process` or `<type>-realtime`.
 */
import {
  CYCLE_BASES,
  type CycleAnomaly,
  type CycleBase,
  type CycleEvidence,
  type CycleStep,
} from './anomalies.js';
import type { DepGraph } from './dep-graph.js';
import { kindName, PROCESS, REALTIME, RW, WR, WW } from './dep-graph.js';

/** How rw edges may appear on the path back: not at all, at least one more, or at least one
 * more with no two rw edges adjacent (the cycle wraps, so not first or last either). */
type RwRule = 'none' | 'more' | 'nonadjacent';

const SPEC: Readonly<Record<CycleBase, { start: number; path: number; rw: RwRule }>> = {
  G0: { start: WW, path: WW, rw: 'none' },
  G1c: { start: WR, path: WW | WR, rw: 'none' },
  'G-single': { start: RW, path: WW | WR, rw: 'none' },
  'G-nonadjacent': { start: RW, path: WW | WR | RW, rw: 'nonadjacent' },
  'G2-item': { start: RW, path: WW | WR | RW, rw: 'more' },
};

/** Types a cycle of which makes searching this one pointless (it implies or outranks it). */
const SKIP_IF: Readonly<Partial<Record<CycleBase, CycleBase>>> = {
  // One rw edge is trivially "non-adjacent"; SI is already ruled out.
  'G-nonadjacent': 'G-single',
  // A G-nonadjacent cycle is a G2-item cycle, and rules out more.
  'G2-item': 'G-nonadjacent',
};

/** Path kinds tried in this order, so a cycle is named by the weakest order it needs. */
const PREFERENCE = [WW, WR, PROCESS, REALTIME];

export interface CycleSearch {
  readonly found: CycleEvidence[];
  /** Cycles of each type found (at most one per component and type). */
  readonly counts: Map<CycleAnomaly, number>;
  /** The work budget ran out: some components were not fully searched. */
  readonly truncated: boolean;
}

export function findCycles(
  graph: DepGraph,
  opIdOf: (node: number) => number,
  orderMask: number,
  maxWork: number,
): CycleSearch {
  const bfs = new Bfs(graph, maxWork);
  const found: CycleEvidence[] = [];
  const counts = new Map<CycleAnomaly, number>();
  const componentCache = new Map<number, Int32Array>();
  const componentsFor = (mask: number): Int32Array => {
    let comp = componentCache.get(mask);
    if (!comp) componentCache.set(mask, (comp = graph.components(mask).comp));
    return comp;
  };
  // A valid history's graph is acyclic: one pass of Tarjan's over every edge settles it.
  const all = graph.components(WW | WR | RW | orderMask);
  if (all.size.every((size) => size === 1)) return { found, counts, truncated: false };
  const phases = orderMask === 0 ? [0] : [0, orderMask];
  const done = new Set<CycleBase>();
  for (const order of phases) {
    for (const base of CYCLE_BASES) {
      const skipIf = SKIP_IF[base];
      if (done.has(base) || (skipIf !== undefined && done.has(skipIf))) continue;
      const { start, path, rw } = SPEC[base];
      const comp = componentsFor(start | path | order);
      const best = new Map<number, number[]>();
      for (let e = 0; e < graph.edgeCount && !bfs.exhausted; e++) {
        if (((graph.kinds[e] as number) & start) === 0) continue;
        const a = graph.from[e] as number;
        const b = graph.to[e] as number;
        const c = comp[a] as number;
        if (comp[b] !== c) continue;
        const bestHere = best.get(c);
        if (bestHere && bestHere.length <= 4) continue; // two edges: nothing shorter exists
        const steps = bfs.search(b, a, c, comp, path | order, rw);
        if (steps && (!bestHere || steps.length + 2 < bestHere.length))
          best.set(c, [e, start, ...steps]);
      }
      if (best.size === 0) continue;
      done.add(base);
      let smallest: number[] | undefined;
      for (const cycle of best.values())
        if (!smallest || cycle.length < smallest.length) smallest = cycle;
      const cycle = toSteps(graph, opIdOf, smallest as number[]);
      const suffix = cycle.some((s) => s.kind === 'realtime')
        ? '-realtime'
        : cycle.some((s) => s.kind === 'process')
          ? '-process'
          : '';
      const type = `${base}${suffix}` as CycleAnomaly;
      counts.set(type, best.size);
      found.push({ type, cycle });
    }
  }
  return { found, counts, truncated: bfs.exhausted };
}

/** Pairs (edge, kind bit) → readable steps. */
function toSteps(graph: DepGraph, opIdOf: (node: number) => number, pairs: number[]): CycleStep[] {
  const steps: CycleStep[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const e = pairs[i] as number;
    const kind = pairs[i + 1] as number;
    const why = graph.reason(e, kind);
    steps.push({
      from: opIdOf(graph.from[e] as number),
      to: opIdOf(graph.to[e] as number),
      kind: kindName(kind),
      ...(why.key !== undefined ? { key: why.key } : {}),
      why: why.why,
    });
  }
  return steps;
}

/**
 * Breadth-first search inside one component, reusing its arrays between calls. A state is
 * (transaction, whether the last edge was rw, whether an rw edge has been taken): four per
 * transaction, of which the `none` rule uses one and `more` two.
 */
class Bfs {
  private readonly seen: Int32Array;
  private readonly parentEdge: Int32Array;
  private readonly parentKind: Int32Array;
  private readonly parentOf: Int32Array;
  private readonly queue: Int32Array;
  private stamp = 0;
  private work = 0;

  constructor(
    private readonly graph: DepGraph,
    private readonly maxWork: number,
  ) {
    const states = graph.n * 4;
    this.seen = new Int32Array(states);
    this.parentEdge = new Int32Array(states);
    this.parentKind = new Int32Array(states);
    this.parentOf = new Int32Array(states);
    this.queue = new Int32Array(states);
  }

  get exhausted(): boolean {
    return this.work >= this.maxWork;
  }

  /**
   * (edge, kind) pairs of a shortest path from `source` to `target` (the head and tail of an
   * rw / ww / wr starting edge) that keeps to `rule`, or undefined.
   */
  search(
    source: number,
    target: number,
    component: number,
    comp: Int32Array,
    mask: number,
    rule: RwRule,
  ): number[] | undefined {
    const g = this.graph;
    const stamp = ++this.stamp;
    const SAW = 1;
    const LAST = 2;
    // The starting edge is rw for the rules that allow more: the first step may not be rw
    // under `nonadjacent`, nor the last (the cycle goes on into the starting edge).
    const first = source * 4 + (rule === 'nonadjacent' ? LAST : 0);
    const goal = target * 4 + (rule === 'none' ? 0 : SAW);
    let head = 0;
    let tail = 0;
    this.seen[first] = stamp;
    this.queue[tail++] = first;
    while (head < tail) {
      const state = this.queue[head++] as number;
      if (state === goal) {
        const steps = this.path(first, goal);
        return simple(g, steps) ? steps : undefined;
      }
      const v = state >> 2;
      // The cycle closes at the target and opens at the source: neither is passed through.
      if (v === target) continue;
      const saw = state & SAW;
      const rwNext = rule === 'more' || (rule === 'nonadjacent' && (state & LAST) === 0);
      for (const e of g.out[v] as number[]) {
        this.work++;
        const kinds = (g.kinds[e] as number) & mask;
        if (kinds === 0) continue;
        const w = g.to[e] as number;
        if (comp[w] !== component || w === source) continue;
        const plain = kinds & ~RW;
        if (plain !== 0 && this.visit(w * 4 + saw, state, e, preferred(plain), stamp))
          this.queue[tail++] = w * 4 + saw;
        // Under `more` the last-rw flag is never set: adjacency does not matter there.
        const after = w * 4 + SAW + (rule === 'nonadjacent' ? LAST : 0);
        if (rwNext && (kinds & RW) !== 0 && this.visit(after, state, e, RW, stamp))
          this.queue[tail++] = after;
      }
      if (this.work >= this.maxWork) return undefined;
    }
    return undefined;
  }

  private visit(state: number, from: number, edge: number, kind: number, stamp: number): boolean {
    if (this.seen[state] === stamp) return false;
    this.seen[state] = stamp;
    this.parentEdge[state] = edge;
    this.parentKind[state] = kind;
    this.parentOf[state] = from;
    return true;
  }

  private path(start: number, goal: number): number[] {
    const rev: number[] = [];
    for (let s = goal; s !== start; s = this.parentOf[s] as number)
      rev.push(this.parentKind[s] as number, this.parentEdge[s] as number);
    return rev.reverse();
  }
}

/**
 * Whether a path visits each transaction once. With G2's two layers a shortest walk may pass a
 * transaction twice, its loop holding the second rw edge; such a walk is two cycles, each
 * found on its own, and is not reported as one.
 */
function simple(g: DepGraph, steps: readonly number[]): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < steps.length; i += 2) {
    const to = g.to[steps[i] as number] as number;
    if (seen.has(to)) return false;
    seen.add(to);
  }
  return true;
}

function preferred(kinds: number): number {
  for (const k of PREFERENCE) if ((kinds & k) !== 0) return k;
  throw new Error(`no preferred kind in ${kinds}`);
}
