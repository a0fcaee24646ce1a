/**
 * The dependency graph between transactions: one edge per ordered pair, carrying a bitmask of
 * the kinds of dependency found (ww, wr, rw from the data; realtime and process from the
 * history's order) and, for each kind, the first reason found — what the evidence prints.
 */

export const WW = 1;
export const WR = 2;
export const RW = 4;
export const REALTIME = 8;
export const PROCESS = 16;
export const DATA = WW | WR | RW;

export type EdgeKind = 'ww' | 'wr' | 'rw' | 'realtime' | 'process';
export const KIND_BITS: Readonly<Record<EdgeKind, number>> = {
  ww: WW,
  wr: WR,
  rw: RW,
  realtime: REALTIME,
  process: PROCESS,
};

export function kindName(bit: number): EdgeKind {
  switch (bit) {
    case WW:
      return 'ww';
    case WR:
      return 'wr';
    case RW:
      return 'rw';
    case REALTIME:
      return 'realtime';
    case PROCESS:
      return 'process';
  }
  throw new Error(`not a single edge kind: ${bit}`);
}

/** Why an edge of one kind exists: the key it is about (if any) and the values that made it. */
export interface EdgeWhy {
  readonly key?: string;
  readonly why: string;
}

/** Out-degree up to which finding an existing edge scans the node's edges. */
const SCAN_LIMIT = 16;

function bitIndex(kind: number): number {
  return 31 - Math.clz32(kind);
}

export class DepGraph {
  readonly n: number;
  /** Per node, the ids of its outgoing edges. */
  readonly out: number[][];
  readonly from: number[] = [];
  readonly to: number[] = [];
  readonly kinds: number[] = [];
  /**
   * Per kind (by bit position), per edge: the first reason given, kept unevaluated — a valid
   * history of 100 000 transactions has half a million edges and no cycle to explain.
   */
  private readonly reasons: (() => EdgeWhy)[][] = [[], [], [], [], []];
  /** For nodes of high out-degree, target → edge id (the others are scanned). */
  private readonly targets = new Map<number, Map<number, number>>();

  constructor(n: number) {
    this.n = n;
    this.out = Array.from({ length: n }, () => []);
  }

  get edgeCount(): number {
    return this.from.length;
  }

  /** Reasons derived from an edge's ends alone (the order edges), instead of one per edge. */
  private readonly explainers = new Map<number, (from: number, to: number) => EdgeWhy>();

  explainKind(kind: number, explain: (from: number, to: number) => EdgeWhy): void {
    this.explainers.set(kind, explain);
  }

  /**
   * Adds `kind` to the edge a → b (self-edges say nothing about order and are dropped); `why`
   * may be left out for a kind with an explainer.
   */
  add(a: number, b: number, kind: number, why?: () => EdgeWhy): void {
    if (a === b) return;
    const out = this.out[a] as number[];
    let id = this.find(a, out, b);
    if (id === undefined) {
      id = this.from.length;
      this.from.push(a);
      this.to.push(b);
      this.kinds.push(0);
      out.push(id);
      const index = this.targets.get(a);
      if (index) index.set(b, id);
      else if (out.length > SCAN_LIMIT)
        this.targets.set(a, new Map(out.map((e) => [this.to[e] as number, e])));
    }
    const had = this.kinds[id] as number;
    if ((had & kind) === 0) {
      this.kinds[id] = had | kind;
      if (why) (this.reasons[bitIndex(kind)] as (() => EdgeWhy)[])[id] = why;
    }
  }

  private find(a: number, out: readonly number[], b: number): number | undefined {
    if (out.length <= SCAN_LIMIT) {
      for (const e of out) if (this.to[e] === b) return e;
      return undefined;
    }
    return this.targets.get(a)?.get(b);
  }

  reason(edge: number, kind: number): EdgeWhy {
    const why = this.reasons[bitIndex(kind)]?.[edge];
    if (why) return why();
    const explain = this.explainers.get(kind);
    if (!explain) throw new Error(`edge ${edge} has no ${kindName(kind)} reason`);
    return explain(this.from[edge] as number, this.to[edge] as number);
  }

  /**
   * Strongly connected components over the edges whose kinds meet `mask` (Tarjan's, iterative
   * so a long chain does not overflow the stack). Returns each node's component id, and the
   * size of every component.
   */
  components(mask: number): { comp: Int32Array; size: number[] } {
    const n = this.n;
    const index = new Int32Array(n).fill(-1);
    const low = new Int32Array(n);
    const comp = new Int32Array(n).fill(-1);
    const onStack = new Uint8Array(n);
    const stack: number[] = [];
    const size: number[] = [];
    const callNode: number[] = [];
    const callEdge: number[] = [];
    let next = 0;
    for (let root = 0; root < n; root++) {
      if (index[root] !== -1) continue;
      callNode.push(root);
      callEdge.push(0);
      index[root] = low[root] = next++;
      stack.push(root);
      onStack[root] = 1;
      while (callNode.length > 0) {
        const depth = callNode.length - 1;
        const v = callNode[depth] as number;
        const edges = this.out[v] as number[];
        let i = callEdge[depth] as number;
        let descended = false;
        while (i < edges.length) {
          const e = edges[i++] as number;
          if (((this.kinds[e] as number) & mask) === 0) continue;
          const w = this.to[e] as number;
          if (index[w] === -1) {
            callEdge[depth] = i;
            index[w] = low[w] = next++;
            stack.push(w);
            onStack[w] = 1;
            callNode.push(w);
            callEdge.push(0);
            descended = true;
            break;
          } else if (onStack[w] && (index[w] as number) < (low[v] as number)) {
            low[v] = index[w] as number;
          }
        }
        if (descended) continue;
        callNode.pop();
        callEdge.pop();
        if (low[v] === index[v]) {
          const id = size.length;
          let count = 0;
          let w: number;
          do {
            w = stack.pop() as number;
            onStack[w] = 0;
            comp[w] = id;
            count++;
          } while (w !== v);
          size.push(count);
        }
        const parent = callNode[callNode.length - 1];
        if (parent !== undefined && (low[v] as number) < (low[parent] as number))
          low[parent] = low[v] as number;
      }
    }
    return { comp, size };
  }
}
