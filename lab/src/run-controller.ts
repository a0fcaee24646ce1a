/**
 * One run in the lab: a Session advanced in small steps of virtual time, so the page can draw
 * it as it goes, pause it, inject faults and continue. Every interactive fault goes through
 * `Session.act`, which records it with its virtual instant, so the script (plus the config)
 * replays the run exactly. While the run executes, each node's `inspect()` view is sampled into
 * a SnapshotStore (the trace does not contain node state).
 *
 * Plain TypeScript, no DOM: the page drives it from requestAnimationFrame, the tests from a loop.
 */
import type { Judgement, SystemDefinition } from '../../src/core/system.js';
import type { CheckResult } from '../../src/check/index.js';
import { judgeSession, type Verdict } from '../../src/sim/checked-run.js';
import { Session, type RunResult } from '../../src/sim/run.js';
import type { ScriptAction, ScriptActionBody } from '../../src/sim/script.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { DiagramModel } from './lamport/layout.js';
import { TraceOps } from './ops-model.js';
import type { RunConfig } from './run-config.js';
import { SnapshotStore } from './snapshots.js';
import { MessageLabeller } from './system-views.js';

/** Virtual time between node-state samples: fine enough to see a candidate become leader. */
export const SAMPLE_MS = 1;

export type RunVerdict = Verdict;

export interface RunJudgement {
  readonly verdict: RunVerdict;
  readonly result: RunResult;
  /** The checker's report, when the history was checked. */
  readonly check: CheckResult | null;
  /** The system's own judge's answer, when it has one. */
  readonly system: Judgement | null;
}

export class RunController {
  readonly session: Session;
  readonly diagram: DiagramModel;
  readonly ops = new TraceOps();
  readonly snapshots: SnapshotStore;
  /** Names the diagram's arrows as the system declares (SystemDefinition.labViews). */
  private readonly labeller: MessageLabeller;
  judgement: RunJudgement | null = null;
  /** Trace events already fed to the diagram, the ops and the snapshot sampler. */
  private fed = 0;
  /** Nodes boot in the first step without a trace event, so all are sampled after it. */
  private sampledBoot = false;

  constructor(
    readonly config: RunConfig,
    readonly system: SystemDefinition,
    script: readonly ScriptAction[] = [],
    private readonly checkTimeoutMs = 5000,
  ) {
    this.session = new Session({
      system,
      nodes: config.nodes,
      seed: config.seed,
      nemesis: config.nemesis,
      workload: { ops: config.ops },
      keepTrace: true,
      script,
      ...(config.mutant !== null ? { mutant: config.mutant } : {}),
      ...(Object.keys(config.params).length > 0 ? { params: config.params } : {}),
    });
    this.diagram = new DiagramModel(this.session.sim.nodeIds);
    this.snapshots = new SnapshotStore(this.session.sim.nodeIds);
    this.labeller = new MessageLabeller(system.labViews?.messageLabel);
  }

  get now(): number {
    return this.session.sim.now;
  }

  get done(): boolean {
    return this.session.done;
  }

  get trace(): readonly TraceEvent[] {
    return this.session.sim.trace.events ?? [];
  }

  /** The interactive faults applied so far (scripted ones included), in order. */
  get script(): readonly ScriptAction[] {
    return this.session.script;
  }

  /**
   * Advances virtual time towards `until`, in SAMPLE_MS steps, and stops early once
   * `wallBudgetMs` of real time is spent (so a frame stays short). Returns true when the run
   * has finished; it is then judged.
   */
  advance(until: number, wallBudgetMs = Infinity): boolean {
    const started = performance.now();
    while (!this.session.done && this.now < until) {
      const next = Math.min(until, (Math.floor(this.now / SAMPLE_MS) + 1) * SAMPLE_MS);
      this.session.runUntil(next);
      this.absorb();
      if (!this.sampledBoot) {
        this.sampledBoot = true;
        this.sampleAll();
      }
      if (performance.now() - started >= wallBudgetMs) break;
    }
    if (this.session.done && this.judgement === null) this.finish();
    return this.session.done;
  }

  /** Runs to the end regardless of time (tests, and the lab's "to the end" button). */
  runToEnd(): void {
    this.advance(Infinity);
  }

  /** Applies an interactive fault now; it becomes part of the script. */
  act(action: ScriptActionBody): void {
    if (this.session.done) throw new Error('the run has finished');
    this.session.act(action);
    this.absorb();
    this.sampleAll();
  }

  /** Feeds new trace events to the views and samples the nodes they touched. */
  private absorb(): void {
    const events = this.trace;
    const touched = new Set<string>();
    for (let i = this.fed; i < events.length; i++) {
      const ev = events[i] as TraceEvent;
      this.diagram.add(this.labeller.relabel(ev));
      this.ops.add(ev);
      if ('node' in ev) touched.add(ev.node);
      if ('to' in ev) touched.add(ev.to);
      if ('from' in ev) touched.add(ev.from);
    }
    this.fed = events.length;
    for (const node of touched) this.sample(node);
  }

  private sampleAll(): void {
    for (const node of this.session.sim.nodeIds) this.sample(node);
  }

  private sample(node: string): void {
    const sim = this.session.sim;
    const status = sim.status(node);
    this.snapshots.record(node, {
      t: sim.now,
      status,
      view: status === 'down' ? null : (sim.inspect(node) ?? null),
      clockOffset: sim.clockState(node).offset,
    });
  }

  /** Judges the finished run exactly as `truthkit sim` does (src/sim/checked-run.ts). */
  private finish(): void {
    this.absorb();
    const { verdict, check, judgement } = judgeSession(this.session, {
      checkTimeoutMs: this.checkTimeoutMs,
    });
    this.judgement = { verdict, result: this.session.result(), check, system: judgement };
  }
}
