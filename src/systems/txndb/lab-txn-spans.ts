/**
 * Transactions on the lab's time axis, from what the run recorded:
 *
 * - each coordinator's view in its node's samples (`txns`: TxnCoordinator.view()) gives the
 *   micro-op it runs (which key, on which range), its read refresh, its commit and, with
 *   TrueTime, its commit wait, as stretches between the samples where they begin and end, and
 *   the moment its coordinator learnt each intent was laid;
 * - the ranges' Raft traffic gives the rest: a `put` command laid an intent once its range
 *   committed it, and a `resolve` command of the same transaction and key removed it once
 *   committed. A command counts as proposed when its leader first sends it to a follower and as
 *   committed when the leader first sends a commit index past it (an append or a heartbeat):
 *   both a little after the fact, by up to one message delay. Reading the log's entries rather
 *   than the RPCs sees the commands a node proposed to its own replicas too.
 *
 * An intent is drawn from the earlier of the two moments it is known laid, until its
 * resolution is proposed; the resolution until it commits. Ranges split as they grow, so a key's
 * range is not fixed: an intent names the range whose log committed its `put` (the coordinator's
 * routing only where no log traffic was seen), and its resolution the range whose log carried
 * the `resolve` — a range split off the first one, if the key moved there meanwhile.
 */
import type { Json } from '../../core/json.js';
import {
  msgField,
  type LabRun,
  type TimelineKind,
  type TimelineSpan,
} from '../../core/lab-views.js';
import type { NodeId, NodeView } from '../../core/node.js';

/** A field of a value that may be missing. */
function at(v: Json | undefined, field: string): Json | undefined {
  return v === undefined ? undefined : msgField(v, field);
}

/** The timeline shows this many transactions, the latest to start. */
export const TXN_ROWS = 16;

export const TXN_KINDS: readonly TimelineKind[] = [
  { id: 'read', label: 'read' },
  { id: 'write', label: 'write (lays an intent)' },
  { id: 'refresh', label: 'read refresh' },
  { id: 'commit', label: 'commit (the record)' },
  { id: 'commit-wait', label: 'commit wait' },
  { id: 'intent', label: 'intent held' },
  { id: 'resolve', label: 'intent resolution' },
];

/** `n1.4` for the fourth transaction of n1's first incarnation; `#1` a retry, `~2` a restart. */
export function shortTxn(id: string): string {
  const parts = id.split('.');
  if (parts.length !== 4) return id;
  const [node, incarnation, n, attempt] = parts;
  return `${node}${incarnation === '1' ? '' : `~${incarnation}`}.${n}${attempt === '0' ? '' : `#${attempt}`}`;
}

/** What one sample says of a transaction its node coordinates. */
interface TxnSeen {
  readonly id: string;
  readonly phase: string;
  readonly epoch: number;
  /** `[f, key, range]` of the micro-op running, or null. */
  readonly op: readonly [string, string, string] | null;
  /** `[key, range]` of each intent it holds. */
  readonly intents: readonly (readonly [string, string])[];
  /** Its write timestamp's wall time (the commit timestamp once it commits), if reported. */
  readonly writeWall: number | undefined;
}

/** Views already read: the lab recomputes its panels from the same samples often. */
const readViews = new WeakMap<NodeView, readonly TxnSeen[]>();

function txnsOf(view: NodeView | null): readonly TxnSeen[] {
  if (view === null) return [];
  let out = readViews.get(view);
  if (out === undefined) readViews.set(view, (out = readTxns(view)));
  return out;
}

function readTxns(view: NodeView): TxnSeen[] {
  const list = view.txns;
  if (!Array.isArray(list)) return [];
  const out: TxnSeen[] = [];
  for (const t of list) {
    const id = msgField(t, 'id');
    const phase = msgField(t, 'phase');
    const epoch = msgField(t, 'epoch');
    const op = msgField(t, 'op');
    if (typeof id !== 'string' || typeof phase !== 'string') continue;
    const triple =
      Array.isArray(op) && op.length === 3 && op.every((x) => typeof x === 'string')
        ? ([String(op[0]), String(op[1]), String(op[2])] as const)
        : null;
    const intents = msgField(t, 'intents');
    const pairs = Array.isArray(intents)
      ? intents.flatMap((i: Json) =>
          Array.isArray(i) && typeof i[0] === 'string' && typeof i[1] === 'string'
            ? [[i[0], i[1]] as const]
            : [],
        )
      : [];
    const wall = msgField(msgField(t, 'writeTs') ?? null, 'wall');
    out.push({
      id,
      phase,
      epoch: typeof epoch === 'number' ? epoch : 0,
      op: triple,
      intents: pairs,
      writeWall: typeof wall === 'number' ? wall : undefined,
    });
  }
  return out;
}

