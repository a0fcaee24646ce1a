/**
 * One simulated run from a seed: build the cluster, start the nemesis and the clients, run
 * until every operation has completed (the last part after a final heal, so liveness can be
 * judged), and summarise. The same options give the same run, digest included.
 */
import type { HistoryOp } from '../core/history.js';
import type { SystemDefinition } from '../core/system.js';
import { CoverageRecorder, type Coverage } from './coverage.js';
import { FaultState } from './faults.js';
import { applyScriptAction, type ScriptAction, type ScriptActionBody } from './script.js';
import { DEFAULT_LATENCY, formatLatency, type Latency, type LatencyByType } from './latency.js';
import {
  Nemesis,
  nemesisPlans,
  parseNemesis,
  type NemesisPlan,
  type NemesisTiming,
} from './nemesis.js';
import { MembershipClient, type MembershipSettings, type Recovery } from './membership-workload.js';
import { Simulator, type SimFailure } from './simulator.js';
import { drawSwarm, type SwarmMix } from './swarm.js';
import { withSwarmParams } from './swarm-params.js';
import { byzantineParams } from './byzantine-draw.js';
import { TriggerNemesis, type TriggerSettings } from './triggers.js';
import { percentile, roundMs } from './stats.js';
import type { TraceEvent } from './trace.js';
import { DEFAULT_WORKLOAD, Workload, type WorkloadConfig } from './workload.js';

export interface RunOptions {
  /** Interactive faults to apply at their recorded instants (see Session). */
  readonly script?: readonly ScriptAction[];
  readonly system: SystemDefinition;
  readonly mutant?: string;
  /** Values for the system's own parameters (SystemDefinition.params). */
  readonly params?: Readonly<Record<string, string>>;
  readonly nodes?: number;
  readonly seed: number;
  /** A nemesis spec: `none`, `all`, or plan names joined by commas. */
  readonly nemesis?: string;
  readonly nemesisTiming?: NemesisTiming;
  readonly latency?: Latency;
  /** Latency of node-to-node messages by type (a schedule keyed by what a message is). */
  readonly latencyByType?: LatencyByType;
  readonly workload?: Partial<Omit<WorkloadConfig, 'kind'>>;
  readonly keepTrace?: boolean;
  /** Count what the run reached (see coverage.ts); the digest is the same either way. */
  readonly coverage?: boolean;
  /** A crash may keep a prefix of unsynced writes and tear the last (default true). */
  readonly tornWrites?: boolean;
  /** Fraction of operations invoked before the final heal (default 0.8). */
  readonly faultFraction?: number;
  /** Faults that fire on what nodes do (triggers.ts); none by default. */
  readonly triggers?: TriggerSettings;
  /**
   * Swarm testing (swarm.ts): the seed draws the nemesis plans, their timing, latency, link
   * noise, triggers, the workload's clients, timeout, pacing and keys, the fault window and,
   * unless `nodes` is given, the cluster size; those options given here are replaced.
   */
  readonly swarm?: boolean;
  /**
   * Under `swarm`, this mix instead of the seed's own draw: a test pins a run from before a
   * later draw existed by taking that draw back out of the seed's mix.
   */
  readonly swarmMix?: SwarmMix;
  /**
   * Membership changes by an admin client during the fault window (membership-workload.ts);
   * only for a system that declares `membership`. Under `swarm`, drawn for some seeds.
   */
  readonly membership?: MembershipSettings;
}

export interface RunResult {
  readonly system: string;
  readonly mutant: string | null;
  readonly seed: number;
  readonly nodes: number;
  readonly nemesis: string;
  readonly latencyModel: string;
  readonly ops: { ok: number; fail: number; unknown: number };
  readonly messages: { sent: number; delivered: number; dropped: number; duplicated: number };
  /** Virtual milliseconds from invoke to completion of successful operations. */
  readonly latency: { p50: number; p99: number };
  /** Node-to-node messages sent per client operation. */
  readonly msgsPerOp: number;
  /** The longest stretch of virtual time in which no write (or, without writes, no op) succeeded. */
  readonly unavailableMs: number;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly events: number;
  readonly traceDigest: string;
  /** When the final heal happened and when the first operation invoked after it succeeded. */
  readonly recovery: Recovery;
  readonly failure: SimFailure | null;
  /** The mix this seed drew under `swarm` (absent otherwise). */
  readonly swarm?: SwarmMix;
  /** What the nodes measured (see NodeEnv.metric), by name. */
  readonly metrics: Record<string, MetricSummary>;
  readonly history: readonly HistoryOp[];
  readonly trace: readonly TraceEvent[] | null;
  /** What the run reached, when RunOptions.coverage asked for it. */
  readonly coverage: Coverage | null;
}

