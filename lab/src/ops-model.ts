/**
 * Client operations as bars on a timeline: from a finished history, or live from the trace's
 * invoke/complete events while the run goes (the history is only complete at the end). The
 * checker's evidence becomes a highlight per operation id.
 */
import type { HistoryOp, Outcome } from '../../src/core/history.js';
import type { Json } from '../../src/core/json.js';
import type { Evidence } from '../../src/check/index.js';
import type { TraceEvent } from '../../src/sim/trace.js';

export interface OpBar {
  readonly id: number;
  readonly process: number;
  readonly f: string;
  readonly key: string | undefined;
  readonly value: Json | undefined;
  readonly invoke: number;
  /** Infinity while pending. */
  complete: number;
  outcome: Outcome | 'pending';
  result: Json | undefined;
  node: string | undefined;
}

export function barsFromHistory(history: readonly HistoryOp[]): OpBar[] {
  return history
    .map((op) => ({
      id: op.id,
      process: op.process,
      f: op.f,
      key: op.key,
      value: op.value,
      invoke: op.invoke,
      complete: op.complete,
      outcome: op.outcome,
      result: op.result,
      node: op.node,
    }))
    .sort((a, b) => a.invoke - b.invoke || a.id - b.id);
}

/**
 * Builds bars from a trace incrementally. Operations are numbered in invocation order, as the
 * history numbers them, and a client has one operation in flight, so a completion belongs to
 * its client's latest invocation.
 */
export class TraceOps {
  readonly bars: OpBar[] = [];
  private readonly inFlight = new Map<number, OpBar>();

  add(ev: TraceEvent): void {
    if (ev.e === 'invoke') {
      const op = (ev.op ?? {}) as { f?: unknown; key?: unknown; value?: Json };
      const bar: OpBar = {
        id: this.bars.length,
        process: ev.process,
        f: typeof op.f === 'string' ? op.f : '?',
        key: typeof op.key === 'string' ? op.key : undefined,
        value: op.value,
        invoke: ev.t,
        complete: Infinity,
        outcome: 'pending',
        result: undefined,
        node: ev.node,
      };
      this.bars.push(bar);
      this.inFlight.set(ev.process, bar);
    } else if (ev.e === 'complete') {
      const bar = this.inFlight.get(ev.process);
      if (bar === undefined) return;
      this.inFlight.delete(ev.process);
      bar.complete = ev.t;
      bar.outcome = ev.outcome;
      bar.result = ev.outcome === 'ok' ? ev.result : undefined;
      bar.node = ev.node;
    }
  }

  addAll(events: readonly TraceEvent[], from = 0): void {
    for (let i = from; i < events.length; i++) this.add(events[i] as TraceEvent);
  }
}

export type OpHighlight = 'blocked' | 'deadline' | 'prefix' | 'partition';

/**
 * How each operation figures in the checker's evidence: `blocked` ones are those that cannot
 * come next after the longest linearizable prefix (the impossible ones), `deadline` is the
 * operation by whose completion one of them had to take effect, `prefix` ones were placed,
 * and `partition` marks the rest of the failing key's operations.
 */
export function highlights(evidence: Evidence | undefined): Map<number, OpHighlight> {
  const out = new Map<number, OpHighlight>();
  if (evidence === undefined) return out;
  for (const id of evidence.opIds) out.set(id, 'partition');
  for (const p of evidence.prefix) out.set(p.op.id, 'prefix');
  if (evidence.deadline !== null) out.set(evidence.deadline.op.id, 'deadline');
  for (const b of evidence.blocked) out.set(b.op.id, 'blocked');
  return out;
}

/** A short label: `put k1 "3.1" → ok`. */
export function describeBar(bar: OpBar): string {
  const args = [bar.key, bar.value === undefined ? undefined : JSON.stringify(bar.value)]
    .filter((x) => x !== undefined)
    .join(' ');
  const what = `${bar.f}${args === '' ? '' : ' ' + args}`;
  switch (bar.outcome) {
    case 'ok':
      return `${what} → ${JSON.stringify(bar.result ?? null)}`;
    case 'pending':
      return `${what} …`;
    default:
      return `${what} → ${bar.outcome}`;
  }
}

/** Lanes of the timeline: one per client, in client order. */
export function processesOf(bars: readonly OpBar[]): number[] {
  return [...new Set(bars.map((b) => b.process))].sort((a, b) => a - b);
}
