/**
 * Is an experiment's verdict a property of the claim or of the seed? Run its full mode at
 * several disjoint seed ranges and compare. An experiment runs its trials on seed, seed + 1, …,
 * so base seeds 1000 apart (1, 1001, 2001, …) never share a trial.
 */
import type { Experiment, ExperimentVerdict } from './experiment.js';

/** Seed ranges when an experiment does not ask for more (`Experiment.stabilitySeeds`). */
export const DEFAULT_STABILITY_RANGES = 3;
export const STABILITY_STRIDE = 1000;

export function stabilityBases(e: Pick<Experiment, 'stabilitySeeds'>): number[] {
  const ranges = e.stabilitySeeds ?? DEFAULT_STABILITY_RANGES;
  if (!Number.isInteger(ranges) || ranges < DEFAULT_STABILITY_RANGES) {
    throw new RangeError(`stabilitySeeds must be a whole number ≥ ${DEFAULT_STABILITY_RANGES}`);
  }
  return Array.from({ length: ranges }, (_, i) => 1 + i * STABILITY_STRIDE);
}

export interface StabilityRun {
  readonly seed: number;
  readonly verdict: ExperimentVerdict;
  /** How many plots the run drew (every experiment draws at least one). */
  readonly plots: number;
  /** Wall-clock seconds (for the record only: never part of the verdict). */
  readonly seconds: number;
}

export interface Stability {
  readonly runs: readonly StabilityRun[];
  readonly stable: boolean;
  /** "seed 1: supported; seed 1001: refuted; …" */
  readonly summary: string;
}

export function verdictStability(e: Experiment, clock: () => number): Stability {
  const runs = stabilityBases(e).map((seed) => {
    const started = clock();
    const r = e.run({ seed, quick: false });
    return { seed, verdict: r.verdict, plots: r.plots.length, seconds: (clock() - started) / 1000 };
  });
  return {
    runs,
    stable: new Set(runs.map((r) => r.verdict)).size === 1,
    summary: runs.map((r) => `seed ${r.seed}: ${r.verdict}`).join('; '),
  };
}