export interface MetricSummary {
  readonly count: number;
  readonly sum: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export class RunOptionError extends Error {}

/** The options a swarm seed runs with: the caller's, with the drawn mix in place. */
export function swarmOptions(options: RunOptions): { options: RunOptions; mix: SwarmMix } {
  const drawn = options.swarmMix ?? drawSwarm(options.system, options.seed, options.nodes);
  // A system the user configured with --param runs as configured: no drawn Byzantine replicas.
  const configured = Object.keys(options.params ?? {}).length > 0;
  const mix = configured ? { ...drawn, byzantine: null } : drawn;
  const params = withSwarmParams(
    { ...mix.params, ...byzantineParams(options.system, mix.byzantine) },
    options.params,
  );
  return {
    mix,
    options: {
      ...options,
      nodes: mix.nodes,
      nemesis: mix.nemesis,
      nemesisTiming: mix.timing,
      latency: mix.latency,
      ...(mix.triggers !== null ? { triggers: mix.triggers } : {}),
      workload: { ...options.workload, ...mix.workload },
      faultFraction: mix.faultFraction,
      ...(mix.membership !== null ? { membership: mix.membership } : {}),
      ...(params !== undefined ? { params } : {}),
    },
  };
}

export function runSimulation(options: RunOptions): RunResult {
  const session = new Session(options);
  session.runToEnd();
  return session.result();
}

/**
 * A run that can be advanced step by step and poked between steps (the lab's interactive
 * faults). Every poke is recorded with its virtual time in `script`; a run given that script
 * applies each action at the same instant, after the same events, so it replays exactly.
 */
export class Session {
  readonly sim: Simulator;
  readonly faults: FaultState;
  readonly script: ScriptAction[] = [];
  readonly coverage: CoverageRecorder | undefined;
  private readonly started = performance.now();
  private readonly plans: readonly NemesisPlan[];
  private readonly workload: Workload;
  private readonly nemesis: Nemesis;
  private readonly latency: Latency;
  private readonly bound: number;
  /** True once the run goes on past the end of its workload (`continueAfterWorkload`). */
  private extended = false;
  /** Virtual ms the nodes run on after the last operation, before the run is done (settleMs). */
  private readonly settleMs: number;
  /** When that settling ends, once the workload has ended. */
  private settleEnd: number | null = null;
  private readonly pendingScript: ScriptAction[];
  private healedAt: number | null = null;
  private readonly triggers: TriggerNemesis | undefined;
  private readonly mix: SwarmMix | undefined;
  readonly options: RunOptions;
  /** The admin client making membership changes, when the run has them (the judges read it). */
  readonly admin: MembershipClient | undefined;

