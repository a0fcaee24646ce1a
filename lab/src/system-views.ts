/**
 * The bridge from a system's declared views (src/core/lab-views.ts) to the page: the run as the
 * declarations read it, lane labels from its lane marks, arrows relabelled as the trace is fed
 * to the diagram, and the verdict's name. Whatever a system does not declare falls back to the
 * lab's defaults, so a system with no declaration looks as it always did. No DOM here.
 */
import type { Json } from '../../src/core/json.js';
import type {
  LabRun,
  LabViews,
  LaneMarks,
  SentMessage,
  ViewSample,
} from '../../src/core/lab-views.js';
import type { NodeView } from '../../src/core/node.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import type { LaneLabel } from './lamport/draw.js';
import type { SnapshotStore } from './snapshots.js';
import { viewNumber, viewString } from './snapshots.js';

/** The default lane: Raft's and its kin's `role` (a 'leader' leads) and `term`. */
export function defaultLane(view: NodeView): LaneMarks {
  const role = viewString(view, 'role');
  const term = viewNumber(view, 'term');
  return {
    ...(role !== undefined ? { role } : {}),
    lead: role === 'leader',
    marks: term !== undefined ? [`t${term}`] : [],
  };
}

/** Whether a node leads in this view, by the system's lane declaration or the default. */
export function leadsBy(views: LabViews | undefined): (view: NodeView, node: string) => boolean {
  const lane = views?.lane ?? defaultLane;
  return (view, node) => lane(view, node).lead === true;
}

/** The lanes' labels at `t`: each node's status, or its role and marks while it is up. */
export function laneLabels(
  views: LabViews | undefined,
  lanes: readonly string[],
  snapshots: SnapshotStore | null,
  t: number,
): LaneLabel[] {
  const lane = views?.lane ?? defaultLane;
  return lanes.map((node) => {
    const s = snapshots?.at(node, t);
    if (s === undefined) return { title: node, detail: '', leader: false, down: false };
    const marks = s.view === null ? {} : lane(s.view, node);
    const detail =
      s.status !== 'up'
        ? s.status
        : [marks.role, ...(marks.marks ?? [])].filter((x) => x !== undefined).join(' ');
    return {
      title: node,
      detail,
      leader: marks.lead === true && s.status !== 'down',
      down: s.status === 'down',
    };
  });
}

/**
 * Renames message events for the diagram by the system's label function. A duplicate carries
 * no message of its own, so it takes the label its send was given (kept by message id).
 */
export class MessageLabeller {
  private readonly byId = new Map<number, string>();

  constructor(private readonly label: ((msg: Json) => string) | undefined) {}

  relabel(ev: TraceEvent): TraceEvent {
    if (this.label === undefined) return ev;
    if (ev.e === 'send') {
      const type = this.label(ev.msg);
      this.byId.set(ev.id, type);
      return { ...ev, type };
    }
    if (ev.e === 'duplicate') {
      const type = this.byId.get(ev.id);
      return type === undefined ? ev : { ...ev, type };
    }
    return ev;
  }
}

/** The run so far as the declarations read it, from the trace and the sampled views. */
export function labRun(
  nodes: readonly string[],
  end: number,
  trace: readonly TraceEvent[],
  snapshots: SnapshotStore,
): LabRun {
  const sent: SentMessage[] = [];
  for (const ev of trace)
    if (ev.e === 'send') sent.push({ t: ev.t, from: ev.from, to: ev.to, msg: ev.msg });
  return {
    nodes,
    end,
    sent,
    samples: (node): readonly ViewSample[] => snapshots.all(node),
  };
}

export interface VerdictName {
  /** What the verdict line says. */
  readonly text: string;
  /** The judge's name and what it checked, when the system's own judge ran. */
  readonly judge: { readonly name: string; readonly checks: string | undefined } | null;
}

const NOT_JUDGED = {
  running: 'running…',
  checking: 'checking…',
  unchecked: 'unchecked: this system promises nothing a checker can judge',
} as const;

/**
 * The verdict named for what was checked: "linearizable" only when the linearizability checker
 * ran; the system's own judge by its declared name otherwise (both when both ran).
 */
export function verdictName(
  state: 'running' | 'checking' | 'valid' | 'invalid' | 'unknown' | 'unchecked',
  linearizability: 'valid' | 'invalid' | 'unknown' | null,
  judged: 'valid' | 'invalid' | 'unknown' | null,
  views: LabViews | undefined,
): VerdictName {
  const name = views?.verdictName ?? "the system's own judge";
  const judge = judged === null ? null : { name, checks: views?.judgeChecks };
  if (state === 'running' || state === 'checking' || state === 'unchecked')
    return { text: NOT_JUDGED[state], judge };
  const parts: string[] = [];
  if (linearizability !== null) parts.push(said('linearizable', linearizability));
  if (judged !== null) parts.push(said(name, judged));
  if (parts.length === 0) parts.push(said('judged', state));
  return { text: parts.join(' · '), judge };
}

function said(name: string, verdict: 'valid' | 'invalid' | 'unknown'): string {
  switch (verdict) {
    case 'valid':
      return `${name} ✓`;
    case 'invalid':
      return `NOT ${name} ✗`;
    case 'unknown':
      return `${name}: unknown (the check ran out of budget)`;
  }
}