interface Stretch {
  readonly kind: string;
  readonly label: string;
  readonly start: number;
}

/** What a transaction is doing in a sample; null when its view names no micro-op to draw. */
function stretchOf(t: TxnSeen): { kind: string; label: string } | null {
  const again = t.epoch > 0 ? ` (epoch ${t.epoch})` : '';
  const ts = t.writeWall !== undefined ? ` ts ${t.writeWall.toFixed(1)}` : '';
  switch (t.phase) {
    case 'refreshing':
      return { kind: 'refresh', label: `refresh${again}` };
    case 'committing':
      return { kind: 'commit', label: `commit${ts}` };
    case 'commit-wait':
      // Released once TrueTime's earliest has passed this timestamp.
      return { kind: 'commit-wait', label: `commit wait${ts}` };
    default: {
      if (t.op === null) return null;
      const [f, key, range] = t.op;
      return { kind: f === 'r' ? 'read' : 'write', label: `${f} ${key} @${range}${again}` };
    }
  }
}

interface Track {
  readonly id: string;
  readonly node: NodeId;
  readonly first: number;
  readonly spans: TimelineSpan[];
  /** When its coordinator first listed each intent (its write answered): key → [t, range]. */
  readonly intents: Map<string, readonly [number, string]>;
  /** The keys of the micro-ops it was seen running. */
  readonly keys: Set<string>;
}

/** Each transaction's phases from its coordinator's samples, by transaction id. */
function phaseTracks(run: LabRun): Map<string, Track> {
  const tracks = new Map<string, Track>();
  for (const node of run.nodes) {
    const open = new Map<string, Stretch>();
    const close = (id: string, t: number): void => {
      const o = open.get(id);
      if (o === undefined) return;
      open.delete(id);
      tracks.get(id)?.spans.push({
        row: shortTxn(id),
        start: o.start,
        end: Math.max(o.start, t),
        label: o.label,
        kind: o.kind,
      });
    };
    for (const s of run.samples(node)) {
      const seen = s.status === 'up' ? txnsOf(s.view) : [];
      const now = new Map(seen.map((t) => [t.id, t]));
      for (const id of [...open.keys()]) if (!now.has(id)) close(id, s.t);
      for (const t of seen) {
        let track = tracks.get(t.id);
        if (track === undefined)
          tracks.set(
            t.id,
            (track = {
              id: t.id,
              node,
              first: s.t,
              spans: [],
              intents: new Map(),
              keys: new Set(),
            }),
          );
        if (t.op !== null) track.keys.add(t.op[1]);
        for (const [key, range] of t.intents)
          if (!track.intents.has(key)) track.intents.set(key, [s.t, range]);
        const next = stretchOf(t);
        const o = open.get(t.id);
        if (o !== undefined && o.kind === next?.kind && o.label === next.label) continue;
        close(t.id, s.t);
        if (next !== null) open.set(t.id, { ...next, start: s.t });
      }
    }
    for (const id of [...open.keys()]) close(id, run.end);
  }
  return tracks;
}

interface Pending {
  readonly term: number;
  readonly proposed: number;
  readonly op: Json;
}

/** A range command's life in its Raft log: when its leader first sent it, when it committed. */
interface Logged {
  readonly range: string;
  readonly op: Json;
  readonly proposed: number;
  readonly committed: number | undefined;
}

/** What the timeline reads of a range's append or heartbeat. */
interface RaftTraffic {
  readonly range: string;
  readonly term: number;
  /** The entries an append carries: index, term, and the command's op (null: not a command). */
  readonly entries: readonly (readonly [index: number, term: number, op: Json | null])[];
  readonly commit: number | undefined;
}

/** Messages already read: the lab recomputes its panels from the same messages often. */
const parsed = new WeakMap<object, RaftTraffic | null>();

function trafficOf(msg: Json): RaftTraffic | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const known = parsed.get(msg);
  if (known !== undefined) return known;
  const t = readTraffic(msg);
  parsed.set(msg, t);
  return t;
}

function readTraffic(msg: Json): RaftTraffic | null {
  if (at(msg, 'type') !== 'group') return null;
  const range = at(msg, 'group');
  const raft = at(msg, 'msg');
  const type = at(raft, 'type');
  const term = at(raft, 'term');
  if (typeof range !== 'string' || typeof term !== 'number') return null;
  if (type !== 'append' && type !== 'heartbeat') return null;
  const commit = at(raft, 'commit');
  const list = at(raft, 'entries');
  const prev = at(raft, 'prevIndex');
  const entries: [number, number, Json | null][] = [];
  if (Array.isArray(list) && typeof prev === 'number')
    list.forEach((e: Json, i: number) => {
      const eTerm = at(e, 'term');
      if (typeof eTerm === 'number')
        entries.push([prev + 1 + i, eTerm, at(at(e, 'command'), 'op') ?? null]);
    });
  return { range, term, entries, commit: typeof commit === 'number' ? commit : undefined };
}

