/**
 * `dueling-proposers`: Paxos guarantees safety, not progress. Two parts, named for what they
 * measure:
 *
 * - **livelock** — Lamport's scenario (Paxos Made Simple, §2.4) staged in the simulator under an
 *   adversarial but legal schedule: no message is lost and every delay is bounded (accepts take
 *   ACCEPT_MS, every other message FAST_MS: a delay policy keyed by message type), two proposers
 *   on different nodes, the second one's client starting STAGGER_MS after the first's. Without
 *   backoff each proposer's next prepare reaches the acceptors before the other's accept does, so
 *   each accept is refused, for as long as the run lasts; the same schedule with randomized
 *   backoff decides, and so does a stable leader (kv-paxos). The give-up budget (40 ballots by
 *   default) is raised so that it cannot end the duel; one row shows what it does otherwise.
 * - **contention cost** — the ordinary random schedule (the simulator's default latency), five
 *   clients proposing back to back: ballots started per decided instance and time to decide.
 *   Every instance is decided there; it measures what contention costs, not a livelock.
 *
 * An instance is a key for `paxos` and an operation (a log slot) for kv-paxos. Ballots are
 * counted over all proposers (`paxos.ballots`, or `paxos.elections` for kv-paxos). Time to
 * decide is from an instance's first proposal to its first successful answer.
 */
import type { HistoryOp } from '../core/history.js';
import type { Json } from '../core/json.js';
import type { SystemDefinition } from '../core/system.js';
import { runChecked, type CheckedRun } from '../sim/checked-run.js';
import type { Latency, LatencyByType } from '../sim/latency.js';
import { percentile, roundMs } from '../sim/stats.js';
import { kvPaxosSystem } from '../systems/paxos/kv-paxos.js';
import { paxosSystem } from '../systems/paxos/paxos.js';
import type { Experiment, ExperimentPlot, ExperimentVerdict, PlotSeries } from './experiment.js';

// ---- the adversarial schedule ------------------------------------------------------------------

/** Every message but an accept takes this long (ms). */
export const FAST_MS = 1;
/** An accept takes this long (ms): the bound on every delay of the schedule. */
export const ACCEPT_MS = 40;
/**
 * The second proposer's client starts this long after the first's. Without backoff the duel
 * lasts while the gap between the two proposers' prepares stays between about 2 ms (a nack, a
 * disk sync and a prepare) and about 41 ms (a sync, a promise and an accept); 20 ms is the
 * middle, so the disks' sync jitter (0.05–0.5 ms) cannot walk it out within the window.
 */
export const STAGGER_MS = 20;
/** How long the livelock runs last, virtual ms (each client's timeout). */
export const WINDOW_MS = 10_000;
/** A budget no proposer reaches within the window (a ballot takes over 40 ms here). */
export const RAISED_BUDGET = 1_000_000;

const fast: Latency = { kind: 'constant', ms: FAST_MS };

/** Prepares, promises, nacks, accepted, heartbeats…: FAST_MS; accepts: ACCEPT_MS. */
export const ADVERSARIAL_LATENCY: { readonly latency: Latency; readonly byType: LatencyByType } = {
  latency: fast,
  byType: { accept: { kind: 'constant', ms: ACCEPT_MS } },
};

/** The contention every variant faces in the contention-cost part. */
export const DUEL_SETTINGS = { nodes: 5, clients: 5, thinkMs: 0 } as const;

export interface DuelVariant {
  readonly variant: string;
  readonly system: SystemDefinition;
  readonly params?: Readonly<Record<string, string>>;
  /** The metric that counts ballots started. */
  readonly ballotMetric: string;
}

const noBackoff: DuelVariant = {
  variant: 'paxos, no backoff',
  system: paxosSystem,
  params: { backoff: 'off' },
  ballotMetric: 'paxos.ballots',
};
const withBackoff: DuelVariant = {
  variant: 'paxos, randomized backoff',
  system: paxosSystem,
  params: { backoff: 'on' },
  ballotMetric: 'paxos.ballots',
};
const leader: DuelVariant = {
  variant: 'kv-paxos (stable leader)',
  system: kvPaxosSystem,
  ballotMetric: 'paxos.elections',
};

/** The contention-cost variants: the default give-up budget (40 ballots), as shipped. */
export const DUEL_VARIANTS: readonly DuelVariant[] = [noBackoff, withBackoff, leader];

const raised = (v: DuelVariant): DuelVariant => ({
  ...v,
  params: { ...v.params, 'max-ballots': String(RAISED_BUDGET) },
});

