/**
 * Expressions: their result type (for RowDescription, before anything runs) and their value
 * over one row, with SQL's three-valued logic (NULL in, NULL out; AND/OR as in the standard).
 * Strings from literals and parameters take the type of what they meet (a column, a cast), as
 * PostgreSQL's 'unknown'-typed literals do.
 */
import type { Expr, ExprCall } from 'pgsql-ast-parser';
import { columnIndex, type TableDesc } from './catalog.js';
import { SqlError, SqlState } from './sql-errors.js';
import { exactInteger } from './sql-parse.js';
import type { TxnTimestamp } from './txn-kv.js';
import {
  checkInt8,
  coerce,
  columnTypeNamed,
  compareValues,
  Decimal,
  formatValue,
  parseAs,
  parseBool,
  Ts,
  valueType,
  type ResultType,
  type Value,
} from './values.js';

export const AGGREGATES = new Set(['count', 'sum', 'min', 'max']);

export interface EvalEnv {
  readonly desc: TableDesc | null;
  readonly row: readonly Value[] | null;
  /** Parameters in text format ($1 is [0]); null is SQL NULL. */
  readonly params: readonly (string | null)[];
  readonly ts: TxnTimestamp;
  /** In a grouped query: the value of an aggregate call over the current group. */
  readonly aggregate?: (call: ExprCall) => Value;
}

export function unsupported(what: string): never {
  throw new SqlError(SqlState.featureNotSupported, `${what} is not supported`);
}

export function isAggregateCall(e: Expr): e is ExprCall {
  return e.type === 'call' && AGGREGATES.has(e.function.name.toLowerCase());
}

/** Whether an aggregate appears anywhere in `e`. */
export function hasAggregate(e: Expr): boolean {
  switch (e.type) {
    case 'binary':
      return hasAggregate(e.left) || hasAggregate(e.right);
    case 'unary':
      return hasAggregate(e.operand);
    case 'cast':
      return hasAggregate(e.operand);
    case 'ternary':
      return hasAggregate(e.value) || hasAggregate(e.lo) || hasAggregate(e.hi);
    case 'list':
      return e.expressions.some(hasAggregate);
    case 'call':
      return AGGREGATES.has(e.function.name.toLowerCase()) || e.args.some(hasAggregate);
    default:
      return false;
  }
}

function txnTimestampValue(ts: TxnTimestamp): Ts {
  return new Ts(BigInt(Math.floor(ts.wallMs)) * 1000n);
}

/** CockroachDB's form: wall-clock nanoseconds, a point, the logical counter in ten digits. */
export function logicalTimestampText(ts: TxnTimestamp): string {
  const nanos = BigInt(Math.floor(ts.wallMs)) * 1_000_000n;
  return `${nanos}.${String(ts.logical).padStart(10, '0')}`;
}

function castTarget(name: string): ResultType {
  const n = name.toLowerCase();
  if (n === 'timestamptz' || n === 'timestamp with time zone') return 'timestamptz';
  if (n === 'numeric' || n === 'decimal') return 'numeric';
  const t = columnTypeNamed(n);
  if (t === undefined) return unsupported(`type ${name}`);
  return t;
}

/** The result type of `e` over rows of `desc`. */
export function typeOf(e: Expr, desc: TableDesc | null): ResultType {
  switch (e.type) {
    case 'ref': {
      if (desc === null || e.name === '*') {
        throw new SqlError(SqlState.undefinedColumn, `column "${e.name}" does not exist`);
      }
      const c = desc.columns[columnIndex(desc, e.name)];
      if (c === undefined) throw new SqlError(SqlState.internalError, 'column index out of range');
      return c.type;
    }
    case 'integer':
      return 'int8';
    case 'boolean':
      return 'bool';
    case 'string':
    case 'null':
    case 'parameter':
      return 'text';
    case 'numeric':
      return unsupported('a decimal literal');
    case 'cast':
      return castTarget(e.to.kind === 'array' ? 'array' : e.to.name);
    case 'binary': {
      if (['+', '-', '*', '/', '%'].includes(e.op)) return 'int8';
      if (e.op === '||') return 'text';
      return 'bool';
    }
    case 'unary':
      return e.op === '-' || e.op === '+' ? 'int8' : 'bool';
    case 'ternary':
    case 'list':
      return 'bool';
    case 'keyword':
      if (e.keyword === 'current_timestamp') return 'timestamptz';
      if (e.keyword === 'current_user' || e.keyword === 'session_user' || e.keyword === 'user') {
        return 'text';
      }
      return unsupported(e.keyword);
    case 'call': {
      const f = e.function.name.toLowerCase();
      if (f === 'count') return 'int8';
      if (f === 'sum') return 'numeric';
      if (f === 'min' || f === 'max') {
        const a = e.args[0];
        if (a === undefined) return unsupported(`${f}() without an argument`);
        return typeOf(a, desc);
      }
      if (f === 'now' || f === 'transaction_timestamp' || f === 'statement_timestamp') {
        return 'timestamptz';
      }
      if (f === 'cluster_logical_timestamp') return 'numeric';
      if (f === 'version' || f === 'current_database') return 'text';
      throw new SqlError(SqlState.undefinedFunction, `unknown function: ${e.function.name}()`);
    }
    default:
      return unsupported(`expression ${e.type}`);
  }
}