/** The index of the first message sent at or after `t` (messages are in send order). */
function firstSentAt(run: LabRun, t: number): number {
  let lo = 0;
  let hi = run.sent.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (run.sent[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Every command the ranges' leaders sent to their followers from `from` on, with when it
 * committed.
 */
function loggedCommands(
  run: LabRun,
  from: number,
): { readonly commands: Logged[]; readonly ranges: ReadonlySet<string> } {
  const out: Logged[] = [];
  const pending = new Map<string, Map<number, Pending>>();
  /** Per range, the highest commit index announced: entries up to it are settled. */
  const settled = new Map<string, number>();
  for (let i = firstSentAt(run, from); i < run.sent.length; i++) {
    const m = run.sent[i]!;
    const traffic = trafficOf(m.msg);
    if (traffic === null) continue;
    const { range, term } = traffic;
    let waiting = pending.get(range);
    if (waiting === undefined) pending.set(range, (waiting = new Map()));
    const done = settled.get(range) ?? 0;
    for (const [index, eTerm, op] of traffic.entries) {
      // Sent again (to a follower behind), or settled already: not a new proposal.
      if (index <= done || waiting.get(index)?.term === eTerm) continue;
      // A different entry at a known index: a new leader overwrote the old one.
      waiting.delete(index);
      if (op !== null) waiting.set(index, { term: eTerm, proposed: m.t, op });
    }
    const commit = traffic.commit;
    if (commit === undefined) continue;
    if (commit > done) settled.set(range, commit);
    for (const [index, p] of waiting)
      if (index <= commit && p.term <= term) {
        waiting.delete(index);
        out.push({ range, op: p.op, proposed: p.proposed, committed: m.t });
      }
  }
  for (const [range, waiting] of pending)
    for (const p of waiting.values())
      out.push({ range, op: p.op, proposed: p.proposed, committed: undefined });
  return { commands: out, ranges: new Set(pending.keys()) };
}

/**
 * The range that answered `written` to each transaction's put of each key (`id␀key` → range),
 * from the range RPCs sent from `from` on: a put committed in a range's log may still be refused
 * when applied (the key moved to a range split off, or the lease changed), and retried
 * elsewhere.
 */
function writtenPuts(run: LabRun, from: number): Map<string, string> {
  const asked = new Map<string, { readonly range: string; readonly put: string }>();
  const out = new Map<string, string>();
  for (let i = firstSentAt(run, from); i < run.sent.length; i++) {
    const m = run.sent[i]!;
    const type = at(m.msg, 'type');
    const rpc = at(m.msg, 'id');
    if (type === 'range-req') {
      const op = at(m.msg, 'op');
      const range = at(m.msg, 'range');
      const txn = at(at(op, 'txn'), 'id');
      const key = at(op, 'key');
      if (at(op, 'k') !== 'put' || typeof range !== 'string') continue;
      if (typeof txn === 'string' && typeof key === 'string')
        asked.set(`${m.from}>${m.to}#${String(rpc)}`, { range, put: `${txn}\u0000${key}` });
    } else if (type === 'range-resp') {
      const req = asked.get(`${m.to}>${m.from}#${String(rpc)}`);
      if (req === undefined) continue;
      const reply = at(m.msg, 'reply');
      if (at(reply, 'ok') === true && at(at(reply, 'value'), 'kind') === 'written')
        out.set(req.put, req.range);
    }
  }
  return out;
}

interface IntentLife {
  readonly key: string;
  /** The range it was laid in. */
  range: string;
  laid: number | undefined;
  resolveProposed: number | undefined;
  /** The range whose log carried its resolution. */
  resolveRange: string | undefined;
  /** The resolution's outcome: the intent committed as a version, or aborted. */
  aborted: boolean;
  resolved: number | undefined;
}

/**
 * For each wanted transaction, its intents: laid, resolution asked, resolved; and the ranges
 * whose leaders were heard replicating (a range without followers sends nothing to read).
 */
function intentLives(
  run: LabRun,
  tracks: readonly Track[],
): { readonly lives: Map<string, IntentLife[]>; readonly replicated: ReadonlySet<string> } {
  const wanted = new Set(tracks.map((t) => t.id));
  const lives = new Map<string, Map<string, IntentLife>>();
  const life = (id: string, key: string, range: string): IntentLife => {
    let byKey = lives.get(id);
    if (byKey === undefined) lives.set(id, (byKey = new Map()));
    let l = byKey.get(key);
    if (l === undefined)
      byKey.set(
        key,
        (l = {
          key,
          range,
          laid: undefined,
          resolveProposed: undefined,
          resolveRange: undefined,
          aborted: false,
          resolved: undefined,
        }),
      );
    return l;
  };
  for (const track of tracks)
    for (const [key, [t, range]] of track.intents) life(track.id, key, range).laid = t;
  // A transaction's commands are all sent once it started, and its coordinator's first sample
  // is taken by the end of the millisecond it started in: messages sent well before the
  // earliest shown transaction's (50 ms, for room) are not read.
  const from = tracks.reduce((m, t) => Math.min(m, t.first - 50), Infinity);
  const { commands, ranges } = loggedCommands(run, from);
  const written = writtenPuts(run, from);
  for (const c of commands.sort((a, b) => a.proposed - b.proposed)) {
    const k = msgField(c.op, 'k');
    const key = msgField(c.op, 'key');
    if (typeof key !== 'string') continue;
    if (k === 'put') {
      const id = at(at(c.op, 'txn'), 'id');
      if (typeof id !== 'string' || !wanted.has(id) || c.committed === undefined) continue;
      // Committed in a range that then refused it (see writtenPuts): no intent there.
      const where = written.get(`${id}\u0000${key}`);
      if (where !== undefined && where !== c.range) continue;
      const l = life(id, key, c.range);
      if (l.laid === undefined || c.committed < l.laid) l.laid = c.committed;
      // Where its log committed it: the coordinator names the range it routed to, which a
      // split may have narrowed since.
      l.range = c.range;
    } else if (k === 'resolve') {
      const id = msgField(c.op, 'id');
      if (typeof id !== 'string' || !wanted.has(id)) continue;
      const l = lives.get(id)?.get(key);
      // The first resolution asked once the intent was there (later ones find nothing).
      if (l === undefined || l.laid === undefined || l.resolveProposed !== undefined) continue;
      l.resolveProposed = Math.max(l.laid, c.proposed);
      l.resolveRange = c.range;
      l.resolved = c.committed;
      l.aborted = at(c.op, 'commitTs') === null;
    }
  }
  return {
    lives: new Map([...lives].map(([id, byKey]) => [id, [...byKey.values()]])),
    replicated: ranges,
  };
}

/**
 * Whether a transaction is the one picked: `n1.4` (with its retries, `n1.4#1`…) or its full id,
 * or a key it read, wrote or holds an intent on (`k05`).
 */
function picked(track: Track, focus: string): boolean {
  const short = shortTxn(track.id);
  if (track.id === focus || short === focus || short.startsWith(`${focus}#`)) return true;
  return track.keys.has(focus) || track.intents.has(focus);
}

/**
 * The latest `rows` transactions to start (TXN_ROWS by default), or, with `focus`, the latest
 * of those it picks (see picked), a row each: its micro-ops, refresh, commit and
 * commit wait, then each intent it laid (held until its resolution was asked) and that
 * resolution (until its range committed it). A span still open ends at the run's end.
 */
export function txnTimeline(run: LabRun, rows = TXN_ROWS, focus?: string): TimelineSpan[] {
  const tracks = [...phaseTracks(run).values()]
    .filter((t) => focus === undefined || picked(t, focus))
    .sort((a, b) => a.first - b.first || (a.id < b.id ? -1 : 1))
    .slice(-rows);
  const { lives, replicated } = intentLives(run, tracks);
  const out: TimelineSpan[] = [];
  for (const track of tracks) {
    const row = shortTxn(track.id);
    out.push(...track.spans);
    const finished = track.spans.reduce((m, s) => Math.max(m, s.end), track.first);
    for (const l of lives.get(track.id) ?? []) {
      if (l.laid === undefined) continue;
      const where = `${l.key} @${l.range}`;
      const resolvedWhere = `${l.key} @${l.resolveRange ?? l.range}`;
      // A range no follower was heard from (a one-node cluster) shows no resolution: its
      // intents are drawn until their transaction ends, where its coordinator resolves them.
      const until =
        l.resolveProposed ?? (replicated.has(l.range) ? run.end : Math.max(l.laid, finished));
      out.push({ row, start: l.laid, end: until, label: `intent ${where}`, kind: 'intent' });
      if (l.resolveProposed !== undefined)
        out.push({
          row,
          start: l.resolveProposed,
          end: Math.max(l.resolveProposed, l.resolved ?? run.end),
          label: `resolve ${resolvedWhere}${l.aborted ? ' (abort)' : ''}`,
          kind: 'resolve',
        });
    }
  }
  return out;
}
