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

/**
 * How long a run may go on after its workload ends (virtual ms), unless the user ends it first:
 * long enough for a partition, an election and a heal to play out.
 */
export const AFTER_WORKLOAD_MS = 60_000;

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
  /** Going on past the workload's end (nodes only, no clients) until `horizon`. */
  private extending = false;
  private horizon = Infinity;
  /** Ended for good: the horizon was reached, or the user ended it. */
  private ended = false;
  /** The latest instant a given script acts at: a replay goes on past the workload to reach it. */
  private readonly lastScripted: number;

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
    this.lastScripted = script.reduce((t, a) => Math.max(t, a.at), -Infinity);
    this.diagram = new DiagramModel(this.session.sim.nodeIds);
    this.snapshots = new SnapshotStore(this.session.sim.nodeIds);
    this.labeller = new MessageLabeller(system.labViews?.messageLabel);
    // Boot the nodes (everything at t = 0), so a run that waits at t = 0 shows them up and can
    // take a fault at once; a replay applies its t = 0 faults after the same events.
    this.session.runUntil(0);
    this.absorb();
    this.sampledBoot = true;
    this.sampleAll();
  }

  get now(): number {
    return this.session.sim.now;
  }

  /** The workload has ended (or the run failed): the history is final and judged. */
  get done(): boolean {
    return this.session.done;
  }

  /** Going on after the workload, with no clients. */
  get goingOn(): boolean {
    return this.extending;
  }

  /** Nothing more can happen: faults are refused and playback has nothing left to play. */
  get over(): boolean {
    return this.ended || (this.session.done && this.session.sim.failure !== undefined);
  }

  /** Playback has reached a stop: the workload's end (until the run goes on) or the run's end. */
  get atRest(): boolean {
    return this.over || (this.session.done && !this.extending);
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
    if (this.extending) return this.advanceAfterWorkload(until, wallBudgetMs, started);
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
    if (this.session.done && this.judgement === null) {
      this.finish();
      // A replayed link whose faults go on past the workload's end replays those too.
      if (this.lastScripted >= this.now && this.session.sim.failure === undefined) {
        this.goOn();
        return this.advance(until, Math.max(0, wallBudgetMs - (performance.now() - started)));
      }
    }
    return this.atRest;
  }

  /**
   * Lets the run go on after its workload ended: nodes keep running with no clients, faults and
   * heals can still be applied, until AFTER_WORKLOAD_MS later or `end()`.
   */
  goOn(): void {
    if (!this.session.done || this.over) throw new Error('the run cannot go on');
    if (this.extending) return;
    this.session.continueAfterWorkload();
    this.extending = true;
    this.horizon = this.now + AFTER_WORKLOAD_MS;
    this.absorb();
  }

  /** Ends a run that went on after its workload, and judges it again as the nodes are now. */
  end(): void {
    if (this.ended) return;
    if (!this.session.done) throw new Error('the workload has not ended');
    this.ended = true;
    this.extending = false;
    this.finish();
  }

  private advanceAfterWorkload(until: number, wallBudgetMs: number, started: number): boolean {
    const stop = Math.min(until, this.horizon);
    while (this.now < stop && this.session.sim.failure === undefined) {
      this.session.runUntil(Math.min(stop, (Math.floor(this.now / SAMPLE_MS) + 1) * SAMPLE_MS));
      this.absorb();
      if (performance.now() - started >= wallBudgetMs) break;
    }
    if (this.now >= this.horizon || this.session.sim.failure !== undefined) this.end();
    return this.atRest;
  }

  /** Runs to the end regardless of time (tests, and the lab's "to the end" button). */
  runToEnd(): void {
    this.advance(Infinity);
  }

  /**
   * Applies an interactive fault now; it becomes part of the script. After the workload's end
   * the run goes on first (`goOn`).
   */
  act(action: ScriptActionBody): void {
    if (this.over) throw new Error('the run has finished');
    // A fault after the workload's end makes the run go on, so it can be watched.
    if (this.session.done) this.goOn();
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