/** The column name a select item gets without an alias (PostgreSQL's rules, simplified). */
export function columnNameOf(e: Expr): string {
  if (e.type === 'ref') return e.name;
  if (e.type === 'call') return e.function.name.toLowerCase();
  if (e.type === 'cast') return e.operand.type === 'ref' ? e.operand.name : columnNameOf(e.operand);
  if (e.type === 'keyword') return e.keyword;
  return '?column?';
}

function param(e: { name: string }, env: EvalEnv): Value {
  const n = Number(e.name.slice(1));
  if (!Number.isInteger(n) || n < 1 || n > env.params.length) {
    throw new SqlError(SqlState.undefinedParameter, `there is no parameter ${e.name}`);
  }
  return env.params[n - 1] ?? null;
}

function int(v: Value, what: string): bigint | null {
  if (v === null) return null;
  const c = coerce('int8', v, what);
  if (typeof c !== 'bigint') throw new SqlError(SqlState.internalError, 'int8 coercion');
  return c;
}

export function truth(v: Value): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return parseBool(v);
  throw new SqlError(
    SqlState.datatypeMismatch,
    `argument of a condition must be type bool, not ${valueType(v)}`,
  );
}

function likeRegex(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function compare(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  const c = compareValues(a, b);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    default:
      return unsupported(`operator ${op}`);
  }
}

function arith(op: string, l: Value, r: Value): Value {
  const a = int(l, `left operand of ${op}`);
  const b = int(r, `right operand of ${op}`);
  if (a === null || b === null) return null;
  switch (op) {
    case '+':
      return checkInt8(a + b);
    case '-':
      return checkInt8(a - b);
    case '*':
      return checkInt8(a * b);
    case '/':
    case '%':
      if (b === 0n) throw new SqlError(SqlState.divisionByZero, 'division by zero');
      return checkInt8(op === '/' ? a / b : a % b);
    default:
      return unsupported(`operator ${op}`);
  }
}

function castValue(to: ResultType, v: Value): Value {
  if (v === null) return null;
  if (to === 'text') {
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return formatValue(valueType(v), v);
  }
  if (typeof v === 'string') return parseAs(to, v);
  if (to === 'int8' && typeof v === 'boolean') return v ? 1n : 0n;
  if (to === 'bool' && typeof v === 'bigint') return v !== 0n;
  if (to === 'numeric' && typeof v === 'bigint') return new Decimal(v.toString());
  return coerce(to, v, 'cast operand');
}

