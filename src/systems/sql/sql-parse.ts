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

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? m).slice(0, 300);
}

/** The statements of `sql`, in order; throws SqlError 42601 if it does not parse. */
export function parseSql(sql: string): ParsedStatement[] {
  if (sql.length > MAX_SQL_LENGTH) {
    throw new SqlError(
      SqlState.programLimitExceeded,
      `statement longer than ${MAX_SQL_LENGTH} characters`,
    );
  }
  const ups = upsertPositions(sql);
  let text = sql;
  for (const p of ups) text = text.slice(0, p) + 'INSERT' + text.slice(p + 6);
  let stmts: Statement[];
  try {
    stmts = parse(text, { locationTracking: true });
  } catch (e) {
    throw new SqlError(SqlState.syntaxError, `syntax error: ${firstLine(e)}`);
  }
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
