/**
 * One simulated run from a seed: build the cluster, start the nemesis and the clients, run
 * until every operation has completed (the last part after a final heal, so liveness can be
 * judged), and summarise. The same options give the same run, digest included.
 */
import type { HistoryOp } from '../core/history.js';
import type { SystemDefinition } from '../core/system.js';
import { FaultState } from './faults.js';
import { DEFAULT_LATENCY, formatLatency, type Latency } from './latency.js';
import {
  Nemesis,
  nemesisPlans,
  parseNemesis,
  type NemesisPlan,
  type NemesisTiming,
} from './nemesis.js';
import { Simulator, type SimFailure } from './simulator.js';
import { percentile, roundMs } from './stats.js';
import type { TraceEvent } from './trace.js';
import { DEFAULT_WORKLOAD, Workload, type WorkloadConfig } from './workload.js';

export interface RunOptions {
  readonly system: SystemDefinition;
  readonly mutant?: string;
  readonly nodes?: number;
  readonly seed: number;
  /** A nemesis spec: `none`, `all`, or plan names joined by commas. */
  readonly nemesis?: string;
  readonly nemesisTiming?: NemesisTiming;
  readonly latency?: Latency;
  readonly workload?: Partial<Omit<WorkloadConfig, 'kind'>>;
  readonly keepTrace?: boolean;
  /** A crash may keep a prefix of unsynced writes and tear the last (default true). */
  readonly tornWrites?: boolean;
  /** Fraction of operations invoked before the final heal (default 0.8). */
  readonly faultFraction?: number;
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
  readonly recovery: { healedAt: number | null; firstOkAt: number | null };
  readonly failure: SimFailure | null;
  /** What the nodes measured (see NodeEnv.metric), by name. */
  readonly metrics: Record<string, MetricSummary>;
  readonly history: readonly HistoryOp[];
  readonly trace: readonly TraceEvent[] | null;
}

export interface MetricSummary {
  readonly count: number;
  readonly sum: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export class RunOptionError extends Error {}

export function runSimulation(options: RunOptions): RunResult {
  const started = performance.now();
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
  const nemesisSpec = options.nemesis ?? 'none';
  const plans = parseNemesis(nemesisSpec);
  const latency = options.latency ?? DEFAULT_LATENCY;
  const workloadConfig: WorkloadConfig = {
    ...DEFAULT_WORKLOAD,
    ...options.workload,
    kind: system.workload,
  };
  const nodeIds = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const sim = new Simulator({
    seed: options.seed,
    nodeIds,
    factory: system.createNode(options.mutant !== undefined ? { mutant: options.mutant } : {}),
    latency,
    keepTrace: options.keepTrace ?? false,
    tornWrites: options.tornWrites ?? true,
    ...(system.checkInvariants !== undefined ? { checkInvariants: system.checkInvariants } : {}),
  });
  const faults = new FaultState(sim);
  const nemesis = new Nemesis(sim, faults, plans, options.nemesisTiming);
  let healedAt: number | null = null;
  const workload = new Workload(sim, workloadConfig, {
    faultFraction: options.faultFraction ?? 0.8,
    onFaultWindowEnd: () => {
      nemesis.finish();
      healedAt = sim.now;
    },
    onDone: () => sim.stop(),
  });
  sim.start();
  nemesis.start();
  workload.start();
  // Every operation ends by its timeout, so the workload always finishes; the bound only
  // guards against a simulator bug turning into a hang.
  const perClient = Math.ceil(workloadConfig.ops / Math.max(1, workloadConfig.clients));
  const bound =
    (perClient + 1) * (workloadConfig.timeoutMs + 50 * workloadConfig.thinkMs + 1000) + 60_000;
  sim.runUntil(bound);
  if (!workload.done && sim.failure === undefined) {
    throw new Error(`run did not finish within ${bound} virtual ms (seed ${options.seed})`);
  }

  const history = workload.ops();
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
    nodes,
    nemesis: describeNemesis(plans),
    latencyModel: formatLatency(latency),
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
