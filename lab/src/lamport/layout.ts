/**
 * The space-time diagram as data: one lane per node, messages as (send → deliver | drop)
 * segments, process and clock faults as intervals on lanes, partitions as intervals with the
 * groups they split the cluster into. Built incrementally from trace events as the run goes,
 * and queried by time window with binary search so that drawing touches only what is visible.
 * No DOM here: this module is unit-tested in Node.
 */
import type { DropReason, TraceEvent } from '../../../src/sim/trace.js';
import { lowerBound, upperBound } from '../time-index.js';

export type MessageEnd = 'delivered' | DropReason | 'in-flight';

export interface DiagramMessage {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly type: string;
  readonly sent: number;
  /** Delivery or drop time; the send time for drops at the sender (partition, loss). */
  end: number;
  fate: MessageEnd;
  /** True for the second copy of a duplicated message. */
  readonly duplicate: boolean;
}

export type LaneIntervalKind = 'down' | 'paused' | 'clock';

export interface LaneInterval {
  readonly lane: number;
  readonly kind: LaneIntervalKind;
  readonly start: number;
  /** Infinity while it lasts. */
  end: number;
  readonly label: string;
}

export type LaneMarkKind =
  'crash' | 'restart' | 'pause' | 'resume' | 'clock' | 'timer' | 'request' | 'reply';

export interface LaneMark {
  readonly lane: number;
  readonly t: number;
  readonly kind: LaneMarkKind;
  readonly label: string;
}

export interface PartitionSpan {
  readonly start: number;
  end: number;
  readonly blocked: readonly (readonly [string, string])[];
  /** Lanes grouped by who can still talk both ways; one group means only one-way cuts. */
  readonly groups: readonly (readonly number[])[];
  readonly label: string;
}

/** A global event drawn across all lanes: nemesis phases, link faults, invariant violations. */
export interface GlobalMark {
  readonly t: number;
  readonly kind: 'nemesis-fault' | 'nemesis-heal' | 'link' | 'invariant';
  readonly label: string;
}

const FAULT_MARKS: ReadonlySet<LaneMarkKind> = new Set<LaneMarkKind>([
  'crash',
  'restart',
  'pause',
  'resume',
  'clock',
]);

export class DiagramModel {
  readonly lanes: string[];
  private readonly laneOf = new Map<string, number>();
  /** Sorted by send time. */
  readonly messages: DiagramMessage[] = [];
  private readonly sendTimes: number[] = [];
  /** Longest flight of any finished message: how far before a window a visible one can start. */
  private maxFlight = 0;
  private readonly pending = new Map<number, number[]>();
  readonly intervals: LaneInterval[] = [];
  private readonly openInterval = new Map<string, LaneInterval>();
  readonly marks: LaneMark[] = [];
  /** The process and clock faults among the marks (few, for the list of what happened). */
  readonly faultMarks: LaneMark[] = [];
  private readonly markTimes: number[] = [];
  readonly partitions: PartitionSpan[] = [];
  readonly globals: GlobalMark[] = [];
  private readonly globalTimes: number[] = [];
  /** Time of the latest event seen. */
  end = 0;
  events = 0;

  constructor(nodeIds: readonly string[] = []) {
    this.lanes = [];
    for (const id of nodeIds) this.lane(id);
  }

  /** Builds a model from a whole trace (an opened file), with lanes in natural node order. */
  static fromTrace(events: readonly TraceEvent[]): DiagramModel {
    const model = new DiagramModel(nodesOf(events));
    model.addAll(events);
    return model;
  }

  lane(node: string): number {
    let i = this.laneOf.get(node);
    if (i === undefined) {
      i = this.lanes.length;
      this.lanes.push(node);
      this.laneOf.set(node, i);
    }
    return i;
  }

  addAll(events: readonly TraceEvent[], from = 0): void {
    for (let i = from; i < events.length; i++) this.add(events[i] as TraceEvent);
  }