/**
 * The livelock variants: the first three are the verdict's, the last shows that the default
 * budget ends a duel by giving up (after which the other proposer decides), not by deciding.
 */
export const LIVELOCK_VARIANTS: readonly DuelVariant[] = [
  raised(noBackoff),
  raised(withBackoff),
  leader,
  { ...noBackoff, variant: 'paxos, no backoff, default budget (40 ballots)' },
];

/** One variant on one seed: ballots, instances, decided ones and their times to decide. */
export interface DuelRun {
  readonly ballots: number;
  readonly instances: number;
  readonly decided: number;
  readonly decideMs: number[];
  /** When each decided instance was first decided, virtual ms from the start of the run. */
  readonly decidedAt: number[];
  readonly virtualMs: number;
  /** Every message sent was delivered or still in flight when the run ended (none dropped). */
  readonly dropped: number;
}

function summarizeDuel(v: DuelVariant, run: CheckedRun, seed: number, until: number): DuelRun {
  if (run.verdict === 'invalid') {
    throw new Error(`${v.variant} seed ${seed} is invalid: ${run.failure?.message ?? ''}`);
  }
  const byInstance = new Map<string, { first: number; decidedAt: number | null }>();
  const instanceOf = (op: HistoryOp): string =>
    v.system.workload === 'custom' ? String(op.key) : `op${op.id}`;
  for (const op of run.history) {
    const key = instanceOf(op);
    let e = byInstance.get(key);
    if (e === undefined) byInstance.set(key, (e = { first: op.invoke, decidedAt: null }));
    e.first = Math.min(e.first, op.invoke);
    if (op.outcome === 'ok' && op.complete <= until) {
      e.decidedAt = e.decidedAt === null ? op.complete : Math.min(e.decidedAt, op.complete);
    }
  }
  const decideMs: number[] = [];
  const decidedAt: number[] = [];
  for (const e of byInstance.values()) {
    if (e.decidedAt === null) continue;
    decideMs.push(e.decidedAt - e.first);
    decidedAt.push(e.decidedAt);
  }
  return {
    ballots: run.metrics[v.ballotMetric]?.count ?? 0,
    instances: byInstance.size,
    decided: decideMs.length,
    decideMs,
    decidedAt,
    virtualMs: run.virtualMs,
    dropped: run.messages.dropped,
  };
}

/** Contention cost: `ops` proposals from five clients back to back, the random schedule. */
export function runDuel(v: DuelVariant, seed: number, ops: number): DuelRun {
  const run = runChecked({
    system: v.system,
    seed,
    nodes: DUEL_SETTINGS.nodes,
    ...(v.params !== undefined ? { params: v.params } : {}),
    workload: { ops, clients: DUEL_SETTINGS.clients, thinkMs: DUEL_SETTINGS.thinkMs },
  });
  return summarizeDuel(v, run, seed, Infinity);
}

/** The run options of one livelock run (exported so a test can replay it with a trace). */
export function livelockRunOptions(v: DuelVariant, seed: number) {
  return {
    system: v.system,
    seed,
    nodes: DUEL_SETTINGS.nodes,
    ...(v.params !== undefined ? { params: v.params } : {}),
    latency: ADVERSARIAL_LATENCY.latency,
    latencyByType: ADVERSARIAL_LATENCY.byType,
    workload: {
      ops: 2,
      clients: 2,
      thinkMs: 0,
      timeoutMs: WINDOW_MS,
      startMs: [0, STAGGER_MS],
    },
  } as const;
}

/** Livelock: two proposers under the adversarial schedule, for at most WINDOW_MS. */
export function runLivelock(v: DuelVariant, seed: number): DuelRun {
  return summarizeDuel(v, runChecked(livelockRunOptions(v, seed)), seed, WINDOW_MS);
}

// ---- statistics ---------------------------------------------------------------------------------

/** Wilson's 95 % interval for k successes in n trials (sound at k = 0 and k = n, unlike ±2σ). */
export function wilson(k: number, n: number): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 };
  const z = 1.96;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

interface Tally {
  readonly runs: DuelRun[];
  ballots: number;
  instances: number;
  decided: number;
  virtualMs: number;
  readonly times: number[];
}

function tally(runs: DuelRun[]): Tally {
  const t: Tally = { runs, ballots: 0, instances: 0, decided: 0, virtualMs: 0, times: [] };
  for (const r of runs) {
    t.ballots += r.ballots;
    t.instances += r.instances;
    t.decided += r.decided;
    t.virtualMs += r.virtualMs;
    t.times.push(...r.decideMs);
  }
  return t;
}

