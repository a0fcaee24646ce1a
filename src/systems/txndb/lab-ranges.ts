/**
 * The transactional database's ranges as the lab shows them, read from each node's sampled
 * inspect() view (`ranges`: per hosted range its Raft role and term, span and replicas): who
 * held each range's lease over the run, and each range as it stands. The leaseholder is the
 * range's Raft leader. A range is shown from the first sample that names it, so a range that
 * appears mid-run (a split) gets its row then.
 */
import type { Json } from '../../core/json.js';
import type { LabRun, OutlineLine, TimelineSpan } from '../../core/lab-views.js';
import type { NodeId, NodeView } from '../../core/node.js';

/** What one node's view says of one range it hosts. */
export interface RangeSeen {
  readonly role: string | undefined;
  readonly term: number | undefined;
  readonly start: string | undefined;
  /** null: the last range (to the end of the key space). */
  readonly end: string | null | undefined;
  readonly replicas: readonly string[] | undefined;
  /** The leader this replica knows of, if any. */
  readonly leader: string | undefined;
}

function isRecord(v: Json | undefined): v is { readonly [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Views already read: the lab recomputes its panels from the same samples often. */
const read = new WeakMap<NodeView, ReadonlyMap<string, RangeSeen>>();

/** Each range a node's view reports, by range id. */
export function rangesOf(view: NodeView | null): ReadonlyMap<string, RangeSeen> {
  if (view === null) return new Map();
  let out = read.get(view);
  if (out === undefined) read.set(view, (out = readRanges(view)));
  return out;
}

function readRanges(view: NodeView): Map<string, RangeSeen> {
  const out = new Map<string, RangeSeen>();
  const ranges = view.ranges;
  if (!isRecord(ranges)) return out;
  for (const [id, r] of Object.entries(ranges)) {
    if (!isRecord(r)) continue;
    const replicas = Array.isArray(r.replicas)
      ? r.replicas.filter((x): x is string => typeof x === 'string')
      : undefined;
    out.set(id, {
      role: typeof r.role === 'string' ? r.role : undefined,
      term: typeof r.term === 'number' ? r.term : undefined,
      start: typeof r.start === 'string' ? r.start : undefined,
      end: typeof r.end === 'string' || r.end === null ? r.end : undefined,
      replicas,
      leader: typeof r.leader === 'string' ? r.leader : undefined,
    });
  }
  return out;
}

/**
 * A node card's outline of its replicas: `r2 follower t3`, then, dimmer, the leader it knows
 * of (`→ n1`), the span and the replicas.
 */
export function rangeLines(view: NodeView): OutlineLine[] {
  return [...rangesOf(view)]
    .sort(([a], [b]) => byRangeId(a, b))
    .map(([id, r]) => ({
      depth: 0,
      text: `${id} ${r.role ?? '?'}${r.term !== undefined ? ` t${r.term}` : ''}`,
      note: [
        ...(r.role !== 'leader' && r.leader !== undefined ? [`→ ${r.leader}`] : []),
        spanText(r.start, r.end),
        ...(r.replicas !== undefined ? [r.replicas.join(' ')] : []),
      ].join(' · '),
    }));
}

/** The ranges a node leads in this view, in id order. */
export function rangesLed(view: NodeView | null): string[] {
  return [...rangesOf(view)]
    .filter(([, r]) => r.role === 'leader')
    .map(([id]) => id)
    .sort(byRangeId);
}

/** r2 before r10. */
export function byRangeId(a: string, b: string): number {
  const na = Number(a.replace(/^\D+/, ''));
  const nb = Number(b.replace(/^\D+/, ''));
  return Number.isFinite(na) && Number.isFinite(nb) && na !== nb ? na - nb : a < b ? -1 : 1;
}

/** `[k04, k08)`; `[k08, ∞)` for the last range; `?` before any view gave the span. */
export function spanText(start: string | undefined, end: string | null | undefined): string {
  if (start === undefined) return '?';
  return `[${start === '' ? '−∞' : start}, ${end === null || end === undefined ? '∞' : end})`;
}

export interface LeaseSpan {
  readonly range: string;
  readonly node: NodeId;
  readonly term: number | undefined;
  readonly start: number;
  /** The run's end while the lease is still held. */
  readonly end: number;
  readonly open: boolean;
}

/**
 * Every stretch of time a node led a range, from its samples: from the sample where its view
 * first says leader (of a term) to the one where it no longer does, the node went down, or the
 * term changed. Two overlapping stretches of one range are real: an old leader that has not yet
 * heard of the new one still believes it leads.
 */
export function leaseSpans(run: LabRun): LeaseSpan[] {
  const out: LeaseSpan[] = [];
  for (const node of run.nodes) {
    const open = new Map<string, { start: number; term: number | undefined }>();
    const close = (range: string, t: number, still: boolean): void => {
      const o = open.get(range);
      if (o === undefined) return;
      open.delete(range);
      out.push({ range, node, term: o.term, start: o.start, end: t, open: still });
    };
    for (const s of run.samples(node)) {
      const ranges: ReadonlyMap<string, RangeSeen> =
        s.status === 'up' ? rangesOf(s.view) : new Map();
      for (const [range, o] of [...open]) {
        const now = ranges.get(range);
        if (now?.role !== 'leader' || now.term !== o.term) close(range, s.t, false);
      }
      for (const [range, r] of ranges)
        if (r.role === 'leader' && !open.has(range)) open.set(range, { start: s.t, term: r.term });
    }
    for (const range of [...open.keys()]) close(range, run.end, true);
  }
  return out.sort((a, b) => byRangeId(a.range, b.range) || a.start - b.start);
}

/** The leaseholder timeline: a row per range, a span per lease, labelled by its holder. */
export function leaseTimeline(run: LabRun): TimelineSpan[] {
  const rows = rangeRowNames(run);
  return leaseSpans(run).map((l) => ({
    row: rows.get(l.range) ?? l.range,
    start: l.start,
    end: l.end,
    label: `${l.node}${l.term !== undefined ? ` t${l.term}` : ''}`,
    kind: 'lease',
  }));
}

interface RangeState {
  start: string | undefined;
  end: string | null | undefined;
  replicas: readonly string[] | undefined;
  /** When the span and replicas kept here were reported. */
  at: number;
}

/** Every range any node's view named, with its span and replicas as last reported. */
function rangeStates(run: LabRun): Map<string, RangeState> {
  const states = new Map<string, RangeState>();
  for (const node of run.nodes)
    for (const s of run.samples(node))
      for (const [id, r] of rangesOf(s.view)) {
        let st = states.get(id);
        if (st === undefined)
          states.set(id, (st = { start: undefined, end: undefined, replicas: undefined, at: -1 }));
        // The latest report of any node wins: after a split, the new, narrower span.
        if (r.start !== undefined && s.t >= st.at) {
          st.at = s.t;
          st.start = r.start;
          st.end = r.end;
          st.replicas = r.replicas ?? st.replicas;
        }
      }
  return states;
}

/** A range's row name on the timeline: `r2 [k04, k08)`. */
function rangeRowNames(run: LabRun): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, st] of rangeStates(run)) out.set(id, `${id} ${spanText(st.start, st.end)}`);
  return out;
}

/**
 * One row per range, by id: its span, replicas, current leaseholder (the node that leads it at
 * the end of what was recorded; `none` during an election), since when, and how many times the
 * lease changed hands.
 */
export function rangeRows(run: LabRun): (string | number)[][] {
  const leases = leaseSpans(run);
  return [...rangeStates(run)]
    .sort(([a], [b]) => byRangeId(a, b))
    .map(([id, st]) => {
      const mine = leases.filter((l) => l.range === id);
      const held = mine.filter((l) => l.open).sort((a, b) => (b.term ?? 0) - (a.term ?? 0))[0];
      const holders = mine.map((l) => l.node);
      const changes = holders.filter((n, i) => i > 0 && n !== holders[i - 1]).length;
      return [
        id,
        spanText(st.start, st.end),
        st.replicas?.join(' ') ?? '?',
        held?.node ?? 'none',
        held === undefined ? '—' : held.start,
        changes,
      ];
    });
}