export function evaluate(e: Expr, env: EvalEnv): Value {
  switch (e.type) {
    case 'ref': {
      if (env.desc === null || env.row === null || e.name === '*') {
        throw new SqlError(SqlState.undefinedColumn, `column "${e.name}" does not exist`);
      }
      return env.row[columnIndex(env.desc, e.name)] ?? null;
    }
    case 'integer': {
      if (Number.isSafeInteger(e.value)) return BigInt(e.value);
      const exact = exactInteger(e);
      if (exact === undefined) {
        throw new SqlError(
          SqlState.numericValueOutOfRange,
          `integer literal ${e.value} out of range`,
        );
      }
      return checkInt8(exact);
    }
    case 'string':
      return e.value;
    case 'boolean':
      return e.value;
    case 'null':
      return null;
    case 'parameter':
      return param(e, env);
    case 'cast':
      return castValue(typeOf(e, env.desc), evaluate(e.operand, env));
    case 'keyword':
      if (e.keyword === 'current_timestamp') return txnTimestampValue(env.ts);
      return 'root';
    case 'unary': {
      const v = evaluate(e.operand, env);
      switch (e.op) {
        case 'NOT': {
          const t = truth(v);
          return t === null ? null : !t;
        }
        case 'IS NULL':
          return v === null;
        case 'IS NOT NULL':
          return v !== null;
        case 'IS TRUE':
          return truth(v) === true;
        case 'IS FALSE':
          return truth(v) === false;
        case 'IS NOT TRUE':
          return truth(v) !== true;
        case 'IS NOT FALSE':
          return truth(v) !== false;
        case '-': {
          const i = int(v, 'operand of unary -');
          return i === null ? null : checkInt8(-i);
        }
        case '+':
          return int(v, 'operand of unary +');
      }
      return unsupported('this unary operator');
    }
    case 'binary': {
      if (e.op === 'AND' || e.op === 'OR') {
        const l = truth(evaluate(e.left, env));
        if (e.op === 'AND' && l === false) return false;
        if (e.op === 'OR' && l === true) return true;
        const r = truth(evaluate(e.right, env));
        if (e.op === 'AND') return r === false ? false : l === null || r === null ? null : true;
        return r === true ? true : l === null || r === null ? null : false;
      }
      if (e.op === 'IN' || e.op === 'NOT IN') {
        if (e.right.type !== 'list') return unsupported('IN with a subquery');
        const l = evaluate(e.left, env);
        if (l === null) return null;
        let sawNull = false;
        for (const x of e.right.expressions) {
          const r = evaluate(x, env);
          if (r === null) sawNull = true;
          else if (compareValues(l, r) === 0) return e.op === 'IN';
        }
        return sawNull ? null : e.op === 'NOT IN';
      }
      const l = evaluate(e.left, env);
      const r = evaluate(e.right, env);
      if (e.op === 'LIKE' || e.op === 'NOT LIKE') {
        if (l === null || r === null) return null;
        if (typeof l !== 'string' || typeof r !== 'string') return unsupported('LIKE on non-text');
        return likeRegex(r).test(l) === (e.op === 'LIKE');
      }
      if (e.op === '||') {
        if (l === null || r === null) return null;
        return `${castValue('text', l) as string}${castValue('text', r) as string}`;
      }
      if (['+', '-', '*', '/', '%'].includes(e.op)) return arith(e.op, l, r);
      return compare(e.op, l, r);
    }
    case 'ternary': {
      const v = evaluate(e.value, env);
      const lo = evaluate(e.lo, env);
      const hi = evaluate(e.hi, env);
      const a = truth(compare('>=', v, lo));
      const b = truth(compare('<=', v, hi));
      const within = a === false || b === false ? false : a === null || b === null ? null : true;
      if (within === null) return null;
      return e.op === 'BETWEEN' ? within : !within;
    }
    case 'call': {
      const f = e.function.name.toLowerCase();
      if (AGGREGATES.has(f)) {
        if (env.aggregate === undefined) {
          throw new SqlError(SqlState.groupingError, `aggregate ${f}() is not allowed here`);
        }
        return env.aggregate(e);
      }
      if (f === 'now' || f === 'transaction_timestamp' || f === 'statement_timestamp') {
        return txnTimestampValue(env.ts);
      }
      if (f === 'cluster_logical_timestamp') return new Decimal(logicalTimestampText(env.ts));
      if (f === 'version') return 'truthkit SQL (PostgreSQL wire protocol 3.0)';
      if (f === 'current_database') return 'defaultdb';
      throw new SqlError(SqlState.undefinedFunction, `unknown function: ${e.function.name}()`);
    }
    case 'numeric':
      return unsupported('a decimal literal');
    default:
      return unsupported(`expression ${e.type}`);
  }
}

/** A WHERE/HAVING condition: only TRUE keeps the row. */
export function holds(e: Expr | null | undefined, env: EvalEnv): boolean {
  if (e === null || e === undefined) return true;
  return truth(evaluate(e, env)) === true;
}