function row(part: string, v: DuelVariant, seeds: readonly number[], t: Tally): Json {
  return {
    part,
    variant: v.variant,
    params:
      Object.entries(v.params ?? {})
        .map(([k, x]) => `${k}=${x}`)
        .join(',') || '-',
    seeds: [...seeds],
    ballots: t.ballots,
    instances: t.instances,
    decided: t.decided,
    undecided: t.instances - t.decided,
    // null, not Infinity (which JSON cannot carry), when nothing was decided
    ballotsPerDecided: t.decided === 0 ? null : roundMs(t.ballots / t.decided),
    decideMsMean:
      t.times.length === 0 ? null : roundMs(t.times.reduce((a, b) => a + b, 0) / t.times.length),
    decideMsP50: t.times.length === 0 ? null : roundMs(percentile(t.times, 0.5)),
    decideMsP99: t.times.length === 0 ? null : roundMs(percentile(t.times, 0.99)),
    virtualMs: roundMs(t.virtualMs),
  };
}

/** Instants at which the livelock plot counts decided instances (log-spaced, to the window). */
const PLOT_TIMES = [50, 100, 200, 500, 1000, 2000, 5000, WINDOW_MS];

function decidedByTime(v: DuelVariant, t: Tally): PlotSeries {
  return {
    name: v.variant,
    role: 'measured',
    points: PLOT_TIMES.map((x) => {
      const k = t.runs.reduce((a, r) => a + r.decidedAt.filter((d) => d <= x).length, 0);
      return { x, y: roundMs(k / t.instances), ...roundInterval(wilson(k, t.instances)) };
    }),
  };
}

function roundInterval(i: { lo: number; hi: number }): { lo: number; hi: number } {
  return { lo: roundMs(i.lo), hi: roundMs(i.hi) };
}

/**
 * The rule in `measured.rule`: from how many of `runs` adversarial runs no-backoff decided
 * anything in the window, and in how many backoff decided every instance.
 */
export function livelockVerdict(
  noBackoffRunsDecided: number,
  backoffRunsDecided: number,
  runs: number,
): ExperimentVerdict {
  if (noBackoffRunsDecided === 0 && backoffRunsDecided === runs) return 'supported';
  if (noBackoffRunsDecided === runs) return 'refuted';
  return 'not measurable as stated';
}

// ---- the experiment -----------------------------------------------------------------------------

export const LIVELOCK_PART = 'livelock (adversarial schedule)';
export const CONTENTION_PART = 'contention cost (random schedule)';