  add(ev: TraceEvent): void {
    this.events++;
    this.end = Math.max(this.end, ev.t);
    switch (ev.e) {
      case 'send':
        this.pushMessage(ev.id, ev.from, ev.to, ev.type, ev.t, false);
        return;
      case 'duplicate':
        this.pushMessage(ev.id, ev.from, ev.to, ev.type, ev.t, true);
        return;
      case 'deliver':
        this.finishMessage(ev.id, ev.t, 'delivered');
        return;
      case 'drop':
        this.finishMessage(ev.id, ev.t, ev.why);
        return;
      case 'crash':
        this.closeInterval(ev.node, 'paused', ev.t);
        this.mark(ev.node, ev.t, 'crash', ev.lostWrites > 0 ? `lost ${ev.lostWrites} writes` : '');
        this.openLaneInterval(ev.node, 'down', ev.t, 'down');
        return;
      case 'restart':
        this.closeInterval(ev.node, 'down', ev.t);
        this.mark(ev.node, ev.t, 'restart', '');
        return;
      case 'pause':
        this.mark(ev.node, ev.t, 'pause', '');
        this.openLaneInterval(ev.node, 'paused', ev.t, 'paused');
        return;
      case 'resume':
        this.closeInterval(ev.node, 'paused', ev.t);
        this.mark(ev.node, ev.t, 'resume', '');
        return;
      case 'clock': {
        this.closeInterval(ev.node, 'clock', ev.t);
        const label = describeClock(ev.offset, ev.drift);
        this.mark(ev.node, ev.t, 'clock', label);
        if (ev.offset !== 0 || ev.drift !== 0) this.openLaneInterval(ev.node, 'clock', ev.t, label);
        return;
      }
      case 'timer':
        this.mark(ev.node, ev.t, 'timer', ev.name);
        return;
      case 'request':
        this.mark(ev.node, ev.t, 'request', ev.client);
        return;
      case 'reply':
        this.mark(ev.node, ev.t, 'reply', ev.ok ? 'ok' : 'error');
        return;
      case 'partition':
        this.setPartition(ev.t, ev.blocked);
        return;
      case 'nemesis':
        this.global(
          ev.t,
          ev.phase === 'fault' ? 'nemesis-fault' : 'nemesis-heal',
          ev.detail === '' ? `${ev.plan}: healed` : `${ev.plan}: ${ev.detail}`,
        );
        return;
      case 'link':
        this.global(ev.t, 'link', describeLinks(ev));
        return;
      case 'invariant':
        this.global(ev.t, 'invariant', ev.violation);
        return;
      default:
        // invoke/complete belong to the operations timeline; sync and log are not drawn.
        return;
    }
  }

  /** Messages that overlap [t0, t1], in send order. In-flight ones extend to `now`. */
  visibleMessages(t0: number, t1: number): DiagramMessage[] {
    const out: DiagramMessage[] = [];
    const start = lowerBound(this.sendTimes, t0 - this.maxFlight);
    const stop = upperBound(this.sendTimes, t1, start);
    for (let i = start; i < stop; i++) {
      const m = this.messages[i] as DiagramMessage;
      if (m.fate !== 'in-flight' && m.end >= t0) out.push(m);
    }
    // Messages still in flight can be older than maxFlight (held by a paused node): few, so
    // they are looked at one by one.
    for (const indices of this.pending.values()) {
      for (const i of indices) {
        const m = this.messages[i] as DiagramMessage;
        if (m.sent <= t1) out.push(m);
      }
    }
    return out;
  }

  /** Lane marks within [t0, t1]. */
  visibleMarks(t0: number, t1: number): LaneMark[] {
    const start = lowerBound(this.markTimes, t0);
    return this.marks.slice(start, upperBound(this.markTimes, t1, start));
  }

  visibleGlobals(t0: number, t1: number): GlobalMark[] {
    const start = lowerBound(this.globalTimes, t0);
    return this.globals.slice(start, upperBound(this.globalTimes, t1, start));
  }

  /** Intervals and partitions are few (one per fault), so a filter is fast enough. */
  visibleIntervals(t0: number, t1: number): LaneInterval[] {
    return this.intervals.filter((iv) => iv.start <= t1 && iv.end >= t0);
  }

  visiblePartitions(t0: number, t1: number): PartitionSpan[] {
    return this.partitions.filter((p) => p.start <= t1 && p.end >= t0);
  }

  /** The partition in force at `t`, if any. */
  partitionAt(t: number): PartitionSpan | undefined {
    return this.partitions.find((p) => p.start <= t && t < p.end);
  }

  private pushMessage(
    id: number,
    from: string,
    to: string,
    type: string,
    t: number,
    dup: boolean,
  ): void {
    const index = this.messages.length;
    this.messages.push({
      id,
      from: this.lane(from),
      to: this.lane(to),
      type,
      sent: t,
      end: Infinity,
      fate: 'in-flight',
      duplicate: dup,
    });
    this.sendTimes.push(t);
    const list = this.pending.get(id);
    if (list === undefined) this.pending.set(id, [index]);
    else list.push(index);
  }

  private finishMessage(id: number, t: number, fate: MessageEnd): void {
    const list = this.pending.get(id);
    if (list === undefined) return; // the send happened before the trace started
    const index = list.shift() as number;
    if (list.length === 0) this.pending.delete(id);
    const m = this.messages[index] as DiagramMessage;
    m.end = t;
    m.fate = fate;
    this.maxFlight = Math.max(this.maxFlight, t - m.sent);
  }

  private mark(node: string, t: number, kind: LaneMarkKind, label: string): void {
    const mark: LaneMark = { lane: this.lane(node), t, kind, label };
    this.marks.push(mark);
    this.markTimes.push(t);
    if (FAULT_MARKS.has(kind)) this.faultMarks.push(mark);
  }

