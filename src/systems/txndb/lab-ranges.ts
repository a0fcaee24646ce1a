/**
 * The transactional database's ranges as the lab shows them, read from each node's sampled
 * inspect() view (`ranges`: per hosted range its Raft role and term, span, replicas, generation,
 * key count and lease): who held each range's lease over the run, and each range as it stands.
 *
 * A data range's leaseholder is its lease's holder (expiration-based leases, range-lease.ts):
 * the replica that serves reads and evaluates writes, which need not be the Raft leader. The
 * meta range (the range directory) has no lease: its Raft leader serves it, so that is what its
 * row and timeline show. A range is shown from the first sample that names it, so a range split
 * off mid-run gets its row then.
 */
import type { Json } from '../../core/json.js';
import type { LabRun, OutlineLine, TimelineSpan } from '../../core/lab-views.js';
import type { NodeId, NodeView } from '../../core/node.js';

/** The meta range's id (range-directory.ts's META_RANGE). */
export const META = 'meta';

/** A range's lease as a replica applied it. */
export interface LeaseSeen {
  readonly holder: string;
  /** The holder's clock when the lease began (ms). */
  readonly start: number;
  readonly expiration: number;
  readonly seq: number;
}

/** What one node's view says of one range it hosts. */
export interface RangeSeen {
  readonly role: string | undefined;
  readonly term: number | undefined;
  readonly start: string | undefined;
  /** null: the last range (to the end of the key space). */
  readonly end: string | null | undefined;
  readonly replicas: readonly string[] | undefined;
  readonly generation: number | undefined;
  readonly keys: number | undefined;
  /** null: no lease yet; undefined: none reported (the meta range has none). */
  readonly lease: LeaseSeen | null | undefined;
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

function readLease(v: Json | undefined): LeaseSeen | null | undefined {
  if (v === null) return null;
  if (!isRecord(v)) return undefined;
  const { holder, start, expiration, seq } = v;
  if (
    typeof holder !== 'string' ||
    typeof start !== 'number' ||
    typeof expiration !== 'number' ||
    typeof seq !== 'number'
  )
    return undefined;
  return { holder, start, expiration, seq };
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
      generation: typeof r.generation === 'number' ? r.generation : undefined,
      keys: typeof r.keys === 'number' ? r.keys : undefined,
      lease: readLease(r.lease),
      leader: typeof r.leader === 'string' ? r.leader : undefined,
    });
  }
  return out;
}

/** `n3 #2 → 5472` : a lease's holder, sequence and expiration (ms, the holder's clock). */
function leaseText(l: LeaseSeen): string {
  return `lease ${l.holder} #${l.seq} → ${Math.round(l.expiration)}`;
}

/**
 * A node card's outline of its replicas: `r2 follower t3`, then, dimmer, the leader it knows
 * of (`→ n1`), the span, the replicas and the lease as this replica applied it.
 */
export function rangeLines(view: NodeView): OutlineLine[] {
  return [...rangesOf(view)]
    .sort(([a], [b]) => byRangeId(a, b))
    .map(([id, r]) => ({
      depth: 0,
      text: `${id} ${r.role ?? '?'}${r.term !== undefined ? ` t${r.term}` : ''}`,
      note: [
        ...(r.role !== 'leader' && r.leader !== undefined ? [`→ ${r.leader}`] : []),
        id === META ? 'the range directory' : spanText(r.start, r.end),
        ...(r.replicas !== undefined ? [r.replicas.join(' ')] : []),
        ...(r.lease ? [leaseText(r.lease)] : []),
      ].join(' · '),
    }));
}

/**
 * What a node serves in this view, in id order: the data ranges whose lease (as it applied it)
 * it holds, and the meta range if it leads it.
 */
export function rangesLed(view: NodeView | null, node: NodeId): string[] {
  return [...rangesOf(view)]
    .filter(([id, r]) => (id === META ? r.role === 'leader' : r.lease?.holder === node))
    .map(([id]) => id)
    .sort(byRangeId);
}

/** meta first; r2 before r10; r1 before r1.2 before r2. */
export function byRangeId(a: string, b: string): number {
  if (a === b) return 0;
  if (a === META || b === META) return a === META ? -1 : 1;
  const pa = a.replace(/^\D+/, '').split('.').map(Number);
  const pb = b.replace(/^\D+/, '').split('.').map(Number);
  if (pa.every(Number.isFinite) && pb.every(Number.isFinite))
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
  return a < b ? -1 : 1;
}

