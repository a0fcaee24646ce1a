/**
 * `2pc-blocking`: two-phase commit blocks. A participant that voted yes may neither commit nor
 * abort on its own, so if the coordinator dies after the votes, the participant holds its locks
 * until the coordinator comes back; choosing the outcome by consensus (`twopc-replicated`) lets
 * the participants finish without it. Measured in the simulator: the coordinator n1 is crashed
 * for DOWN_MS at a seed-dependent instant during the workload, and every participant reports how
 * long it held each transaction in doubt (metric `twopc.doubt-ms`, from prepared to decision).
 */
import type { Json } from '../core/json.js';
import type { SystemDefinition } from '../core/system.js';
import { runChecked } from '../sim/checked-run.js';
import { roundMs } from '../sim/stats.js';
import { twoPcReplicatedSystem, twoPcSystem } from '../systems/twopc/twopc.js';
import type { Experiment } from './experiment.js';

/** How long the coordinator stays down. */
export const DOWN_MS = 1000;

/** When, in virtual ms, the coordinator crashes in the run with `seed`. */
export function crashAt(seed: number): number {
  return 200 + ((seed * 37) % 300);
}

export interface BlockingRun {
  readonly verdict: string;
  readonly okOps: number;
  /** The longest a participant held one transaction in doubt, ms. */
  readonly maxDoubtMs: number;
  /** Outcomes participants chose without the coordinator (metric `twopc.recovered`). */
  readonly recovered: number;
}

export function runBlocking(system: SystemDefinition, seed: number): BlockingRun {
  const at = crashAt(seed);
  const run = runChecked({
    system,
    seed,
    script: [
      { at, kind: 'crash', node: 'n1' },
      { at: at + DOWN_MS, kind: 'restart', node: 'n1' },
    ],
    workload: { ops: 300 },
  });
  return {
    verdict: run.verdict,
    okOps: run.ops.ok,
    maxDoubtMs: roundMs(run.metrics['twopc.doubt-ms']?.max ?? 0),
    recovered: run.metrics['twopc.recovered']?.count ?? 0,
  };
}

export const twoPcBlockingExperiment: Experiment = {
  name: '2pc-blocking',
  claim:
    'Two-phase commit blocks: if the coordinator fails after the participants voted, they hold ' +
    'their locks until it recovers; replicating the decision by consensus removes the block',
  run({ seed, quick }) {
    const seeds = Array.from({ length: quick ? 4 : 10 }, (_, i) => seed + i);
    const rows: Json[] = [];
    const worst = new Map<string, number>();
    let allValid = true;
    for (const system of [twoPcSystem, twoPcReplicatedSystem]) {
      for (const s of seeds) {
        const r = runBlocking(system, s);
        allValid &&= r.verdict === 'valid';
        worst.set(system.name, Math.max(worst.get(system.name) ?? 0, r.maxDoubtMs));
        rows.push({
          system: system.name,
          seed: s,
          crashAtMs: crashAt(s),
          downMs: DOWN_MS,
          ...r,
        });
      }
    }
    const plain = worst.get(twoPcSystem.name) ?? 0;
    const replicated = worst.get(twoPcReplicatedSystem.name) ?? 0;
    // Blocking shows when some participant stayed in doubt for (almost) the whole outage.
    const blocked = plain >= 0.9 * DOWN_MS;
    const unblocked = replicated < DOWN_MS / 2;
    return {
      rows,
      measured: {
        downMs: DOWN_MS,
        worstDoubtMsTwopc: plain,
        worstDoubtMsReplicated: replicated,
        runsBlockedTwopc: rows.filter(
          (r) =>
            (r as { system: string }).system === twoPcSystem.name &&
            (r as { maxDoubtMs: number }).maxDoubtMs >= 0.9 * DOWN_MS,
        ).length,
        allRunsValid: allValid,
        rule:
          'supported if some twopc participant stays in doubt ≥ 90 % of the outage and no ' +
          'twopc-replicated participant stays in doubt half of it; not measurable if no crash ' +
          'caught a prepared transaction',
      },
      verdict: !allValid
        ? 'refuted'
        : !blocked
          ? 'not measurable as stated'
          : unblocked
            ? 'supported'
            : 'refuted',
    };
  },
};