  private global(t: number, kind: GlobalMark['kind'], label: string): void {
    this.globals.push({ t, kind, label });
    this.globalTimes.push(t);
  }

  private openLaneInterval(node: string, kind: LaneIntervalKind, t: number, label: string): void {
    const iv: LaneInterval = { lane: this.lane(node), kind, start: t, end: Infinity, label };
    this.intervals.push(iv);
    this.openInterval.set(`${kind}:${node}`, iv);
  }

  private closeInterval(node: string, kind: LaneIntervalKind, t: number): void {
    const key = `${kind}:${node}`;
    const iv = this.openInterval.get(key);
    if (iv === undefined) return;
    iv.end = t;
    this.openInterval.delete(key);
  }

  private setPartition(t: number, blocked: readonly (readonly [string, string])[]): void {
    const last = this.partitions[this.partitions.length - 1];
    if (last !== undefined && last.end === Infinity) last.end = t;
    if (blocked.length === 0) return;
    for (const [a, b] of blocked) {
      this.lane(a);
      this.lane(b);
    }
    const groups = partitionGroups(this.lanes, blocked);
    this.partitions.push({
      start: t,
      end: Infinity,
      blocked,
      groups,
      label: describeGroups(this.lanes, groups, blocked),
    });
  }
}

/**
 * Splits lanes into groups that can still talk both ways: connected components of the graph
 * whose edges are links unblocked in both directions.
 */
export function partitionGroups(
  lanes: readonly string[],
  blocked: readonly (readonly [string, string])[],
): number[][] {
  const cut = new Set(blocked.map(([a, b]) => `${a}>${b}`));
  const n = lanes.length;
  const group = new Array<number>(n).fill(-1);
  const groups: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (group[s] !== -1) continue;
    const members: number[] = [];
    const stack = [s];
    group[s] = groups.length;
    while (stack.length > 0) {
      const a = stack.pop() as number;
      members.push(a);
      for (let b = 0; b < n; b++) {
        if (group[b] !== -1) continue;
        const la = lanes[a] as string;
        const lb = lanes[b] as string;
        if (!cut.has(`${la}>${lb}`) && !cut.has(`${lb}>${la}`)) {
          group[b] = groups.length;
          stack.push(b);
        }
      }
    }
    groups.push(members.sort((x, y) => x - y));
  }
  return groups;
}

function describeGroups(
  lanes: readonly string[],
  groups: readonly (readonly number[])[],
  blocked: readonly (readonly [string, string])[],
): string {
  if (groups.length > 1) return groups.map((g) => g.map((i) => lanes[i]).join(' ')).join(' | ');
  // Everyone can still reach everyone, if only through others: list the cut links instead.
  const cut = new Set(blocked.map(([a, b]) => `${a}>${b}`));
  const parts: string[] = [];
  for (const [a, b] of blocked) {
    if (cut.has(`${b}>${a}`)) {
      if (a < b) parts.push(`${a}↔${b}`);
    } else parts.push(`${a}↛${b}`);
  }
  return `cut links: ${parts.join(' ')}`;
}

function describeClock(offset: number, drift: number): string {
  if (offset === 0 && drift === 0) return 'clock reset';
  const sign = offset >= 0 ? '+' : '−';
  const parts = [`${sign}${Math.abs(Math.round(offset))} ms`];
  if (drift !== 0)
    parts.push(`${drift > 0 ? '+' : '−'}${(Math.abs(drift) * 100).toFixed(1)} % drift`);
  return parts.join(', ');
}

function describeLinks(ev: {
  loss: number;
  duplicate: number;
  reorder: number;
  slow: number;
}): string {
  const parts: string[] = [];
  if (ev.loss > 0) parts.push(`loss ${Math.round(ev.loss * 100)}%`);
  if (ev.duplicate > 0) parts.push(`duplicate ${Math.round(ev.duplicate * 100)}%`);
  if (ev.reorder > 0) parts.push(`reorder ${Math.round(ev.reorder * 100)}%`);
  if (ev.slow > 1) parts.push(`slow ×${ev.slow.toFixed(1)}`);
  return parts.length > 0 ? `links: ${parts.join(', ')}` : 'links healed';
}

/** Node ids mentioned in a trace, in natural order (n2 before n10). */
export function nodesOf(events: readonly TraceEvent[]): string[] {
  const seen = new Set<string>();
  for (const ev of events) {
    if ('node' in ev && typeof ev.node === 'string') seen.add(ev.node);
    if ('from' in ev) seen.add(ev.from);
    if ('to' in ev) seen.add(ev.to);
    if (ev.e === 'partition') for (const [a, b] of ev.blocked) seen.add(a).add(b);
  }
  return [...seen].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
