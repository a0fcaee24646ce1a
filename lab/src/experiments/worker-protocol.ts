/**
 * What the Experiments page and its Web Worker say to each other, and what the worker does with
 * a request (a plain function, so it is tested in Node without a worker). Everything crossing is
 * plain data: an experiment's result is JSON by contract.
 */
import type { Experiment, ExperimentResult } from '../../../src/experiments/experiment.js';

export interface RunRequest {
  /** Matches the answer to its request (a cancelled run's late answer is ignored). */
  readonly id: number;
  readonly name: string;
  readonly seed: number;
  readonly quick: boolean;
}

export type RunAnswer =
  | {
      readonly id: number;
      readonly kind: 'done';
      readonly result: ExperimentResult;
      /** Wall-clock milliseconds the run took in the worker. */
      readonly ms: number;
    }
  | { readonly id: number; readonly kind: 'error'; readonly message: string };

/** Runs the requested experiment; an unknown name or a failure becomes an error answer. */
export function answer(
  request: RunRequest,
  lookup: (name: string) => Experiment | undefined,
  clock: () => number,
): RunAnswer {
  const e = lookup(request.name);
  if (e === undefined) {
    return { id: request.id, kind: 'error', message: `no experiment named '${request.name}'` };
  }
  const started = clock();
  try {
    const result = e.run({ seed: request.seed, quick: request.quick });
    return { id: request.id, kind: 'done', result, ms: clock() - started };
  } catch (err) {
    return {
      id: request.id,
      kind: 'error',
      message: `${request.name} failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
