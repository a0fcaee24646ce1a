/**
 * The dynamo system in the lab: each lane shows how many keys and hints a node holds; a table
 * draws the ring (every key's preference list and stand-ins), another every replica's siblings
 * of every key with their dots and the key's version vector, a chart the hints each node holds
 * over time; and each node card draws its keys as an outline of siblings under their clock.
 */
import type { Json } from '../../core/json.js';
import {
  perNodeSteps,
  viewNum,
  type LabPanel,
  type LabRun,
  type LabViews,
  type OutlineLine,
} from '../../core/lab-views.js';
import type { NodeId, NodeView } from '../../core/node.js';
import { Ring } from './ring.js';

interface KeyView {
  readonly siblings: readonly string[];
  readonly clock: string;
}

function store(view: NodeView | null): [string, KeyView][] {
  const s = view?.store;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return [];
  const out: [string, KeyView][] = [];
  for (const [key, v] of Object.entries(s as Record<string, Json>)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const o = v as { siblings?: Json; clock?: Json };
    const siblings = Array.isArray(o.siblings) ? o.siblings.map((x) => String(x)) : [];
    out.push([key, { siblings, clock: typeof o.clock === 'string' ? o.clock : '' }]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The latest view a node has, down or not. */
function latest(run: LabRun, node: NodeId): NodeView | null {
  const samples = run.samples(node);
  for (let i = samples.length - 1; i >= 0; i--) {
    const v = samples[i]?.view;
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

function ringRows(run: LabRun): (string | number)[][] {
  let n: number | undefined;
  let vnodes: number | undefined;
  const keys = new Set<string>();
  for (const node of run.nodes) {
    const v = latest(run, node);
    n ??= viewNum(v, 'n');
    vnodes ??= viewNum(v, 'vnodes');
    for (const [key] of store(v)) keys.add(key);
  }
  if (n === undefined || vnodes === undefined || run.nodes.length < n) return [];
  const ring = new Ring(run.nodes, vnodes);
  return [...keys].sort().map((key) => {
    const walk = ring.walkFrom(ring.rangeOf(key));
    return [key, ring.rangeOf(key), walk.slice(0, n).join(' '), walk.slice(n).join(' ')];
  });
}

function siblingRows(run: LabRun): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const node of run.nodes) {
    for (const [key, k] of store(latest(run, node))) {
      rows.push([key, node, k.siblings.length, k.siblings.join(', '), k.clock]);
    }
  }
  const cmp = (x: string | number | undefined, y: string | number | undefined): number =>
    String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
  return rows.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
}

const PANELS: readonly LabPanel[] = [
  {
    kind: 'table',
    id: 'dynamo-ring',
    title: 'Ring: each key’s range, preference list and sloppy-quorum stand-ins',
    columns: ['key', 'range', 'preference list', 'stand-ins'],
    rows: ringRows,
  },
  {
    kind: 'table',
    id: 'dynamo-siblings',
    title: 'Siblings per key and replica, with their dots and the key’s clock',
    columns: ['key', 'replica', 'siblings', 'dots (items)', 'clock'],
    rows: siblingRows,
  },
  {
    kind: 'chart',
    id: 'dynamo-hints',
    title: 'Hinted writes held for unreachable replicas, per node',
    yLabel: 'hints',
    stepped: true,
    data: (run) => perNodeSteps(run, (v) => viewNum(v, 'hints')),
  },
];

function keyLines(view: NodeView): readonly OutlineLine[] {
  const lines: OutlineLine[] = [];
  for (const [key, k] of store(view)) {
    lines.push({ depth: 0, text: key, note: k.clock });
    for (const s of k.siblings) lines.push({ depth: 1, text: s });
  }
  return lines;
}

export const dynamoLabViews: LabViews = {
  lane: (view) => {
    const keys = viewNum(view, 'keys') ?? 0;
    const hints = viewNum(view, 'hints') ?? 0;
    return { role: 'replica', marks: [`${keys} keys`, ...(hints > 0 ? [`${hints} hints`] : [])] };
  },
  panels: PANELS,
  nodeOutline: { field: 'store', title: 'keys: siblings under their clock', lines: keyLines },
  verdictName: 'eventually consistent',
  judgeChecks:
    'the join of every replica keeps every acknowledged update; with strict quorums and R + W > N, every read is regular',
};