export const duelingProposersExperiment: Experiment = {
  name: 'dueling-proposers',
  claim: 'Paxos: liveness not guaranteed (dueling proposers)',
  sources: [
    {
      kind: 'seed',
      section: 'Paxos: The Original (Complex) Truth',
      quote: 'Liveness not guaranteed (dueling proposers)',
    },
    {
      kind: 'paper',
      cite: 'Leslie Lamport, "Paxos Made Simple", ACM SIGACT News 32(4):51–58, 2001',
      where:
        'Section 2.4 (Progress): two proposers that each complete phase 1 with a higher number ' +
        "before the other's phase 2 can go on forever with none of their proposals chosen; a " +
        'distinguished proposer restores progress',
    },
    {
      kind: 'paper',
      cite:
        'Michael J. Fischer, Nancy A. Lynch, Michael S. Paterson, "Impossibility of Distributed ' +
        'Consensus with One Faulty Process", Journal of the ACM 32(2):374–382, 1985',
      where:
        'Theorem 1 (no deterministic consensus protocol is live in an asynchronous system with ' +
        'one crash). Not what this schedule shows: here no process fails and every delay is ' +
        `bounded (≤ ${ACCEPT_MS} ms), so the system is synchronous; the duel alone stops progress`,
    },
  ],
  run({ seed, quick }) {
    // ---- (a) livelock under the adversarial schedule
    const livelockSeeds = Array.from({ length: quick ? 3 : 10 }, (_, i) => seed + i);
    const rows: Json[] = [];
    const live = LIVELOCK_VARIANTS.map((v) => {
      const t = tally(livelockSeeds.map((s) => runLivelock(v, s)));
      rows.push(row(LIVELOCK_PART, v, livelockSeeds, t));
      return t;
    });
    const [off, on, stable, budget] = live as [Tally, Tally, Tally, Tally];
    const runsOffDecided = off.runs.filter((r) => r.decided > 0).length;
    const runsOnAllDecided = on.runs.filter((r) => r.decided === r.instances).length;
    const n = livelockSeeds.length;
    const dropped = live.reduce((a, t) => a + t.runs.reduce((b, r) => b + r.dropped, 0), 0);

    // ---- (b) contention cost under the random schedule
    const costSeeds = Array.from({ length: quick ? 2 : 5 }, (_, i) => seed + i);
    const ops = quick ? 100 : 200;
    const cost = DUEL_VARIANTS.map((v) => {
      const t = tally(costSeeds.map((s) => runDuel(v, s, ops)));
      rows.push(row(CONTENTION_PART, v, costSeeds, t));
      return t;
    });
    const perDecided = (t: Tally): number | null =>
      t.decided === 0 ? null : roundMs(t.ballots / t.decided);

    const verdict = livelockVerdict(runsOffDecided, runsOnAllDecided, n);

    const plots: ExperimentPlot[] = [
      {
        title: `Adversarial schedule (accepts ${ACCEPT_MS} ms, all else ${FAST_MS} ms): share of instances decided by time t`,
        x: { label: 'virtual ms since the run started', log: true },
        y: { label: 'instances decided (95 % Wilson interval over seeds)' },
        series: [
          ...LIVELOCK_VARIANTS.map((v, i) => decidedByTime(v, live[i] as Tally)),
          {
            name: 'Paxos Made Simple §2.4 scenario: none chosen',
            role: 'claimed',
            points: PLOT_TIMES.map((x) => ({ x, y: 0 })),
          },
        ],
      },
      {
        title:
          'Contention cost (random schedule, 5 clients back to back): ballots per decided instance',
        x: { label: 'variant (1 no backoff, 2 randomized backoff, 3 stable leader)' },
        y: { label: 'ballots per decided instance (bar: lowest to highest seed)' },
        series: DUEL_VARIANTS.map((v, i) => {
          const t = cost[i] as Tally;
          const per = t.runs.map((r) => (r.decided === 0 ? 0 : r.ballots / r.decided));
          return {
            name: v.variant,
            role: 'measured' as const,
            points: [
              {
                x: i + 1,
                y: perDecided(t) ?? 0,
                lo: roundMs(Math.min(...per)),
                hi: roundMs(Math.max(...per)),
              },
            ],
          };
        }),
      },
    ];

    return {
      rows,
      measured: {
        livelock: {
          schedule:
            `every message delivered (${dropped} dropped), accepts after ${ACCEPT_MS} ms, every ` +
            `other message after ${FAST_MS} ms; two proposers (n1, n2) of five nodes, the second ` +
            `client ${STAGGER_MS} ms after the first; window ${WINDOW_MS} ms; budget raised to ` +
            `${RAISED_BUDGET} ballots`,
          delayBoundMs: ACCEPT_MS,
          runs: n,
          noBackoffRunsDecided: runsOffDecided,
          noBackoffBallotsPerRun: roundMs(off.ballots / n),
          backoffRunsDecided: runsOnAllDecided,
          backoffBallotsPerRun: roundMs(on.ballots / n),
          backoffDecideMsP99: on.times.length === 0 ? null : roundMs(percentile(on.times, 0.99)),
          leaderRunsDecided: stable.runs.filter((r) => r.decided === r.instances).length,
          leaderBallotsPerRun: roundMs(stable.ballots / n),
          defaultBudgetRunsDecided: budget.runs.filter((r) => r.decided > 0).length,
          defaultBudgetDecideMsP50:
            budget.times.length === 0 ? null : roundMs(percentile(budget.times, 0.5)),
        },
        contentionCost: {
          ballotsPerDecidedNoBackoff: perDecided(cost[0] as Tally),
          ballotsPerDecidedBackoff: perDecided(cost[1] as Tally),
          ballotsPerDecidedLeader: perDecided(cost[2] as Tally),
          undecidedNoBackoff: (cost[0] as Tally).instances - (cost[0] as Tally).decided,
        },
        rule:
          'supported if, under the adversarial schedule, paxos without backoff decides nothing ' +
          `in any run for the whole ${WINDOW_MS} ms window and paxos with randomized backoff ` +
          'decides in every run; refuted if paxos without backoff decides in every run; ' +
          'otherwise not measurable as stated. The contention cost does not enter the verdict.',
        note:
          'Without the raised budget a proposer gives up after 40 ballots and the other one then ' +
          'decides (the last livelock row): the budget ends a duel, it does not win it. Contention ' +
          'cost: budgets of 40 ballots per proposer and 1 s per client; kv-paxos instances are log ' +
          'slots and their decide times include waiting for the first leader (150–300 ms).',
      },
      verdict,
      plots,
    };
  },
};