/** `[k04, k08)`; `[k08, ∞)` for the last range; `?` before any view gave the span. */
export function spanText(start: string | undefined, end: string | null | undefined): string {
  if (start === undefined) return '?';
  return `[${start === '' ? '−∞' : start}, ${end === null || end === undefined ? '∞' : end})`;
}

/** The meta range's span in the table: it holds the directory of the whole key space. */
const META_SPAN = 'meta: directory of [−∞, ∞)';

export interface LeaseSpan {
  readonly range: string;
  readonly node: NodeId;
  /** The lease's sequence (a data range) or the Raft term (the meta range, led without lease). */
  readonly seq: number | undefined;
  readonly kind: 'lease' | 'leader';
  /** When a sample first showed it (the run's time). */
  readonly start: number;
  /** The next lease's first sample, its expiration, or the run's end, whichever is first. */
  readonly end: number;
  /** The lease's own start and expiration (the holder's clock), for a data range. */
  readonly leaseStart: number | undefined;
  readonly expiration: number | undefined;
  /** Still held at the run's end: no later lease seen, and not expired. */
  readonly open: boolean;
}

/**
 * Every lease of every data range, from the samples of all its replicas: a lease (by its
 * sequence number) from the first sample in which any replica had applied it to the first
 * showing a later one, or to its expiration (its latest extension seen) if that comes first. A
 * split's right-hand range starts under its parent's lease, so its first lease is that one.
 */
function dataLeaseSpans(run: LabRun): LeaseSpan[] {
  interface Seen {
    holder: string;
    first: number;
    leaseStart: number;
    expiration: number;
  }
  const byRange = new Map<string, Map<number, Seen>>();
  for (const node of run.nodes)
    for (const s of run.samples(node)) {
      if (s.status !== 'up') continue;
      for (const [id, r] of rangesOf(s.view)) {
        if (id === META || !r.lease) continue;
        let seqs = byRange.get(id);
        if (seqs === undefined) byRange.set(id, (seqs = new Map()));
        const l = r.lease;
        const known = seqs.get(l.seq);
        if (known === undefined)
          seqs.set(l.seq, {
            holder: l.holder,
            first: s.t,
            leaseStart: l.start,
            expiration: l.expiration,
          });
        else {
          known.first = Math.min(known.first, s.t);
          known.expiration = Math.max(known.expiration, l.expiration);
        }
      }
    }
  const out: LeaseSpan[] = [];
  for (const [range, seqs] of byRange) {
    const list = [...seqs].sort(([a], [b]) => a - b);
    list.forEach(([seq, l], i) => {
      const next = list[i + 1]?.[1].first ?? Infinity;
      const end = Math.max(l.first, Math.min(next, l.expiration, run.end));
      out.push({
        range,
        node: l.holder,
        seq,
        kind: 'lease',
        start: l.first,
        end,
        leaseStart: l.leaseStart,
        expiration: l.expiration,
        open: next === Infinity && l.expiration >= run.end,
      });
    });
  }
  return out;
}

/**
 * The meta range's leadership, from its replicas' samples: from the sample where a node's view
 * first says leader (of a term) to the one where it no longer does, the node went down, or the
 * term changed. Two overlapping stretches are real: an old leader that has not yet heard of the
 * new one still believes it leads.
 */
function metaLeaderSpans(run: LabRun): LeaseSpan[] {
  const out: LeaseSpan[] = [];
  for (const node of run.nodes) {
    let open: { start: number; term: number | undefined } | null = null;
    const close = (t: number, still: boolean): void => {
      if (open === null) return;
      out.push({
        range: META,
        node,
        seq: open.term,
        kind: 'leader',
        start: open.start,
        end: t,
        leaseStart: undefined,
        expiration: undefined,
        open: still,
      });
      open = null;
    };
    for (const s of run.samples(node)) {
      const r = s.status === 'up' ? rangesOf(s.view).get(META) : undefined;
      if (open !== null && (r?.role !== 'leader' || r.term !== open.term)) close(s.t, false);
      if (open === null && r?.role === 'leader') open = { start: s.t, term: r.term };
    }
    close(run.end, true);
  }
  return out;
}

