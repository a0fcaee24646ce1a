/**
 * A simulated run judged: an invariant violation or protocol exception makes it invalid;
 * otherwise its history goes to the checker for the model the system declares.
 */
import { checkHistory, getModel, type CheckResult } from '../check/index.js';
import { runSimulation, type RunOptions, type RunResult } from './run.js';

export type Verdict = 'valid' | 'invalid' | 'unknown' | 'unchecked';

export interface CheckedRun extends RunResult {
  readonly verdict: Verdict;
  /** The checker's report, when the history was checked. */
  readonly check: CheckResult | null;
}

export interface JudgeOptions {
  /** Checker budget per run. */
  readonly checkTimeoutMs?: number;
}

export function runChecked(options: RunOptions, judge: JudgeOptions = {}): CheckedRun {
  const run = runSimulation(options);
  if (run.failure !== null) return { ...run, verdict: 'invalid', check: null };
  const modelName = options.system.model;
  if (modelName === undefined) return { ...run, verdict: 'unchecked', check: null };
  const model = getModel(modelName);
  if (model === undefined) throw new Error(`${run.system} declares unknown model ${modelName}`);
  const check = checkHistory(run.history, model, { timeoutMs: judge.checkTimeoutMs ?? 10_000 });
  return { ...run, verdict: check.verdict, check };
}
