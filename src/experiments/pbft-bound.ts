/**
 * `pbft-bound`: how many Byzantine replicas PBFT survives, for every n from 4 to 10, and why no
 * fewer than 3f + 1 replicas can tolerate f. Measured in the simulator on `pbft` (no network
 * faults), with the strongest safety attack in the suite, `collude`: the primary of view 0 sends
 * the real pre-prepare for each sequence number to some honest backups and a made-up one to the
 * others, and the other K − 1 faulty replicas prepare and commit both (byzantine.ts). Two
 * quorums of Q = ⌈(n + f + 1) / 2⌉ share 2Q − n replicas, so the attack can complete a quorum
 * for each version exactly when K ≥ 2Q − n: for n = 3f + 1 and 3f + 3 that is f + 1, for
 * n = 3f + 2 it is f + 2 (n = 5 and 8 stay safe with f + 1 colluders, though they can no longer
 * make progress without them).
 *
 * Rows, per n = 4 … 10: K = f, K = f + 1 and, where different, K = 2Q − n colluders. Then the
 * same attack under the textbook count 2f + 1 on n = 5, 6, 8, 9 (the `quorum-2f-plus-1` mutant):
 * f colluders suffice. Then the lower bound, n = 3f for f = 1, 2, 3 with the replicas told to
 * tolerate f (`--param f`): the quorum that f silent replicas cannot block (Q = n − f = 2f)
 * does make progress with f silent, but two such quorums share only f replicas and f colluders
 * break safety; the quorum that keeps safety (Q = 2f + 1 > n − f) stops all progress with f
 * silent replicas. No quorum is both.
 *
 * A run violates safety when the invariant (no two honest replicas executed different requests
 * at one sequence number) fails or the history is not linearizable; it stalls when no operation
 * succeeds.
 */
import type { Json } from '../core/json.js';
import type { SystemDefinition } from '../core/system.js';
// The CLI installs the same scheme; importing it here lets the experiment run on its own.
import '../protocols/pbft/ed25519.js';
import type { ByzantineStrategy } from '../protocols/pbft/byzantine.js';
import { faultsTolerated, quorums } from '../protocols/pbft/quorums.js';
import { runChecked } from '../sim/checked-run.js';
import { PBFT_MIN_NODES, pbftSystem } from '../systems/pbft/pbft.js';
import type { Experiment, ExperimentPlot } from './experiment.js';

/** The cluster sizes swept (n = 3f + 1, 3f + 2 and 3f + 3 for f = 1, 2, and n = 10). */
export const BOUND_NS: readonly number[] = [4, 5, 6, 7, 8, 9, 10];
/** n ≠ 3f + 1, where the textbook 2f + 1 is not the right quorum. */
export const SEED_RULE_NS: readonly number[] = [5, 6, 8, 9];
/** f for the lower bound: n = 3f = 3, 6, 9. */
export const BELOW_BOUND_FS: readonly number[] = [1, 2, 3];

/** n = 3 is below `pbft`'s minimum of 4: only this experiment runs it, with an explicit f. */
const belowMinimum: SystemDefinition = { ...pbftSystem, minNodes: 3 };

export interface BoundSetup {
  readonly nodes: number;
  readonly k: number;
  readonly strategy: ByzantineStrategy;
  /** `--param f` (default ⌊(n − 1)/3⌋). */
  readonly f?: number;
  readonly quorum?: 'safe' | 'live';
  readonly mutant?: 'quorum-2f-plus-1';
}

export interface BoundRun {
  readonly violated: boolean;
  /** The invariant's complaint (or the checker's verdict) when violated. */
  readonly failure: string | null;
  readonly okOps: number;
}

/** One run of `setup` with `ops` operations. */
export function runBound(setup: BoundSetup, seed: number, ops: number): BoundRun {
  const params: Record<string, string> = { byzantine: String(setup.k), strategy: setup.strategy };
  if (setup.f !== undefined) params.f = String(setup.f);
  if (setup.quorum !== undefined) params.quorum = setup.quorum;
  const run = runChecked({
    system: setup.nodes < PBFT_MIN_NODES ? belowMinimum : pbftSystem,
    nodes: setup.nodes,
    seed,
    params,
    ...(setup.mutant !== undefined ? { mutant: setup.mutant } : {}),
    workload: { ops },
  });
  const violated = run.verdict === 'invalid';
  return {
    violated,
    failure: violated ? (run.failure?.message ?? `history ${run.verdict}`) : null,
    okOps: run.ops.ok,
  };
}

/** What the quorum arithmetic predicts for a row. */
type Prediction = 'safe' | 'unsafe' | 'stalled';

interface RowTally {
  readonly runs: number;
  readonly safetyViolations: number;
  /** Runs in which no operation succeeded. */
  readonly stalledRuns: number;
  readonly okOps: number;
  readonly example: string | null;
}

