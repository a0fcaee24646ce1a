/**
 * Which keys a WHERE clause can touch: equalities on a prefix of the primary key's columns,
 * then at most one range on the next column, become one key or one key span, so a point lookup
 * reads one key and a range reads only its span; anything else scans the table's whole span.
 * The WHERE clause is still applied to every row read, so the span only has to be a superset
 * of the rows that match (a conservative span is slow, never wrong).
 */
import type { Expr } from 'pgsql-ast-parser';
import type { TableDesc } from './catalog.js';
import { evaluate, type EvalEnv } from './expr.js';
import { encodeColumn, keyTail, prefixEnd, tablePrefix } from './key-encoding.js';
import { coerce, type ColumnType, type Value } from './values.js';

/**
 * Deliberately broken variants, each caught by test/systems/sql/transcripts.test.ts (the spans
 * transcript fails on it):
 * - `le-as-lt`: an inclusive upper bound (<=, BETWEEN) ends the span before the bound's rows.
 */
export const SPAN_MUTANTS = ['le-as-lt'] as const;
export type SpanMutant = (typeof SPAN_MUTANTS)[number];

export type Access =
  | { readonly kind: 'point'; readonly key: string }
  | { readonly kind: 'span'; readonly start: string; readonly end: string }
  | { readonly kind: 'empty' };

/** The conjuncts of a condition (a AND b AND c → [a, b, c]). */
export function conjuncts(e: Expr | null | undefined): Expr[] {
  if (e === null || e === undefined) return [];
  if (e.type === 'binary' && e.op === 'AND') return [...conjuncts(e.left), ...conjuncts(e.right)];
  return [e];
}

/** An expression whose value does not depend on the row (literals, parameters, now()). */
function isConstant(e: Expr): boolean {
  switch (e.type) {
    case 'integer':
    case 'string':
    case 'boolean':
    case 'null':
    case 'parameter':
    case 'keyword':
      return true;
    case 'cast':
      return isConstant(e.operand);
    case 'unary':
      return (e.op === '-' || e.op === '+') && isConstant(e.operand);
    case 'call':
      return (
        e.args.length === 0 &&
        ['now', 'transaction_timestamp', 'statement_timestamp'].includes(
          e.function.name.toLowerCase(),
        )
      );
    default:
      return false;
  }
}

const FLIP: Record<string, string> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** `column op constant` (either way round) as [op with the column on the left, constant]. */
function comparisonOn(e: Expr, column: string): [string, Expr][] {
  if (
    e.type === 'ternary' &&
    e.op === 'BETWEEN' &&
    e.value.type === 'ref' &&
    e.value.name === column
  ) {
    if (isConstant(e.lo) && isConstant(e.hi))
      return [
        ['>=', e.lo],
        ['<=', e.hi],
      ];
    return [];
  }
  if (e.type !== 'binary' || !(e.op in FLIP)) return [];
  if (e.left.type === 'ref' && e.left.name === column && isConstant(e.right))
    return [[e.op, e.right]];
  if (e.right.type === 'ref' && e.right.name === column && isConstant(e.left)) {
    return [[FLIP[e.op] as string, e.left]];
  }
  return [];
}

function constantAs(type: ColumnType, e: Expr, env: EvalEnv, column: string): Value {
  return coerce(type, evaluate(e, env), `column "${column}"`);
}

/** How to read the rows of `desc` that `where` may keep. */
export function accessFor(
  desc: TableDesc,
  where: Expr | null | undefined,
  env: EvalEnv,
  mutant?: SpanMutant,
): Access {
  const table = tablePrefix(desc.id);
  const parts = conjuncts(where);
  const types = desc.primaryKey.map((i) => (desc.columns[i] as { type: ColumnType }).type);
  const prefix: Value[] = [];
  for (const colIndex of desc.primaryKey) {
    const col = desc.columns[colIndex];
    if (col === undefined) break;
    const bounds = parts.flatMap((p) => comparisonOn(p, col.name));
    const eq = bounds.find(([op]) => op === '=');
    if (eq !== undefined) {
      const v = constantAs(col.type, eq[1], env, col.name);
      if (v === null) return { kind: 'empty' };
      prefix.push(v);
      continue;
    }
    const base = table + keyTail(types, prefix);
    let start = base;
    let end = prefixEnd(base);
    for (const [op, c] of bounds) {
      const v = constantAs(col.type, c, env, col.name);
      if (v === null) return { kind: 'empty' };
      const at = base + encodeColumn(col.type, v);
      if (op === '>=' && at > start) start = at;
      if (op === '>' && prefixEnd(at) > start) start = prefixEnd(at);
      if (op === '<' && at < end) end = at;
      const inclusiveEnd = mutant === 'le-as-lt' ? at : prefixEnd(at);
      if (op === '<=' && inclusiveEnd < end) end = inclusiveEnd;
    }
    return start < end ? { kind: 'span', start, end } : { kind: 'empty' };
  }
  return { kind: 'point', key: table + keyTail(types, prefix) };
}
