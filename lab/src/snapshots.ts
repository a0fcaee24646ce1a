/**
 * Node state over time. The trace records what happened, not what nodes believed, so the lab
 * samples each node's `inspect()` view while the run executes and keeps a copy only when it
 * changed. "State at the scrubbed time" is then the latest snapshot at or before that time.
 *
 * Memory stays bounded: past `maxPerNode` snapshots a node's history is thinned to every other
 * one (older detail is lost first-come, but the list always spans the whole run).
 */
import type { Json } from '../../src/core/json.js';
import type { NodeView } from '../../src/core/node.js';
import { lastAtOrBefore } from './time-index.js';

/** What the lab knows about a node at an instant: its process status and its own view. */
export interface NodeSnapshot {
  readonly t: number;
  readonly status: 'up' | 'down' | 'paused';
  /** The node's inspect() view; null while it is down (a dead process has no state). */
  readonly view: NodeView | null;
  /** Its clock's offset from true time, in ms. */
  readonly clockOffset: number;
}

interface NodeSeries {
  times: number[];
  snapshots: NodeSnapshot[];
  lastKey: string;
}

export class SnapshotStore {
  private readonly series = new Map<string, NodeSeries>();

  constructor(
    readonly nodeIds: readonly string[],
    private readonly maxPerNode = 20_000,
  ) {
    for (const id of nodeIds) this.series.set(id, { times: [], snapshots: [], lastKey: '' });
  }

  /** Records the snapshot unless it equals the node's previous one; true when it was kept. */
  record(node: string, snapshot: NodeSnapshot): boolean {
    const s = this.series.get(node);
    if (s === undefined) throw new Error(`unknown node ${node}`);
    const key = snapshotKey(snapshot);
    if (key === s.lastKey) return false;
    s.lastKey = key;
    s.times.push(snapshot.t);
    s.snapshots.push(snapshot);
    if (s.snapshots.length > this.maxPerNode) thin(s);
    return true;
  }

  /** The node's latest snapshot at or before `t`, if any. */
  at(node: string, t: number): NodeSnapshot | undefined {
    const s = this.series.get(node);
    if (s === undefined) return undefined;
    const i = lastAtOrBefore(s.times, t);
    return i < 0 ? undefined : s.snapshots[i];
  }

  /** Every kept snapshot of the node, in time order. */
  all(node: string): readonly NodeSnapshot[] {
    return this.series.get(node)?.snapshots ?? [];
  }

  get size(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.snapshots.length;
    return n;
  }
}

function snapshotKey(s: NodeSnapshot): string {
  return `${s.status}|${Math.round(s.clockOffset)}|${JSON.stringify(s.view)}`;
}

/** Keeps every other snapshot, and always the latest (it is the current state). */
function thin(s: NodeSeries): void {
  const last = s.snapshots.length - 1;
  const keep = (_: unknown, i: number): boolean => i % 2 === 0 || i === last;
  s.snapshots = s.snapshots.filter(keep);
  s.times = s.times.filter(keep);
}

/** A field of a view, if present and of the wanted type. */
export function viewString(view: NodeView | null | undefined, field: string): string | undefined {
  const v: Json | undefined = view?.[field];
  return typeof v === 'string' ? v : undefined;
}

export function viewNumber(view: NodeView | null | undefined, field: string): number | undefined {
  const v: Json | undefined = view?.[field];
  return typeof v === 'number' ? v : undefined;
}

/** One stretch of time during which a node claimed leadership. */
export interface LeaderSpan {
  readonly node: string;
  readonly start: number;
  /** Infinity while it still leads at the end of what was recorded. */
  readonly end: number;
  readonly term: number | undefined;
}

/**
 * When each node was leader, by `leads` (by default the snapshots' `role` field: Raft and its
 * kin report 'leader'; a system's lane declaration may say otherwise, as PBFT's primary).
 * Sorted by start time; used for lane highlighting and the leader-change chart.
 */
export function leaderSpans(
  store: SnapshotStore,
  leads: (view: NodeView, node: string) => boolean = (v) => viewString(v, 'role') === 'leader',
): LeaderSpan[] {
  const spans: LeaderSpan[] = [];
  for (const node of store.nodeIds) {
    let open: { start: number; term: number | undefined } | undefined;
    for (const snap of store.all(node)) {
      const leading = snap.status !== 'down' && snap.view !== null && leads(snap.view, node);
      const term = viewNumber(snap.view, 'term');
      if (open !== undefined && (!leading || term !== open.term)) {
        spans.push({ node, start: open.start, end: snap.t, term: open.term });
        open = undefined;
      }
      if (leading && open === undefined) open = { start: snap.t, term };
    }
    if (open !== undefined) spans.push({ node, start: open.start, end: Infinity, term: open.term });
  }
  return spans.sort((a, b) => a.start - b.start || (a.node < b.node ? -1 : 1));
}