  constructor(given: RunOptions) {
    const swarm = given.swarm === true ? swarmOptions(given) : undefined;
    const chosen = swarm?.options ?? given;
    const configured = chosen.system.configure?.(chosen.params ?? {});
    const options = configured === undefined ? chosen : { ...chosen, system: configured };
    this.options = options;
    this.mix = swarm?.mix;
    const system = options.system;
    const nodes = options.nodes ?? system.defaultNodes;
    if (!Number.isInteger(nodes) || nodes < system.minNodes) {
      throw new RunOptionError(
        `${system.name} needs at least ${system.minNodes} node(s), got ${nodes}`,
      );
    }
    if (options.mutant !== undefined && !system.mutants.some((m) => m.name === options.mutant)) {
      const known = system.mutants.map((m) => m.name);
      throw new RunOptionError(
        `${system.name} has no mutant '${options.mutant}'` +
          (known.length > 0 ? ` (choose from ${known.join(', ')})` : ' (it has none)'),
      );
    }
    for (const ms of options.workload?.startMs ?? []) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RunOptionError(`a client's start must be a non-negative time in ms, got ${ms}`);
      }
    }
    if (options.membership !== undefined && system.membership === undefined) {
      throw new RunOptionError(`${system.name} takes no membership changes`);
    }
    this.settleMs = system.settleMs?.(options.params ?? {}) ?? 0;
    if (!Number.isFinite(this.settleMs) || this.settleMs < 0) {
      throw new RunOptionError(`${system.name}: settle time must be ms ≥ 0, got ${this.settleMs}`);
    }
    this.plans = parseNemesis(options.nemesis ?? 'none');
    this.latency = options.latency ?? DEFAULT_LATENCY;
    const workloadConfig: WorkloadConfig = {
      ...DEFAULT_WORKLOAD,
      ...(system.durationMs !== undefined ? { durationMs: system.durationMs } : {}),
      ...options.workload,
      kind: system.workload,
      ...(system.nextOp !== undefined ? { nextOp: system.nextOp.bind(system) } : {}),
    };
    const factory = system.createNode({
      ...(options.mutant !== undefined ? { mutant: options.mutant } : {}),
      ...(options.params !== undefined ? { params: options.params } : {}),
    });
    this.coverage =
      options.coverage === true ? new CoverageRecorder(() => this.sim.stats.events) : undefined;
    const sim = new Simulator({
      seed: options.seed,
      nodeIds: Array.from({ length: nodes }, (_, i) => `n${i + 1}`),
      factory: this.coverage?.wrap(factory) ?? factory,
      latency: this.latency,
      ...(options.latencyByType !== undefined ? { latencyByType: options.latencyByType } : {}),
      keepTrace: options.keepTrace ?? false,
      tornWrites: options.tornWrites ?? true,
      ...(system.checkInvariants !== undefined ? { checkInvariants: system.checkInvariants } : {}),
    });
    this.sim = sim;
    if (this.coverage !== undefined) {
      const recorder = this.coverage;
      sim.trace.observer = (ev) => recorder.event(ev);
    }
    this.faults = new FaultState(sim);
    this.faults.clockBoundMs = system.clockBoundMs?.(options.params ?? {}) ?? null;
    this.nemesis = new Nemesis(sim, this.faults, this.plans, options.nemesisTiming);
    this.triggers =
      options.triggers !== undefined
        ? new TriggerNemesis(sim, this.faults, options.triggers)
        : undefined;
    const admin =
      options.membership !== undefined && system.membership !== undefined
        ? new MembershipClient(sim, this.faults, system.membership, options.membership)
        : undefined;
    this.admin = admin;
    this.workload = new Workload(sim, workloadConfig, {
      faultFraction: options.faultFraction ?? 0.8,
      onFaultWindowEnd: () => {
        admin?.stop();
        this.triggers?.finish();
        if (this.mix !== undefined) this.faults.heal(NOISE_SOURCE);
        this.nemesis.finish();
        this.healedAt = sim.now;
      },
      onDone: () => sim.stop(),
    });
    this.pendingScript = [...(options.script ?? [])].sort((a, b) => a.at - b.at);
    sim.start();
    const noise = this.mix?.noise;
    if (noise !== undefined && (noise.loss > 0 || noise.duplicate > 0 || noise.reorder > 0)) {
      this.faults.links(NOISE_SOURCE, noise);
    }
    this.nemesis.start();
    this.triggers?.start();
    admin?.start();
    this.workload.start();
    // Every operation ends by its timeout, so the workload always finishes; the bound only
    // guards against a simulator bug turning into a hang.
    const perClient = Math.ceil(workloadConfig.ops / Math.max(1, workloadConfig.clients));
    this.bound =
      workloadConfig.kind === 'none'
        ? workloadConfig.durationMs + 60_000
        : (perClient + 1) * (workloadConfig.timeoutMs + 50 * workloadConfig.thinkMs + 1000) +
          60_000 +
          this.settleMs;
  }

  /** True once every operation has completed (or the run halted on a failure). */
  get done(): boolean {
    if (this.sim.failure !== undefined) return true;
    if (!this.workload.done) return false;
    return this.settleMs === 0 || (this.settleEnd !== null && this.sim.now >= this.settleEnd);
  }

  /** Advances virtual time to `limit`, applying scripted actions at their instants. */
  runUntil(limit: number): void {
    while (!this.sim.halted && this.pendingScript.length > 0) {
      const next = this.pendingScript[0] as ScriptAction;
      if (next.at > limit) break;
      this.sim.runUntil(next.at);
      if (this.sim.halted) break;
      this.pendingScript.shift();
      this.apply(next);
    }
    // The bound guards the workload against a hang; past it the caller chooses the horizon.
    const horizon = Math.min(limit, this.bound, this.settleEnd ?? Infinity);
    this.sim.runUntil(this.extended ? limit : horizon);
    this.settle(limit);
  }

  /**
   * After the last operation, a system that promises convergence once faults are over
   * (SystemDefinition.settleMs) gets that long, with every fault healed and no client, before
   * the run is done and judged: its judge then sees the replicas as they settled.
   */
  private settle(limit: number): void {
    if (this.settleMs === 0 || this.extended || !this.workload.done) return;
    if (this.sim.failure !== undefined) return;
    if (this.settleEnd === null) {
      this.settleEnd = this.sim.now + this.settleMs;
      this.sim.carryOn();
    }
    if (this.sim.now < this.settleEnd) this.sim.runUntil(Math.min(limit, this.settleEnd));
    if (this.sim.now >= this.settleEnd) this.sim.stop();
  }

  /**
   * Keeps the nodes running, with no clients, after the workload has ended, so faults and heals
   * can still be applied and watched (the lab). The run up to here is unchanged: the simulator
   * goes on from the event boundary where the workload's end stopped it, and finishes that
   * instant first so that an action applied next comes after it, as a replay applies it.
   */
  continueAfterWorkload(): void {
    if (!this.done || this.sim.failure !== undefined)
      throw new Error('only a run whose workload has ended without a failure can go on');
    if (this.extended) return;
    this.extended = true;
    this.sim.carryOn();
    this.sim.runUntil(this.sim.now);
  }

  runToEnd(): void {
    this.runUntil(this.bound);
    if (!this.done) {
      throw new Error(
        `run did not finish within ${this.bound} virtual ms (seed ${this.options.seed})`,
      );
    }
  }

  /** Applies an interactive fault now and records it in the script. */
  act(action: ScriptActionBody): void {
    this.apply({ ...action, at: this.sim.now } as ScriptAction);
  }

  private apply(action: ScriptAction): void {
    this.script.push(action);
    applyScriptAction(this.faults, action);
  }

  result(): RunResult {
    const run = summarize(
      this,
      this.workload.ops(),
      this.healedAt,
      this.plans,
      this.latency,
      this.started,
    );
    return this.mix === undefined ? run : { ...run, swarm: this.mix };
  }
}

