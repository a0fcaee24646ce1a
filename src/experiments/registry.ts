/**
 * Experiments: the case studies' claims, measured. Each experiment states the claim as quoted,
 * measures it (in the simulator, or by Monte Carlo over a mechanism's own code), and says
 * whether the measurement supports it. Adding one is one file exporting an `Experiment` and one
 * line in EXPERIMENTS below.
 */
import { bftCostExperiment } from './bft-cost.js';
import { clockSkewExperiment } from './clock-skew.js';
import { commitWaitExperiment } from './commit-wait.js';
import { confirmationsExperiment } from './confirmations.js';
import { duelingProposersExperiment } from './dueling-proposers.js';
import type { Experiment, ExperimentOptions } from './experiment.js';
import { pbftBoundExperiment } from './pbft-bound.js';
import { selfishMiningExperiment } from './selfish-mining.js';
import { staleRateExperiment } from './stale-rate.js';
import { stalenessExperiment } from './staleness.js';
import { twoPcBlockingExperiment } from './twopc-blocking.js';
import { failoverExperiment } from './txn-failover.js';
import { vectorSizeExperiment } from './vector-size.js';

const EXPERIMENTS: readonly Experiment[] = [
  confirmationsExperiment,
  staleRateExperiment,
  selfishMiningExperiment,
  duelingProposersExperiment,
  twoPcBlockingExperiment,
  bftCostExperiment,
  pbftBoundExperiment,
  commitWaitExperiment,
  clockSkewExperiment,
  failoverExperiment,
  stalenessExperiment,
  vectorSizeExperiment,
];

export function experiments(): readonly Experiment[] {
  return EXPERIMENTS;
}

export function getExperiment(name: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

export const DEFAULT_EXPERIMENT_OPTIONS: ExperimentOptions = { seed: 1, quick: false };
