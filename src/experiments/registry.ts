/**
 * Experiments: the case studies' claims, measured. Each experiment states the claim as quoted,
 * measures it (in the simulator, or by Monte Carlo over a mechanism's own code), and says
 * whether the measurement supports it. Adding one is one file exporting an `Experiment` and one
 * line in EXPERIMENTS below.
 */
import type { Json } from '../core/json.js';
import { bftCostExperiment } from './bft-cost.js';
import { confirmationsExperiment } from './confirmations.js';
import { duelingProposersExperiment } from './dueling-proposers.js';
import { pbftBoundExperiment } from './pbft-bound.js';
import { selfishMiningExperiment } from './selfish-mining.js';
import { staleRateExperiment } from './stale-rate.js';
import { twoPcBlockingExperiment } from './twopc-blocking.js';

export type ExperimentVerdict = 'supported' | 'refuted' | 'not measurable as stated';

export interface ExperimentOptions {
  /** Seed for every random draw: the same seed gives the same numbers. */
  readonly seed: number;
  /** Fewer trials (for tests): same shape, wider error bars. */
  readonly quick: boolean;
}

export interface ExperimentResult {
  readonly rows: readonly Json[];
  /** The headline numbers and how they bear on the claim. */
  readonly measured: Json;
  readonly verdict: ExperimentVerdict;
}

export interface Experiment {
  readonly name: string;
  /** The claim as the case studies (or folklore) state it. */
  readonly claim: string;
  run(options: ExperimentOptions): ExperimentResult;
}

const EXPERIMENTS: readonly Experiment[] = [
  confirmationsExperiment,
  staleRateExperiment,
  selfishMiningExperiment,
  duelingProposersExperiment,
  twoPcBlockingExperiment,
  bftCostExperiment,
  pbftBoundExperiment,
];

export function experiments(): readonly Experiment[] {
  return EXPERIMENTS;
}

export function getExperiment(name: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

export const DEFAULT_EXPERIMENT_OPTIONS: ExperimentOptions = { seed: 1, quick: false };
