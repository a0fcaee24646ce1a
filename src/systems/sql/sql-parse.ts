/**
 * Parsing with pgsql-ast-parser (PostgreSQL's grammar, as a typed AST), plus CockroachDB's
 * UPSERT, which PostgreSQL's grammar lacks: an UPSERT at the start of a statement is read as
 * INSERT (the same six letters, so every position in the text stays put) and the statement is
 * marked. Any parse failure is a 42601 syntax_error with the parser's first line.
 */
import { parse, type Statement } from 'pgsql-ast-parser';
import { SqlError, SqlState } from './sql-errors.js';

export interface ParsedStatement {
  readonly stmt: Statement;
  /** Written as UPSERT: an existing row with the same primary key is overwritten. */
  readonly upsert: boolean;
}

/**
 * Integer literals beyond 2^53, read exactly from the text: the parser hands integers over as
 * JavaScript numbers, which would round them.
 */
const exactIntegers = new WeakMap<object, bigint>();

export function exactInteger(node: object): bigint | undefined {
  return exactIntegers.get(node);
}

function recordExactIntegers(v: unknown, text: string): void {
  if (Array.isArray(v)) {
    for (const x of v) recordExactIntegers(x, text);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  const loc = o['_location'] as { start?: unknown; end?: unknown } | undefined;
  if (
    o['type'] === 'integer' &&
    typeof o['value'] === 'number' &&
    !Number.isSafeInteger(o['value'])
  ) {
    const digits =
      typeof loc?.start === 'number' && typeof loc.end === 'number'
        ? text.slice(loc.start, loc.end).replace(/\s+/g, '')
        : '';
    if (/^-?\d+$/.test(digits)) exactIntegers.set(o, BigInt(digits));
  }
  for (const k of Object.keys(o)) if (k !== '_location') recordExactIntegers(o[k], text);
}

/** Longest statement text accepted (the wire layer caps messages too). */
export const MAX_SQL_LENGTH = 1 << 20;

/** Positions of UPSERT keywords that begin a statement, skipping strings and comments. */
function upsertPositions(sql: string): number[] {
  const out: number[] = [];
  let atStart = true;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      // A doubled quote inside is an escaped one: continuing from the close handles both.
      i = close < 0 ? n : close + 1;
      atStart = false;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === ';') {
      atStart = true;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      if (
        atStart &&
        sql.slice(i, i + 6).toLowerCase() === 'upsert' &&
        !/[A-Za-z0-9_$]/.test(sql[i + 6] ?? ' ')
      ) {
        out.push(i);
      }
      atStart = false;
      // Skip the rest of a word in one go so 'x_upsert' is not seen as starting a statement.
      i++;
      while (i < n && /[A-Za-z0-9_$]/.test(sql[i] as string)) i++;
    }
  }
  return out;
}

/** Only whitespace, comments and semicolons. */
function isBlank(sql: string): boolean {
  const stripped = sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  return /^[\s;]*$/.test(stripped);
}

/** PostgreSQL's wording: 'syntax error at or near "x"', from the parser's token when it names one. */
function syntaxMessage(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'token' in e) {
    const t = (e as { token?: unknown }).token;
    if (typeof t === 'object' && t !== null && 'text' in t && typeof t.text === 'string') {
      const line = 'line' in t && typeof t.line === 'number' ? t.line : undefined;
      const col = 'col' in t && typeof t.col === 'number' ? t.col : undefined;
      const at = line !== undefined && col !== undefined ? ` (line ${line}, column ${col})` : '';
      return `syntax error at or near "${t.text.slice(0, 60)}"${at}`;
    }
  }
  const m = e instanceof Error ? e.message : String(e);
  return `syntax error: ${(m.split('\n')[0] ?? m).slice(0, 200)}`;
}

/** The statements of `sql`, in order; throws SqlError 42601 if it does not parse. */
export function parseSql(sql: string): ParsedStatement[] {
  if (sql.length > MAX_SQL_LENGTH) {
    throw new SqlError(
      SqlState.programLimitExceeded,
      `statement longer than ${MAX_SQL_LENGTH} characters`,
    );
  }
  // The parser refuses text with no statement in it; PostgreSQL answers EmptyQueryResponse.
  if (isBlank(sql)) return [];
  const ups = upsertPositions(sql);
  let text = sql;
  for (const p of ups) text = text.slice(0, p) + 'INSERT' + text.slice(p + 6);
  let stmts: Statement[];
  try {
    stmts = parse(text, { locationTracking: true });
  } catch (e) {
    throw new SqlError(SqlState.syntaxError, syntaxMessage(e));
  }
  recordExactIntegers(stmts, text);
  return stmts.map((stmt) => {
    const loc = stmt._location;
    const upsert =
      stmt.type === 'insert' &&
      loc !== undefined &&
      ups.some((p) => p >= loc.start && p < Math.max(loc.end, loc.start + 6));
    return { stmt, upsert };
  });
}

/** The highest $n a statement uses (its parameter count). */
export function parameterCount(stmt: Statement): number {
  let max = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (o['type'] === 'parameter' && typeof o['name'] === 'string') {
        const n = Number(o['name'].slice(1));
        if (Number.isInteger(n) && n > max) max = n;
      }
      for (const k of Object.keys(o)) if (k !== '_location') walk(o[k]);
    }
  };
  walk(stmt);
  return max;
}
