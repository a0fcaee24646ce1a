/**
 * What the panels show, whatever it comes from: a run executing in the page, or files written
 * by `truthkit sim --trace/--history` and opened here. Plain data assembled per render.
 */
import { checkHistory, getModel, type CheckResult } from '../../src/check/index.js';
import type { HistoryOp } from '../../src/core/history.js';
import type { Judgement } from '../../src/core/system.js';
import type { RunResult } from '../../src/sim/run.js';
import type { SimFailure } from '../../src/sim/simulator.js';
import { DiagramModel } from './lamport/layout.js';
import type { OpenedFile } from './open-file.js';
import { barsFromHistory, TraceOps, type OpBar } from './ops-model.js';
import type { RunController } from './run-controller.js';
import type { SnapshotStore } from './snapshots.js';
import type { VerdictState } from './panels/verdict.js';

export interface LabData {
  readonly title: string;
  readonly diagram: DiagramModel | null;
  readonly snapshots: SnapshotStore | null;
  readonly bars: readonly OpBar[];
  /** Virtual time reached (the end of what is known). */
  readonly now: number;
  readonly verdict: VerdictState | null;
  readonly check: CheckResult | null;
  /** The system's own judge's answer (agreement, chain safety…), when it has one. */
  readonly judged: Judgement | null;
  readonly failure: SimFailure | null;
  readonly result: RunResult | null;
}

export function liveData(c: RunController): LabData {
  const j = c.judgement;
  return {
    title: `${c.config.system}${c.config.mutant !== null ? ` (mutant ${c.config.mutant})` : ''}, ${c.config.nodes} nodes, seed ${c.config.seed}, nemesis ${c.config.nemesis}`,
    diagram: c.diagram,
    snapshots: c.snapshots,
    bars: c.ops.bars,
    now: c.now,
    verdict: j === null ? 'running' : j.verdict,
    check: j?.check ?? null,
    judged: j?.system ?? null,
    failure: j?.result.failure ?? null,
    result: j?.result ?? null,
  };
}

/**
 * Opened files: a trace gives the diagram (and the operations it records); a history gives the
 * operations and, checked against `model`, the verdict. Both together give both.
 */
export function fileData(files: readonly OpenedFile[], model: string): LabData {
  const trace = files.find((f) => f.kind === 'trace');
  const history = files.find((f) => f.kind === 'history');
  const diagram = trace?.kind === 'trace' ? DiagramModel.fromTrace(trace.events) : null;
  let bars: OpBar[] = [];
  let check: CheckResult | null = null;
  let ops: readonly HistoryOp[] = [];
  if (history?.kind === 'history') {
    ops = history.ops;
    bars = barsFromHistory(ops);
    const m = getModel(model);
    if (m === undefined) throw new Error(`unknown checker model '${model}'`);
    check = checkHistory(ops, m, { timeoutMs: 5000 });
  } else if (trace?.kind === 'trace') {
    const fromTrace = new TraceOps();
    fromTrace.addAll(trace.events);
    bars = fromTrace.bars;
  }
  const lastOp = bars.reduce(
    (t, b) => Math.max(t, Number.isFinite(b.complete) ? b.complete : b.invoke),
    0,
  );
  return {
    title: files.map((f) => f.name).join(' + '),
    diagram,
    snapshots: null,
    bars,
    now: Math.max(diagram?.end ?? 0, lastOp),
    verdict: check?.verdict ?? null,
    check,
    judged: null,
    failure: null,
    result: null,
  };
}
