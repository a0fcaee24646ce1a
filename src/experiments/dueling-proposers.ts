/**
 * `dueling-proposers`: Paxos guarantees safety, not progress. Two proposers that keep starting
 * higher ballots pre-empt each other's phase 2 and can go on forever; the folk remedies are a
 * randomized backoff between ballots or a stable leader (Multi-Paxos). Measured in the
 * simulator on the same seeds and the same clients (every client proposes at once, from
 * different nodes, with no pause between operations) for three variants: single-decree `paxos`
 * with backoff off, with backoff on, and `kv-paxos` (one leader, phase 1 once).
 *
 * Rounds are ballots started (metric `paxos.ballots`, or `paxos.elections` for kv-paxos) per
 * decided instance; an instance is a key for `paxos` and an operation (a log slot) for kv-paxos.
 * Time to decide is from the first proposal's invocation to the first successful answer.
 */
import type { HistoryOp } from '../core/history.js';
import type { Json } from '../core/json.js';
import type { SystemDefinition } from '../core/system.js';
import { runChecked } from '../sim/checked-run.js';
import { percentile, roundMs } from '../sim/stats.js';
import { kvPaxosSystem } from '../systems/paxos/kv-paxos.js';
import { paxosSystem } from '../systems/paxos/paxos.js';
import type { Experiment } from './experiment.js';

/** The contention every variant faces: five nodes, five clients proposing back to back. */
export const DUEL_SETTINGS = { nodes: 5, clients: 5, thinkMs: 0 } as const;

export interface DuelVariant {
  readonly variant: string;
  readonly system: SystemDefinition;
  readonly params?: Readonly<Record<string, string>>;
  /** The metric that counts ballots started. */
  readonly ballotMetric: string;
}

export const DUEL_VARIANTS: readonly DuelVariant[] = [
  {
    variant: 'paxos, no backoff',
    system: paxosSystem,
    params: { backoff: 'off' },
    ballotMetric: 'paxos.ballots',
  },
  {
    variant: 'paxos, randomized backoff',
    system: paxosSystem,
    params: { backoff: 'on' },
    ballotMetric: 'paxos.ballots',
  },
  { variant: 'kv-paxos (stable leader)', system: kvPaxosSystem, ballotMetric: 'paxos.elections' },
];

/** How many times the rounds of the backoff variant no-backoff must reach to count as livelock. */
export const LIVELOCK_RATIO = 3;

/** One variant on one seed: ballots, instances, decided ones and their times to decide. */
export interface DuelRun {
  readonly ballots: number;
  readonly instances: number;
  readonly decided: number;
  readonly decideMs: number[];
  readonly virtualMs: number;
}

export function runDuel(v: DuelVariant, seed: number, ops: number): DuelRun {
  const run = runChecked({
    system: v.system,
    seed,
    nodes: DUEL_SETTINGS.nodes,
    ...(v.params !== undefined ? { params: v.params } : {}),
    workload: { ops, clients: DUEL_SETTINGS.clients, thinkMs: DUEL_SETTINGS.thinkMs },
  });
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
    if (op.outcome === 'ok') {
      e.decidedAt = e.decidedAt === null ? op.complete : Math.min(e.decidedAt, op.complete);
    }
  }
  const decideMs: number[] = [];
  for (const e of byInstance.values())
    if (e.decidedAt !== null) decideMs.push(e.decidedAt - e.first);
  return {
    ballots: run.metrics[v.ballotMetric]?.count ?? 0,
    instances: byInstance.size,
    decided: decideMs.length,
    decideMs,
    virtualMs: run.virtualMs,
  };
}

export const duelingProposersExperiment: Experiment = {
  name: 'dueling-proposers',
  claim:
    'Paxos without a stable leader or backoff can livelock: dueling proposers keep pre-empting ' +
    'each other',
  run({ seed, quick }) {
    const seeds = Array.from({ length: quick ? 2 : 5 }, (_, i) => seed + i);
    const ops = quick ? 100 : 200;
    const rows: Json[] = [];
    const rounds: number[] = [];
    const undecided: number[] = [];
    for (const v of DUEL_VARIANTS) {
      let ballots = 0;
      let instances = 0;
      let decided = 0;
      let virtualMs = 0;
      const times: number[] = [];
      for (const s of seeds) {
        const r = runDuel(v, s, ops);
        ballots += r.ballots;
        instances += r.instances;
        decided += r.decided;
        virtualMs += r.virtualMs;
        times.push(...r.decideMs);
      }
      const roundsPerInstance = decided === 0 ? Infinity : ballots / decided;
      rounds.push(roundsPerInstance);
      undecided.push(instances - decided);
      rows.push({
        variant: v.variant,
        system: v.system.name,
        params:
          Object.entries(v.params ?? {})
            .map(([k, x]) => `${k}=${x}`)
            .join(',') || '-',
        seeds,
        ballots,
        instances,
        decided,
        undecided: instances - decided,
        roundsPerInstance: roundMs(roundsPerInstance),
        decideMsMean: roundMs(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)),
        decideMsP50: roundMs(percentile(times, 0.5)),
        decideMsP99: roundMs(percentile(times, 0.99)),
        virtualMs: roundMs(virtualMs),
      });
    }
    const [off, on, leader] = rounds as [number, number, number];
    const ratioToBackoff = roundMs(off / on);
    const ratioToLeader = roundMs(off / leader);
    const livelock = (undecided[0] as number) > 0 || off >= LIVELOCK_RATIO * on;
    return {
      rows,
      measured: {
        roundsNoBackoff: roundMs(off),
        roundsBackoff: roundMs(on),
        roundsLeader: roundMs(leader),
        ratioToBackoff,
        ratioToLeader,
        undecidedNoBackoff: undecided[0] as number,
        rule: `supported if no-backoff starts ≥ ${LIVELOCK_RATIO}× the ballots per decided instance of backoff, or leaves an instance undecided`,
        note:
          'Budgets: each proposer gives up after 40 ballots and each client after 1 s. Ballots ' +
          'are counted over all proposers. kv-paxos instances are log slots (one per operation) ' +
          'and its decide times include waiting for the first leader (150–300 ms).',
      },
      verdict: livelock ? 'supported' : 'refuted',
    };
  },
};
