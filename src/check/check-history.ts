/**
 * checkHistory: validate, split by object (P-compositionality), search each partition under
 * one shared budget, and explain the first partition that fails.
 */
import type { HistoryOp } from '../core/history.js';
import type { Json } from '../core/json.js';
import { nowMs, SearchBudget } from './budget.js';
import { HistoryError } from './errors.js';
import { buildEvidence, type Evidence } from './evidence.js';
import { PartitionSearch, type SearchOp } from './linearizability.js';
import type { AnyModel } from './model.js';
import { keyedSpec, singleObjectSpec, type SearchSpec } from './search-spec.js';
import { ValueTable } from './value-table.js';

export interface CheckOptions {
  /** Check each object (key) on its own. Default true; exact for every model (locality). */
  readonly partition?: boolean;
  /** Give up and answer `unknown` after this long. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Give up after this many search steps (deterministic, for tests). Default unlimited. */
  readonly maxSteps?: number;
  /** The value every object starts with; null (default) = absent. See ModelOptions. */
  readonly initialValue?: Json;
}

export type Verdict = 'valid' | 'invalid' | 'unknown';

export interface CheckResult {
  readonly verdict: Verdict;
  /** Operations in the history (all outcomes). */
  readonly ops: number;
  /** Partitions searched separately (1 when partitioning is off or ops have no keys). */
  readonly partitions: number;
  readonly wallMs: number;
  /** Search steps taken, over all partitions. */
  readonly steps: number;
  /** Keys of partitions the budget ran out on (null = the whole history / no key). */
  readonly undecided?: readonly (string | null)[];
  /** Present when the verdict is `invalid`. */
  readonly evidence?: Evidence;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export function checkHistory(
  ops: readonly HistoryOp[],
  model: AnyModel,
  options: CheckOptions = {},
): CheckResult {
  const started = nowMs();
  validateHistory(ops, model);
  const budget = new SearchBudget(
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    options.maxSteps ?? Number.POSITIVE_INFINITY,
  );
  const modelOptions = { initialValue: options.initialValue ?? null };
  const partitions = splitByObject(ops, model, options.partition ?? true);
  const undecided: (string | null)[] = [];
  // One table for every partition: ids only have to agree within a partition, and a small
  // history then builds one table instead of one per key.
  const values = new ValueTable();
  let steps = 0;
  const finish = (verdict: Verdict, evidence?: Evidence): CheckResult => ({
    verdict,
    ops: ops.length,
    partitions: partitions.length,
    wallMs: nowMs() - started,
    steps,
    ...(undecided.length > 0 ? { undecided } : {}),
    ...(evidence ? { evidence } : {}),
  });

  const searches = partitions.map(({ key, ops: partOps }) => {
    // A failed operation certainly did not happen; an unknown read observed nothing.
    const searched: HistoryOp[] = [];
    const searchOps: SearchOp[] = [];
    for (const op of partOps) {
      const ok = op.outcome === 'ok';
      if (!ok && (op.outcome !== 'unknown' || model.isReadOnly(op))) continue;
      searched.push(op);
      searchOps.push({
        invoke: op.invoke,
        returnsAt: ok ? op.complete : Number.POSITIVE_INFINITY,
        required: ok,
      });
    }
    const spec = specFor(model, searched, values, modelOptions);
    return {
      key,
      partOps,
      searched,
      searchOps,
      spec,
      search: new PartitionSearch(searchOps, spec),
    };
  });

  // Round-robin over the partitions in growing slices, as if they ran in parallel: a violation
  // in an easy partition is found without first exhausting a hard one. The order is fixed, so
  // the verdict and the evidence do not depend on timing.
  const running = () => searches.filter((s) => s.search.status === 'running');
  let active = running();
  let slice = FIRST_SLICE;
  while (active.length > 0 && !budget.exhausted) {
    for (const s of active) {
      const granted = budget.grant(slice);
      if (granted === 0) break;
      const taken = s.search.run(granted);
      budget.refund(granted - taken);
      steps += taken;
      if (s.search.status === 'invalid') {
        const evidence = buildEvidence({
          partition: s.key ?? null,
          allOps: s.partOps,
          searched: s.searched,
          searchOps: s.searchOps,
          spec: s.spec,
          model,
          longest: s.search.longest,
        });
        return finish('invalid', evidence);
      }
    }
    active = running();
    slice = Math.min(slice * 2, MAX_SLICE);
  }
  for (const s of running()) undecided.push(s.key ?? null);
  return finish(undecided.length > 0 ? 'unknown' : 'valid');
}

/** Steps per partition in the first round; doubled each round up to MAX_SLICE. */
const FIRST_SLICE = 1024;
const MAX_SLICE = 1 << 16;

function specFor(
  model: AnyModel,
  ops: readonly HistoryOp[],
  values: ValueTable,
  options: { initialValue: Json },
): SearchSpec {
  const keyOf = model.partitionKey?.bind(model);
  if (keyOf) {
    const first = ops[0] ? keyOf(ops[0]) : undefined;
    if (ops.some((op) => keyOf(op) !== first)) return keyedSpec(model, ops, keyOf, values, options);
  }
  return singleObjectSpec(model, ops, values, options);
}

interface Partition {
  readonly key: string | undefined;
  readonly ops: HistoryOp[];
}

function splitByObject(
  ops: readonly HistoryOp[],
  model: AnyModel,
  partition: boolean,
): Partition[] {
  const keyOf = model.partitionKey?.bind(model);
  if (!partition || !keyOf) return [{ key: undefined, ops: [...ops] }];
  const byKey = new Map<string | undefined, HistoryOp[]>();
  for (const op of ops) {
    const key = keyOf(op);
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(op);
  }
  if (byKey.size === 0) return [{ key: undefined, ops: [] }];
  return [...byKey].map(([key, list]) => ({ key, ops: list }));
}

function validateHistory(ops: readonly HistoryOp[], model: AnyModel): void {
  for (const op of ops) {
    const problem = model.validate(op);
    if (problem !== undefined) throw new HistoryError(`operation ${op.id}: ${problem}`);
    if (op.outcome === 'ok' && !(op.complete >= op.invoke))
      throw new HistoryError(`operation ${op.id} (${op.f}): completes before it is invoked`);
  }
}
