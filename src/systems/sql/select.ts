/**
 * SELECT over one table (or none): WHERE through the narrowest key span, GROUP BY with
 * COUNT/SUM/MIN/MAX, HAVING, ORDER BY (output names, positions or expressions), LIMIT/OFFSET.
 */
import type { Expr, ExprCall, SelectStatement } from 'pgsql-ast-parser';
import type { TableDesc } from './catalog.js';
import { loadTable } from './ddl.js';
import {
  columnNameOf,
  evaluate,
  hasAggregate,
  holds,
  isAggregateCall,
  typeOf,
  unsupported,
  type EvalEnv,
} from './expr.js';
import type { Steps } from './kv-steps.js';
import { envFor, matchingRows } from './rows.js';
import { SqlError, SqlState } from './sql-errors.js';
import {
  tableName,
  type ExecResult,
  type Prepared,
  type ResultColumn,
  type RunContext,
} from './statement-types.js';
import { checkInt8, coerce, compareValues, Decimal, Ts, type Value } from './values.js';

/** A value as a string that differs exactly when the values differ (a group's key). */
function valueKey(v: Value): string {
  if (v === null) return 'n';
  if (v instanceof Ts) return `t${v.micros}`;
  if (v instanceof Decimal) return `d${v.text}`;
  return `${typeof v}:${String(v)}`;
}

/** An expression's shape, without source positions, to compare GROUP BY items. */
function shape(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => (k === '_location' ? undefined : v));
}

function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'binary':
      return [e.left, e.right];
    case 'unary':
    case 'cast':
      return [e.operand];
    case 'ternary':
      return [e.value, e.lo, e.hi];
    case 'list':
      return e.expressions;
    case 'call':
      return e.args;
    default:
      return [];
  }
}

/** Refuses a column used outside an aggregate that is not grouped by. */
function checkGrouped(e: Expr, grouped: ReadonlySet<string>): void {
  if (grouped.has(shape(e)) || isAggregateCall(e)) return;
  if (e.type === 'ref') {
    throw new SqlError(
      SqlState.groupingError,
      `column "${e.name}" must appear in the GROUP BY clause or be used in an aggregate function`,
    );
  }
  for (const c of children(e)) checkGrouped(c, grouped);
}

function aggregateOver(
  call: ExprCall,
  rows: readonly (readonly Value[])[],
  desc: TableDesc | null,
  ctx: RunContext,
): Value {
  const f = call.function.name.toLowerCase();
  if (call.distinct === 'distinct' || call.filter || call.over || call.orderBy) {
    return unsupported(`${f}(DISTINCT …), FILTER, OVER or ORDER BY inside an aggregate`);
  }
  const arg = call.args[0];
  if (f === 'count' && (arg === undefined || (arg.type === 'ref' && arg.name === '*'))) {
    return BigInt(rows.length);
  }
  if (arg === undefined || call.args.length !== 1) {
    throw new SqlError(SqlState.undefinedFunction, `${f}() takes one argument`);
  }
  if (hasAggregate(arg))
    throw new SqlError(SqlState.groupingError, 'aggregate calls cannot be nested');
  const values: Exclude<Value, null>[] = [];
  for (const r of rows) {
    const v = evaluate(arg, envFor(desc, r, ctx));
    if (v !== null) values.push(v);
  }
  if (f === 'count') return BigInt(values.length);
  if (values.length === 0) return null;
  if (f === 'sum') {
    let s = 0n;
    for (const v of values) {
      const i = coerce('int8', v, 'sum() argument');
      if (typeof i !== 'bigint') return unsupported('sum() of a non-integer');
      s += i;
    }
    return s;
  }
  let best = values[0] as Exclude<Value, null>;
  for (const v of values) {
    const c = compareValues(v, best);
    if ((f === 'min' && c < 0) || (f === 'max' && c > 0)) best = v;
  }
  return best;
}

interface OrderKey {
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  /** The output column it sorts by, or the expression to evaluate per source row/group. */
  readonly output: number | null;
  readonly expr: Expr | null;
}

function compareForOrder(a: Value, b: Value, k: OrderKey): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    return (a === null) === k.nullsFirst ? -1 : 1;
  }
  const c = compareValues(a, b);
  return k.desc ? -c : c;
}

function limitValue(e: Expr | null | undefined, ctx: RunContext, what: string): number | null {
  if (e === null || e === undefined) return null;
  const v = coerce('int8', evaluate(e, envFor(null, null, ctx)), what);
  if (v === null) return null;
  if (typeof v !== 'bigint' || v < 0n) {
    throw new SqlError(SqlState.invalidParameterValue, `${what} must not be negative`);
  }
  return Number(
    checkInt8(v) > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : v,
  );
}