/** Every lease (and the meta range's leadership), by range, then in time. */
export function leaseSpans(run: LabRun): LeaseSpan[] {
  return [...metaLeaderSpans(run), ...dataLeaseSpans(run)].sort(
    (a, b) => byRangeId(a.range, b.range) || a.start - b.start,
  );
}

/** The leaseholder timeline: a row per range, a span per lease, labelled by its holder. */
export function leaseTimeline(run: LabRun): TimelineSpan[] {
  const rows = rangeRowNames(run);
  return leaseSpans(run).map((l) => ({
    row: rows.get(l.range) ?? l.range,
    start: l.start,
    end: l.end,
    label: l.kind === 'lease' ? `${l.node} #${l.seq ?? '?'}` : `${l.node} leader t${l.seq ?? '?'}`,
    kind: l.kind,
  }));
}

interface RangeState {
  start: string | undefined;
  end: string | null | undefined;
  generation: number;
  replicas: readonly string[] | undefined;
  keys: number | undefined;
  /** The nodes whose views list it: the meta range's replicas, which its views do not name. */
  readonly hosts: Set<string>;
  /** When the span kept here was reported. */
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
          states.set(
            id,
            (st = {
              start: undefined,
              end: undefined,
              generation: 0,
              replicas: undefined,
              keys: undefined,
              hosts: new Set(),
              at: -1,
            }),
          );
        st.hosts.add(node);
        // The newest descriptor wins (after a split, the narrower span), then the latest report.
        const gen = r.generation ?? 0;
        if (
          r.start !== undefined &&
          (gen > st.generation || (gen === st.generation && s.t >= st.at))
        ) {
          st.at = s.t;
          st.generation = gen;
          st.start = r.start;
          st.end = r.end;
          st.replicas = r.replicas ?? st.replicas;
          st.keys = r.keys ?? st.keys;
        }
      }
  return states;
}

/** A range's row name on the timeline: `r2 [k04, k08)`, `meta`. */
function rangeRowNames(run: LabRun): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, st] of rangeStates(run))
    out.set(id, id === META ? META : `${id} ${spanText(st.start, st.end)}`);
  return out;
}

/**
 * The span each range had at time `t`: the newest descriptor any replica reported at or before
 * `t`. Undefined before any did. A key maps to a range at a time through this.
 */
export function spanAt(
  run: LabRun,
  range: string,
  t: number,
): { readonly start: string; readonly end: string | null } | undefined {
  let best: { start: string; end: string | null; gen: number; at: number } | undefined;
  for (const node of run.nodes)
    for (const s of run.samples(node)) {
      if (s.t > t) break;
      const r = rangesOf(s.view).get(range);
      if (r?.start === undefined || r.end === undefined) continue;
      const gen = r.generation ?? 0;
      if (best === undefined || gen > best.gen || (gen === best.gen && s.t >= best.at))
        best = { start: r.start, end: r.end, gen, at: s.t };
    }
  return best === undefined ? undefined : { start: best.start, end: best.end };
}

/**
 * One row per range, meta first: its span, replicas, current leaseholder (the holder of the
 * latest lease any replica applied; the meta range's Raft leader, `none` during an election),
 * since when (the lease's start by its holder's clock, or when the leader was first seen), until
 * when (the lease's expiration; `—` for the meta range), how many times the lease changed hands,
 * and how many keys the range held.
 */
export function rangeRows(run: LabRun): (string | number)[][] {
  const leases = leaseSpans(run);
  return [...rangeStates(run)]
    .sort(([a], [b]) => byRangeId(a, b))
    .map(([id, st]) => {
      const mine = leases.filter((l) => l.range === id);
      const holders = mine.map((l) => l.node);
      const changes = holders.filter((n, i) => i > 0 && n !== holders[i - 1]).length;
      if (id === META) {
        const held = mine.filter((l) => l.open).sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0))[0];
        return [
          id,
          META_SPAN,
          [...st.hosts].sort().join(' '),
          held?.node ?? 'none',
          held === undefined ? '—' : held.start,
          '—',
          changes,
          '—',
        ];
      }
      const latest = mine.filter((l) => l.kind === 'lease').at(-1);
      return [
        id,
        spanText(st.start, st.end),
        st.replicas?.join(' ') ?? '?',
        latest?.node ?? 'none',
        latest?.leaseStart === undefined ? '—' : Math.round(latest.leaseStart),
        latest?.expiration === undefined ? '—' : Math.round(latest.expiration),
        changes,
        st.keys ?? '?',
      ];
    });
}
