/**
 * What a system shows in the lab, declared beside the system as plain data and pure functions
 * (SystemDefinition.labViews). The lab renders a few generic panel kinds from it and holds no
 * per-system code, so a new system brings its own views. Everything here is computed from what
 * a run recorded: the messages sent and each node's sampled inspect() views.
 */
import type { Json } from './json.js';
import type { NodeId, NodeView } from './node.js';

/** One sample of a node's state: kept by the lab each time its inspect() view changed. */
export interface ViewSample {
  readonly t: number;
  readonly status: 'up' | 'down' | 'paused';
  /** null while the node is down. */
  readonly view: NodeView | null;
}

export interface SentMessage {
  readonly t: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly msg: Json;
}

/** A run as far as it has gone, as the declarations' functions see it. */
export interface LabRun {
  readonly nodes: readonly NodeId[];
  /** Virtual time reached. */
  readonly end: number;
  /** The node's samples in time order. */
  samples(node: NodeId): readonly ViewSample[];
  /** Every message sent, in send order. */
  readonly sent: readonly SentMessage[];
}

/** What a lane shows for a node: its role, whether it leads (a ★), and further marks. */
export interface LaneMarks {
  readonly role?: string;
  /** Leader, primary, coordinator…: drawn with a star, and counted by the leader chart. */
  readonly lead?: boolean;
  /** Short words shown beside the role: "traitor", "view 3", "h 12"… */
  readonly marks?: readonly string[];
}

/** One line of a chart: a y value per x (null where the line has no value). */
export interface ChartLine {
  readonly label: string;
  readonly ys: readonly (number | null)[];
}

/** A chart's columns: sorted x values (virtual ms) and a line per series. */
export interface ChartData {
  readonly xs: readonly number[];
  readonly lines: readonly ChartLine[];
}

export interface TreeNode {
  readonly id: string;
  /** null for a root. */
  readonly parent: string | null;
  /** Depth from the root (a block's height). */
  readonly depth: number;
  readonly label: string;
  /** `main`: on the chain the nodes follow; `stale`: off it. */
  readonly kind: 'main' | 'stale';
}

interface PanelBase {
  /** Unique within the system; the lab's test id is `panel-<id>`. */
  readonly id: string;
  readonly title: string;
}

export interface ChartPanel extends PanelBase {
  readonly kind: 'chart';
  readonly yLabel: string;
  /** Lines drawn as steps (counts that change at instants) rather than joined points. */
  readonly stepped?: boolean;
  data(run: LabRun): ChartData;
}

export interface TablePanel extends PanelBase {
  readonly kind: 'table';
  readonly columns: readonly string[];
  rows(run: LabRun): readonly (readonly (string | number)[])[];
}

export interface TreePanel extends PanelBase {
  readonly kind: 'tree';
  tree(run: LabRun): readonly TreeNode[];
}

/**
 * One labelled stretch of virtual time on a timeline row: a transaction's phase, a lease held…
 * Spans of one row that overlap are stacked by the lab, so none hides another.
 */
export interface TimelineSpan {
  /** The row's name; rows are drawn in the order their first span appears. */
  readonly row: string;
  /** Virtual ms; `end` ≥ `start` (a span still open ends at the run's `end`). */
  readonly start: number;
  readonly end: number;
  readonly label: string;
  /** Which of the panel's `kinds` it is: its colour and legend entry. */
  readonly kind: string;
}

export interface TimelineKind {
  readonly id: string;
  /** The legend's word for it. */
  readonly label: string;
}

export interface TimelinePanel extends PanelBase {
  readonly kind: 'timeline';
  /** Every kind a span may have, in legend order (a span of another kind is a declaration bug). */
  readonly kinds: readonly TimelineKind[];
  /**
   * When set, the lab offers a box to pick what to show — this says what may be typed there
   * ("a transaction (n1.4) or a key (k05)") — and hands `spans` what was typed.
   */
  readonly focus?: string;
  /** `focus`: what was typed in the panel's box, trimmed; undefined when nothing was. */
  spans(run: LabRun, focus?: string): readonly TimelineSpan[];
}

export type LabPanel = ChartPanel | TablePanel | TreePanel | TimelinePanel;

/** One line of a node's outline, indented by its depth (0: a root). */
export interface OutlineLine {
  readonly depth: number;
  readonly text: string;
  /** Details drawn after the text, dimmer: a version, an owner… */
  readonly note?: string;
}

/**
 * A structure inside one node's state (ZooKeeper's znode tree…) drawn as an indented outline in
 * the node's card, in place of the inspect() field that holds it.
 */
export interface NodeOutline {
  /** The inspect() field it draws. */
  readonly field: string;
  readonly title: string;
  lines(view: NodeView): readonly OutlineLine[];
}