function tally(setup: BoundSetup, seeds: readonly number[], ops: number): RowTally {
  let safetyViolations = 0;
  let stalledRuns = 0;
  let okOps = 0;
  let example: string | null = null;
  for (const s of seeds) {
    const r = runBound(setup, s, ops);
    if (r.violated) {
      safetyViolations++;
      example ??= r.failure;
    }
    if (r.okOps === 0) stalledRuns++;
    okOps += r.okOps;
  }
  return { runs: seeds.length, safetyViolations, stalledRuns, okOps, example };
}

/** Whether a row's runs all came out as predicted. */
function asPredicted(p: Prediction, t: RowTally): boolean {
  if (p === 'unsafe') return t.safetyViolations === t.runs;
  if (t.safetyViolations > 0) return false;
  return p === 'stalled' ? t.stalledRuns === t.runs : t.stalledRuns === 0;
}

const CASTRO_LISKOV =
  'Miguel Castro and Barbara Liskov, "Practical Byzantine Fault Tolerance", ' +
  'Proceedings of the Third Symposium on Operating Systems Design and Implementation (OSDI), 1999';

export const pbftBoundExperiment: Experiment = {
  name: 'pbft-bound',
  claim:
    'PBFT provides safety and liveness with at most ⌊(n − 1)/3⌋ faulty replicas out of n, and ' +
    '3f + 1 is the minimum number of replicas that can tolerate f faulty ones',
  sources: [
    {
      kind: 'paper',
      cite: CASTRO_LISKOV,
      where:
        '§3 (Service Properties): safety and liveness with at most ⌊(n − 1)/3⌋ faulty replicas, ' +
        'and 3f + 1 is the minimum (the resiliency is optimal, proof cited to Bracha & Toueg); ' +
        '§4.2 (Normal-Case Operation), with |R| = 3f + 1: prepared = the pre-prepare and 2f ' +
        'matching prepares, committed-local = 2f + 1 matching commits',
    },
    {
      kind: 'paper',
      cite:
        'Gabriel Bracha and Sam Toueg, "Asynchronous Consensus and Broadcast Protocols", ' +
        'Journal of the ACM 32(4), 1985',
      where:
        'the malicious-failure result: agreement needs more than two thirds of the processes ' +
        'correct (n > 3t)',
    },
    {
      kind: 'paper',
      cite:
        'Cynthia Dwork, Nancy Lynch and Larry Stockmeyer, "Consensus in the Presence of ' +
        'Partial Synchrony", Journal of the ACM 35(2), 1988',
      where:
        'Theorem 4.4: with Byzantine faults and authentication under partial synchrony, no ' +
        't-resilient consensus for N ≤ 3t (the three-group argument the n = 3f rows replay)',
    },
    {
      kind: 'seed',
      section: 'Byzantine Consensus: When Nodes Lie',
      quote: 'Need 2f+1 = 3 prepares, 2f+1 = 3 commits',
    },
  ],
  run({ seed, quick }) {
    const seeds = Array.from({ length: quick ? 2 : 3 }, (_, i) => seed + i);
    const ops = quick ? 16 : 20;
    const rows: Json[] = [];
    let allAsPredicted = true;
    const mismatches: string[] = [];
    const record = (row: Record<string, Json>, p: Prediction, t: RowTally): void => {
      const ok = asPredicted(p, t);
      if (!ok) {
        allAsPredicted = false;
        mismatches.push(`${String(row.part)} n=${String(row.n)} K=${String(row.K)}`);
      }
      // The example last: it is the long column.
      const { example, ...counts } = t;
      rows.push({ ...row, predicted: p, ...counts, asPredicted: ok, example });
    };

    // Part 1: any n, the correct quorums.
    const safest: { n: number; measured: number; model: number; claimed: number }[] = [];
    for (const n of BOUND_NS) {
      const { f, quorum: Q } = quorums(n);
      const breaksAt = 2 * Q - n;
      const ks = [...new Set([f, f + 1, breaksAt])].sort((a, b) => a - b);
      // The largest K tried below which (and at which) no run was unsafe.
      let largestSafe = 0;
      let brokenYet = false;
      for (const k of ks) {
        const p: Prediction = k >= breaksAt ? 'unsafe' : 'safe';
        const t = tally({ nodes: n, k, strategy: 'collude' }, seeds, ops);
        const row = { part: 'any-n', n, f, quorum: 'safe', Q, breaksAt, strategy: 'collude', K: k };
        record(row, p, t);
        brokenYet ||= t.safetyViolations > 0;
        if (!brokenYet) largestSafe = k;
      }
      safest.push({ n, measured: largestSafe, model: breaksAt - 1, claimed: f });
    }

    // Part 2: the textbook 2f + 1 at n ≠ 3f + 1 (the quorum-2f-plus-1 mutant), K = f.
    for (const n of SEED_RULE_NS) {
      const f = faultsTolerated(n);
      const t = tally(
        { nodes: n, k: f, strategy: 'collude', mutant: 'quorum-2f-plus-1' },
        seeds,
        ops,
      );
      record(
        {
          part: '2f+1-at-any-n',
          n,
          f,
          quorum: '2f+1',
          Q: 2 * f + 1,
          breaksAt: 2 * (2 * f + 1) - n,
          strategy: 'collude',
          K: f,
        },
        'unsafe',
        t,
      );
    }

    // Part 3: n = 3f told to tolerate f. Neither quorum is both safe and live: Q = n − f is
    // live (f silent replicas do not block it) but f colluders break it; Q = 2f + 1 keeps
    // safety but f silent replicas stop it.
    const below: { f: number; unsafe: number; stalled: number }[] = [];
    for (const f of BELOW_BOUND_FS) {
      const n = 3 * f;
      const run = (quorum: 'live' | 'safe', strategy: ByzantineStrategy, p: Prediction) => {
        const Q = quorums(n, f, quorum).quorum;
        const t = tally({ nodes: n, k: f, strategy, f, quorum }, seeds, ops);
        record({ part: 'n=3f', n, f, quorum, Q, breaksAt: 2 * Q - n, strategy, K: f }, p, t);
        return t;
      };
      run('live', 'silent', 'safe');
      const unsafe = run('live', 'collude', 'unsafe');
      const stalled = run('safe', 'silent', 'stalled');
      below.push({
        f,
        unsafe: unsafe.safetyViolations / unsafe.runs,
        stalled: stalled.stalledRuns / stalled.runs,
      });
    }

    const plots: ExperimentPlot[] = [
      {
        title: 'Colluding replicas PBFT stays safe with, by cluster size',
        x: { label: 'replicas n' },
        y: { label: 'largest K colluding replicas with no unsafe run' },
        series: [
          {
            name: 'measured (collude, correct quorums)',
            role: 'measured',
            points: safest.map((s) => ({ x: s.n, y: s.measured })),
          },
          {
            name: 'quorum arithmetic: 2Q − n − 1',
            role: 'model',
            points: safest.map((s) => ({ x: s.n, y: s.model })),
          },
          {
            name: 'claimed: f = ⌊(n − 1)/3⌋',
            role: 'claimed',
            points: safest.map((s) => ({ x: s.n, y: s.claimed })),
          },
        ],
      },
      {
        title: 'n = 3f replicas told to tolerate f: each quorum gives up one property',
        x: { label: 'f (n = 3f)' },
        y: { label: 'fraction of runs' },
        series: [
          {
            name: 'unsafe with Q = n − f (f colluding)',
            role: 'measured',
            points: below.map((b) => ({ x: b.f, y: b.unsafe })),
          },
          {
            name: 'stalled with Q = 2f + 1 (f silent)',
            role: 'measured',
            points: below.map((b) => ({ x: b.f, y: b.stalled })),
          },
          {
            name: 'lower bound: n = 3f cannot be both safe and live',
            role: 'claimed',
            points: below.map((b) => ({ x: b.f, y: 1 })),
          },
        ],
      },
    ];

    return {
      rows,
      measured: {
        runsPerRow: seeds.length,
        opsPerRun: ops,
        rowsAsPredicted: rows.length - mismatches.length,
        rows: rows.length,
        mismatches,
        largestSafeK: safest.map((s) => ({ n: s.n, measured: s.measured, f: s.claimed })),
        rule:
          'supported iff every row came out as the quorum arithmetic predicts in every run: with ' +
          'Q = ⌈(n + f + 1)/2⌉, K colluders are unsafe in every run iff K ≥ 2Q − n and otherwise ' +
          'never unsafe and never stalled (so K = f is always safe and live); with 2f + 1 at ' +
          'n ≠ 3f + 1, K = f is unsafe; at n = 3f, Q = n − f is unsafe with f colluders and ' +
          'Q = 2f + 1 completes no operation with f silent replicas (and Q = n − f, with f ' +
          'silent replicas, does)',
        note:
          `${ops} operations per run, ${seeds.length} seeds per row, no network faults. ` +
          "The seed's 2f + 1 = 3 is right for its 4 replicas (n = 3f + 1); for n = 5, 6, 8, 9 " +
          'the same count lets f colluders split the honest replicas (rows 2f+1-at-any-n). ' +
          'n = 5 and 8 stay safe with f + 1 colluders (2Q − n = f + 2) but not live with f + 1 ' +
          'silent ones.',
      },
      verdict: allAsPredicted ? 'supported' : 'refuted',
      plots,
    };
  },
};
