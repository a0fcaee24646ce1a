/** Reading the rows a WHERE clause keeps, through the narrowest key span (spans.ts). */
import type { Expr } from 'pgsql-ast-parser';
import { decodeRow, type TableDesc } from './catalog.js';
import { holds, type EvalEnv } from './expr.js';
import { kvGet, kvScan, type Steps } from './kv-steps.js';
import { accessFor } from './spans.js';
import type { RunContext } from './statement-types.js';
import type { Value } from './values.js';

export interface StoredRow {
  readonly key: string;
  readonly values: readonly Value[];
}

export function envFor(
  desc: TableDesc | null,
  row: readonly Value[] | null,
  ctx: RunContext,
): EvalEnv {
  return { desc, row, params: ctx.params, ts: ctx.ts };
}

/**
 * The rows of `desc` for which `where` is true, in primary-key order. `limit` (0: none) is
 * passed to the scan only when there is no condition to filter by.
 */
export function* matchingRows(
  desc: TableDesc,
  where: Expr | null | undefined,
  ctx: RunContext,
  limit = 0,
): Steps<StoredRow[]> {
  const access = accessFor(desc, where, envFor(desc, null, ctx), ctx.mutant);
  let pairs: { key: string; value: string }[];
  if (access.kind === 'empty') pairs = [];
  else if (access.kind === 'point') {
    const v = yield* kvGet(access.key);
    pairs = v === null ? [] : [{ key: access.key, value: v }];
  } else {
    const noFilter = where === null || where === undefined;
    pairs = [...(yield* kvScan(access.start, access.end, noFilter ? limit : 0))];
  }
  const out: StoredRow[] = [];
  for (const p of pairs) {
    const values = decodeRow(desc, p.value);
    if (holds(where, envFor(desc, values, ctx))) out.push({ key: p.key, values });
  }
  return out;
}
