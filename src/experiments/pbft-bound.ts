/**
 * `pbft-bound`: n = 3f + 1 replicas tolerate f Byzantine ones, and the bound is tight: f + 1
 * colluding replicas can make honest replicas disagree. Measured in the simulator on `pbft` with
 * `--param strategy=collude`: the primary of view 0 sends the real pre-prepare for each sequence
 * number to half the honest backups and a made-up one to the other half, and the other K − 1
 * faulty replicas prepare and commit both versions. With K = f + 1 each half of the 2f honest
 * replicas (f each) plus the f faulty backups makes 2f prepares, and with the primary 2f + 1
 * commits, for its own version: two groups commit different requests at one number. With K = f
 * the half that gets the fake has f honest + f − 1 faulty backups, one prepare short.
 *
 * A run violates safety when the invariant (no two honest replicas executed different requests
 * at one sequence number) fails or the history is not linearizable.
 */
import type { Json } from '../core/json.js';
// The CLI installs the same scheme; importing it here lets the experiment run on its own.
import '../protocols/pbft/ed25519.js';
import { runChecked } from '../sim/checked-run.js';
import { pbftSystem } from '../systems/pbft/pbft.js';
import type { Experiment } from './experiment.js';

/** f = 1, 2, 3: n = 4, 7, 10. */
export const BOUND_FS: readonly number[] = [1, 2, 3];

export interface BoundRun {
  readonly violated: boolean;
  /** The invariant's complaint (or the checker's verdict) when violated. */
  readonly failure: string | null;
  readonly okOps: number;
}

/** One run of the colluding attack with K faulty replicas out of 3f + 1. */
export function runBound(f: number, k: number, seed: number, ops: number): BoundRun {
  const run = runChecked({
    system: pbftSystem,
    nodes: 3 * f + 1,
    seed,
    params: { byzantine: String(k), strategy: 'collude' },
    workload: { ops },
  });
  const violated = run.verdict === 'invalid';
  return {
    violated,
    failure: violated ? (run.failure?.message ?? `history ${run.verdict}`) : null,
    okOps: run.ops.ok,
  };
}

export const pbftBoundExperiment: Experiment = {
  name: 'pbft-bound',
  claim:
    'PBFT with n = 3f + 1 replicas is safe with up to f Byzantine replicas, and the bound is ' +
    'tight: f + 1 colluding replicas can make honest replicas commit different requests',
  run({ seed, quick }) {
    const seeds = Array.from({ length: quick ? 2 : 5 }, (_, i) => seed + i);
    const ops = quick ? 40 : 100;
    const rows: Json[] = [];
    let safeAtF = true;
    let brokenAtF1Everywhere = true;
    let violationsAtF = 0;
    let violationsAtF1 = 0;
    for (const f of BOUND_FS) {
      for (const k of [f, f + 1]) {
        let violations = 0;
        let okOps = 0;
        let example: string | null = null;
        for (const s of seeds) {
          const r = runBound(f, k, s, ops);
          if (r.violated) {
            violations++;
            example ??= r.failure;
          }
          okOps += r.okOps;
        }
        rows.push({
          f,
          n: 3 * f + 1,
          K: k,
          runs: seeds.length,
          safetyViolations: violations,
          okOps,
          example,
        });
        if (k === f) {
          violationsAtF += violations;
          if (violations > 0) safeAtF = false;
        } else {
          violationsAtF1 += violations;
          if (violations === 0) brokenAtF1Everywhere = false;
        }
      }
    }
    const runsPerK = BOUND_FS.length * seeds.length;
    return {
      rows,
      measured: {
        runsAtF: runsPerK,
        violationsAtF,
        runsAtF1: runsPerK,
        violationsAtF1,
        rule: 'supported if no K = f run violates safety and, for every f, some K = f + 1 run does',
        note:
          `Strategy collude, ${ops} operations per run, no network faults. okOps counts ` +
          'operations that succeeded; a violating run halts at the first divergence.',
      },
      verdict: safeAtF && brokenAtF1Everywhere ? 'supported' : 'refuted',
    };
  },
};