/** The FaultState source of a swarm mix's link noise. */
const NOISE_SOURCE = 'swarm:noise';

function summarize(
  session: Session,
  history: readonly HistoryOp[],
  healedAt: number | null,
  plans: readonly NemesisPlan[],
  latency: Latency,
  started: number,
): RunResult {
  const { sim, options } = session;
  const system = options.system;
  const ops = { ok: 0, fail: 0, unknown: 0 };
  const okLatencies: number[] = [];
  let firstOkAt: number | null = null;
  for (const op of history) {
    ops[op.outcome]++;
    if (op.outcome === 'ok') {
      okLatencies.push(op.complete - op.invoke);
      if (
        healedAt !== null &&
        op.invoke >= healedAt &&
        (firstOkAt === null || op.complete < firstOkAt)
      ) {
        firstOkAt = op.complete;
      }
    }
  }
  return {
    system: system.name,
    mutant: options.mutant ?? null,
    seed: options.seed,
    nodes: sim.nodeIds.length,
    nemesis: describeNemesis(plans),
    latencyModel: [
      formatLatency(latency),
      ...Object.entries(options.latencyByType ?? {}).map(([t, l]) => `${t}=${formatLatency(l)}`),
    ].join('; '),
    ops,
    messages: {
      sent: sim.stats.sent,
      delivered: sim.stats.delivered,
      dropped: sim.stats.dropped,
      duplicated: sim.stats.duplicated,
    },
    latency: {
      p50: roundMs(percentile(okLatencies, 0.5)),
      p99: roundMs(percentile(okLatencies, 0.99)),
    },
    msgsPerOp: history.length === 0 ? 0 : roundMs(sim.stats.sent / history.length),
    unavailableMs: roundMs(longestGap(history, sim.now)),
    virtualMs: roundMs(sim.now),
    wallMs: roundMs(performance.now() - started),
    events: sim.stats.events,
    traceDigest: sim.trace.digest.hex(),
    recovery: {
      healedAt: healedAt === null ? null : roundMs(healedAt),
      firstOkAt: firstOkAt === null ? null : roundMs(firstOkAt),
    },
    failure: sim.failure ?? null,
    metrics: Object.fromEntries(
      [...sim.metrics.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, samples]) => [
          name,
          {
            count: samples.length,
            sum: roundMs(samples.reduce((a, b) => a + b, 0)),
            p50: roundMs(percentile(samples, 0.5)),
            p99: roundMs(percentile(samples, 0.99)),
            max: roundMs(samples.reduce((a, b) => Math.max(a, b), -Infinity)),
          },
        ]),
    ),
    history,
    trace: sim.trace.events ?? null,
    coverage: session.coverage?.result(sim.metrics) ?? null,
  };
}

const READS = new Set(['get', 'read', 'echo']);

/** Longest interval between successive successful writes, counting from the start to the end. */
function longestGap(history: readonly HistoryOp[], end: number): number {
  const ok = history.filter((op) => op.outcome === 'ok');
  const writes = ok.filter((op) => !READS.has(op.f));
  const times = (writes.length > 0 ? writes : ok).map((op) => op.complete).sort((a, b) => a - b);
  let last = 0;
  let gap = 0;
  for (const t of times) {
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, end - last);
}

function describeNemesis(plans: readonly NemesisPlan[]): string {
  if (plans.length === 0) return 'none';
  if (plans.length === nemesisPlans().length) return 'all';
  return plans.map((p) => p.name).join(',');
}
