/**
 * PBFT in the lab: each arrow named by the phase it carries (pre-prepare, prepare, commit,
 * checkpoint, view-change, new-view…), the primary starred and traitors marked on their lanes,
 * the three phases per sequence number, executed requests and views per replica, and every
 * view change. A message's body is the signed JSON text in its `p` field (crypto.ts), read here
 * without checking the signature: the lab shows what was sent, the replicas judge it.
 */
import type { Json } from '../../core/json.js';
import {
  msgField,
  perNodeSteps,
  viewNum,
  viewStr,
  type LabRun,
  type LabViews,
} from '../../core/lab-views.js';

/** The phase-table shows this many most recent sequence numbers. */
export const PHASE_ROWS = 40;

export interface PbftBody {
  readonly t: string;
  readonly i: string | undefined;
  readonly v: number | undefined;
  readonly n: number | undefined;
}

/** Bodies already read, by message: the lab redraws its panels from the same messages often. */
const bodies = new WeakMap<object, PbftBody | null>();

/** The signed body of a PBFT message, or undefined for anything else. */
export function pbftBody(msg: Json): PbftBody | undefined {
  if (typeof msg !== 'object' || msg === null) return readBody(msg);
  const known = bodies.get(msg);
  if (known !== undefined) return known ?? undefined;
  const body = readBody(msg);
  bodies.set(msg, body ?? null);
  return body;
}

function readBody(msg: Json): PbftBody | undefined {
  const p = msgField(msg, 'p');
  if (msgField(msg, 'type') !== 'pbft' || typeof p !== 'string') return undefined;
  let body: Json;
  try {
    // JSON text parses to JSON data.
    body = JSON.parse(p) as Json;
  } catch {
    return undefined;
  }
  const t = msgField(body, 't');
  const i = msgField(body, 'i');
  const v = msgField(body, 'v');
  const n = msgField(body, 'n');
  if (typeof t !== 'string') return undefined;
  return {
    t,
    i: typeof i === 'string' ? i : undefined,
    v: typeof v === 'number' ? v : undefined,
    n: typeof n === 'number' ? n : undefined,
  };
}

export function pbftLabel(msg: Json): string {
  const b = pbftBody(msg);
  if (b === undefined) return String(msgField(msg, 'type'));
  switch (b.t) {
    case 'pre-prepare':
    case 'prepare':
    case 'commit':
      return `${b.t} v${b.v ?? '?'} n${b.n ?? '?'}`;
    case 'checkpoint':
      return `checkpoint n${b.n ?? '?'}`;
    case 'view-change':
    case 'new-view':
      return `${b.t} → v${b.v ?? '?'}`;
    default:
      return b.t;
  }
}

interface Phases {
  v: number;
  prePrepare: number | undefined;
  prepares: number;
  commits: number;
}

/**
 * Per (view, sequence number): when the primary first sent its pre-prepare, and how many
 * prepare and commit messages replicas sent (each broadcast counted once per receiver), with
 * how many replicas had executed it by the end.
 */
export function phaseRows(run: LabRun): (string | number)[][] {
  const phases = new Map<string, Phases & { n: number }>();
  for (const m of run.sent) {
    const b = pbftBody(m.msg);
    if (b === undefined || b.n === undefined || b.v === undefined) continue;
    if (b.t !== 'pre-prepare' && b.t !== 'prepare' && b.t !== 'commit') continue;
    const key = `${b.v}/${b.n}`;
    let p = phases.get(key);
    if (p === undefined)
      phases.set(key, (p = { v: b.v, n: b.n, prePrepare: undefined, prepares: 0, commits: 0 }));
    if (b.t === 'pre-prepare') p.prePrepare ??= m.t;
    else if (b.t === 'prepare') p.prepares++;
    else p.commits++;
  }
  const executed = run.nodes.map((node) => {
    const s = run.samples(node);
    return viewNum(s[s.length - 1]?.view ?? null, 'executed') ?? 0;
  });
  return [...phases.values()]
    .sort((a, b) => a.n - b.n || a.v - b.v)
    .slice(-PHASE_ROWS)
    .map((p) => [
      p.n,
      p.v,
      p.prePrepare ?? '—',
      p.prepares,
      p.commits,
      `${executed.filter((e) => e >= p.n).length}/${run.nodes.length}`,
    ]);
}

/** Every view-change and new-view message's first send: who moved to which view, when. */
export function viewChangeRows(run: LabRun): (string | number)[][] {
  const seen = new Set<string>();
  const rows: (string | number)[][] = [];
  for (const m of run.sent) {
    const b = pbftBody(m.msg);
    if (b === undefined || (b.t !== 'view-change' && b.t !== 'new-view')) continue;
    const key = `${b.t}/${m.from}/${b.v}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push([m.t, m.from, b.t, b.v ?? '?']);
  }
  return rows;
}

export const pbftLabViews: LabViews = {
  messageLabel: pbftLabel,
  lane: (view, node) => {
    const traitor = viewStr(view, 'byzantine');
    const v = viewNum(view, 'view');
    const primary = viewStr(view, 'primary') === node;
    return {
      role: primary ? 'primary' : 'backup',
      lead: primary,
      marks: [
        ...(v !== undefined ? [`v${v}`] : []),
        ...(traitor !== undefined ? [`traitor (${traitor})`] : []),
      ],
    };
  },
  panels: [
    {
      kind: 'table',
      id: 'phases',
      title: 'Phases per sequence number',
      columns: ['n', 'view', 'pre-prepare at (ms)', 'prepares sent', 'commits sent', 'executed'],
      rows: phaseRows,
    },
    {
      kind: 'chart',
      id: 'executed',
      title: 'Requests executed per replica',
      yLabel: 'sequence number',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'executed')),
    },
    {
      kind: 'chart',
      id: 'views',
      title: 'View per replica',
      yLabel: 'view',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'view')),
    },
    {
      kind: 'table',
      id: 'view-changes',
      title: 'View changes',
      columns: ['t (ms)', 'replica', 'message', 'to view'],
      rows: viewChangeRows,
    },
  ],
};