export interface LabViews {
  /** The label of a message's arrow, from the message itself; the lab's default is its `type`. */
  readonly messageLabel?: (msg: Json) => string;
  /** What a node's lane shows; the default reads `role` ('leader' leads) and `term`. */
  readonly lane?: (view: NodeView, node: NodeId) => LaneMarks;
  /** The system's own panels, drawn after the lab's default ones. */
  readonly panels?: readonly LabPanel[];
  /** A field of each node's state the node card draws as an outline rather than as JSON. */
  readonly nodeOutline?: NodeOutline;
  /** The name of what the system's own judge checks ("chain consistent", "atomic"…). */
  readonly verdictName?: string;
  /** What that judge checked, in a sentence, shown beside the verdict. */
  readonly judgeChecks?: string;
}

/** True when a chart has at least one value to draw: empty charts are not shown. */
export function chartHasData(data: ChartData): boolean {
  return data.xs.length > 0 && data.lines.some((l) => l.ys.some((y) => y !== null));
}

/** Panel data, or undefined when it would be empty. */
export function panelHasData(
  panel: LabPanel,
  run: LabRun,
  /** What was typed in a timeline's focus box. */
  focus?: string,
):
  | { kind: 'chart'; data: ChartData }
  | { kind: 'table'; rows: readonly (readonly (string | number)[])[] }
  | { kind: 'tree'; nodes: readonly TreeNode[] }
  | { kind: 'timeline'; spans: readonly TimelineSpan[] }
  | undefined {
  switch (panel.kind) {
    case 'chart': {
      const data = panel.data(run);
      return chartHasData(data) ? { kind: 'chart', data } : undefined;
    }
    case 'table': {
      const rows = panel.rows(run);
      return rows.length > 0 ? { kind: 'table', rows } : undefined;
    }
    case 'tree': {
      const nodes = panel.tree(run);
      return nodes.length > 0 ? { kind: 'tree', nodes } : undefined;
    }
    case 'timeline': {
      const spans = panel.spans(run, focus);
      const known = new Set(panel.kinds.map((k) => k.id));
      for (const s of spans) {
        if (!known.has(s.kind))
          throw new LabViewError(`panel ${panel.id}: span kind '${s.kind}' is not declared`);
        if (!(s.end >= s.start))
          throw new LabViewError(`panel ${panel.id}: span '${s.label}' ends before it starts`);
      }
      return spans.length > 0 ? { kind: 'timeline', spans } : undefined;
    }
  }
}

/** A declaration that breaks its own contract (a bug in the system's lab views). */
export class LabViewError extends Error {
  readonly code = 'bad-lab-view';
  constructor(message: string) {
    super(message);
    this.name = 'LabViewError';
  }
}

/** A field of a view, when present with the wanted type. */
export function viewNum(view: NodeView | null, field: string): number | undefined {
  const v = view?.[field];
  return typeof v === 'number' ? v : undefined;
}

export function viewStr(view: NodeView | null, field: string): string | undefined {
  const v = view?.[field];
  return typeof v === 'string' ? v : undefined;
}

/** A message's field, when the message is an object holding one of the wanted type. */
export function msgField(msg: Json, field: string): Json | undefined {
  if (typeof msg !== 'object' || msg === null || isList(msg)) return undefined;
  return msg[field];
}

// Array.isArray does not narrow a readonly array out of a union.
function isList(v: Json): v is readonly Json[] {
  return Array.isArray(v);
}

/**
 * A step chart of one number per node read from its samples: x is every instant any node's
 * value changed, each line carries its node's latest value (null before its first sample and
 * while it is down).
 */
export function perNodeSteps(run: LabRun, read: (view: NodeView) => number | undefined): ChartData {
  const points = new Map<number, Map<NodeId, number | null>>();
  for (const node of run.nodes) {
    let last: number | null | undefined;
    for (const s of run.samples(node)) {
      const v = s.view === null ? null : (read(s.view) ?? null);
      if (v === last) continue;
      last = v;
      let at = points.get(s.t);
      if (at === undefined) points.set(s.t, (at = new Map()));
      at.set(node, v);
    }
  }
  const xs = [...points.keys()].sort((a, b) => a - b);
  const current = new Map<NodeId, number | null>();
  const ys = new Map<NodeId, (number | null)[]>(run.nodes.map((n) => [n, []]));
  for (const x of xs) {
    for (const [node, v] of points.get(x) ?? []) current.set(node, v);
    for (const node of run.nodes) ys.get(node)?.push(current.get(node) ?? null);
  }
  if (xs.length > 0 && run.end > (xs[xs.length - 1] as number)) {
    xs.push(run.end);
    for (const node of run.nodes) ys.get(node)?.push(current.get(node) ?? null);
  }
  return { xs, lines: run.nodes.map((n) => ({ label: n, ys: ys.get(n) ?? [] })) };
}