export function* prepareSelect(s: SelectStatement): Steps<Prepared> {
  if (s.type !== 'select') return unsupported(s.type.toUpperCase());
  if (s.distinct !== null && s.distinct !== undefined && s.distinct !== 'all')
    unsupported('DISTINCT');
  if (s.skip !== undefined) unsupported('SKIP LOCKED / NOWAIT');
  const from = s.from ?? [];
  if (from.length > 1) return unsupported('more than one table in FROM (joins)');
  let desc: TableDesc | null = null;
  const f0 = from[0];
  if (f0 !== undefined) {
    if (f0.type !== 'table' || (f0.join !== null && f0.join !== undefined)) {
      return unsupported('joins, subqueries and functions in FROM');
    }
    desc = yield* loadTable(tableName(f0.name));
  }
  const items: { expr: Expr; name: string }[] = [];
  for (const c of s.columns ?? []) {
    if (c.expr.type === 'ref' && c.expr.name === '*') {
      if (desc === null)
        throw new SqlError(SqlState.syntaxError, 'SELECT * with no tables specified is not valid');
      for (const col of desc.columns)
        items.push({ expr: { type: 'ref', name: col.name }, name: col.name });
    } else {
      items.push({ expr: c.expr, name: c.alias?.name ?? columnNameOf(c.expr) });
    }
  }
  const columns: ResultColumn[] = items.map((i) => ({ name: i.name, type: typeOf(i.expr, desc) }));
  const groupBy = s.groupBy ?? [];
  for (const g of groupBy) {
    if (hasAggregate(g))
      throw new SqlError(SqlState.groupingError, 'aggregate functions are not allowed in GROUP BY');
    typeOf(g, desc);
  }
  if (s.where !== null && s.where !== undefined) {
    if (hasAggregate(s.where))
      throw new SqlError(SqlState.groupingError, 'aggregate functions are not allowed in WHERE');
    typeOf(s.where, desc);
  }
  const aggregated =
    groupBy.length > 0 ||
    items.some((i) => hasAggregate(i.expr)) ||
    (s.having !== null && s.having !== undefined);
  const orderKeys: OrderKey[] = (s.orderBy ?? []).map((o) => {
    const desc_ = o.order === 'DESC';
    const nullsFirst = o.nulls === 'FIRST' || (o.nulls !== 'LAST' && desc_);
    if (o.by.type === 'integer') {
      if (o.by.value < 1 || o.by.value > items.length) {
        throw new SqlError(
          SqlState.invalidParameterValue,
          `ORDER BY position ${o.by.value} is not in select list`,
        );
      }
      return { desc: desc_, nullsFirst, output: o.by.value - 1, expr: null };
    }
    const by = o.by;
    const named = by.type === 'ref' ? items.findIndex((i) => i.name === by.name) : -1;
    if (named >= 0) return { desc: desc_, nullsFirst, output: named, expr: null };
    typeOf(by, desc);
    return { desc: desc_, nullsFirst, output: null, expr: by };
  });
  if (aggregated) {
    const grouped = new Set(groupBy.map(shape));
    for (const i of items) checkGrouped(i.expr, grouped);
    if (s.having) checkGrouped(s.having, grouped);
    for (const k of orderKeys) if (k.expr !== null) checkGrouped(k.expr, grouped);
  }
  const limit = s.limit;
  return {
    columns,
    *execute(ctx: RunContext): Steps<ExecResult> {
      const lim = limitValue(limit?.limit, ctx, 'LIMIT');
      const off = limitValue(limit?.offset, ctx, 'OFFSET') ?? 0;
      let source: (readonly Value[] | null)[];
      if (desc === null) {
        source = holds(s.where, envFor(null, null, ctx)) ? [null] : [];
      } else {
        // A bare scan can stop early; anything that reorders or groups needs every row.
        const early = !aggregated && orderKeys.length === 0 && lim !== null ? lim + off : 0;
        source = (yield* matchingRows(desc, s.where, ctx, early)).map((r) => r.values);
      }
      const out: { row: Value[]; keys: Value[] }[] = [];
      const emit = (env: EvalEnv): void => {
        const row = items.map((i) => evaluate(i.expr, env));
        const keys = orderKeys.map((k) =>
          k.output !== null ? (row[k.output] ?? null) : evaluate(k.expr as Expr, env),
        );
        out.push({ row, keys });
      };
      if (aggregated) {
        const groups = new Map<string, (readonly Value[])[]>();
        for (const r of source) {
          if (r === null) continue;
          const env = envFor(desc, r, ctx);
          const gk = JSON.stringify(groupBy.map((g) => valueKey(evaluate(g, env))));
          const list = groups.get(gk);
          if (list === undefined) groups.set(gk, [r]);
          else list.push(r);
        }
        // Without GROUP BY an aggregate query has exactly one group, even over no rows.
        if (groupBy.length === 0 && groups.size === 0) groups.set('', []);
        for (const rows of groups.values()) {
          const env: EvalEnv = {
            ...envFor(desc, rows[0] ?? null, ctx),
            aggregate: (call) => aggregateOver(call, rows, desc, ctx),
          };
          if (holds(s.having, env)) emit(env);
        }
      } else {
        for (const r of source) emit(envFor(desc, r, ctx));
      }
      if (orderKeys.length > 0) {
        out.sort((a, b) => {
          for (let i = 0; i < orderKeys.length; i++) {
            const c = compareForOrder(
              a.keys[i] ?? null,
              b.keys[i] ?? null,
              orderKeys[i] as OrderKey,
            );
            if (c !== 0) return c;
          }
          return 0;
        });
      }
      const rows = out.slice(off, lim === null ? undefined : off + lim).map((o) => o.row);
      return { tag: `SELECT ${rows.length}`, rows };
    },
  };
}
