/**
 * How many swarm seeds it takes to catch a mutant. A seed catches it when the mutant's run is
 * invalid (an invariant or the checker or the system's judge) and the correct system's run of
 * the same seed is not: a seed that fails either way says nothing about the mutant.
 */
import type { SystemDefinition } from '../core/system.js';
import { runChecked } from './checked-run.js';
import type { RunOptions } from './run.js';

export interface CatchSearch {
  readonly system: SystemDefinition;
  readonly mutant: string;
  /** First seed and how many to try from it. */
  readonly from: number;
  readonly seeds: number;
  /** Client operations per run (the CLI's default is 1000). */
  readonly ops?: number;
  /** The checker's budget (checked-run.ts JudgeOptions; defaults there). */
  readonly checkSteps?: number;
  readonly checkTimeoutMs?: number;
}

export interface CatchResult {
  /** The catching seed, or null when none of the seeds caught it. */
  readonly seed: number | null;
  /** Seeds run before and including the catch (all of them when none caught). */
  readonly tried: number;
  /** Seeds on which the correct system failed too (not counted as catches). */
  readonly alsoCorrectFails: readonly number[];
}

export function firstCatch(search: CatchSearch): CatchResult {
  const judge = {
    ...(search.checkSteps !== undefined ? { checkSteps: search.checkSteps } : {}),
    ...(search.checkTimeoutMs !== undefined ? { checkTimeoutMs: search.checkTimeoutMs } : {}),
  };
  const base = (seed: number): RunOptions => ({
    system: search.system,
    seed,
    swarm: true,
    ...(search.ops !== undefined ? { workload: { ops: search.ops } } : {}),
  });
  const alsoCorrectFails: number[] = [];
  for (let i = 0; i < search.seeds; i++) {
    const seed = search.from + i;
    const broken = runChecked({ ...base(seed), mutant: search.mutant }, judge);
    if (broken.verdict !== 'invalid') continue;
    if (runChecked(base(seed), judge).verdict === 'invalid') {
      alsoCorrectFails.push(seed);
      continue;
    }
    return { seed, tried: i + 1, alsoCorrectFails };
  }
  return { seed: null, tried: search.seeds, alsoCorrectFails };
}
