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
export const MAX_SQL_LENGTH = 64 * 1024;
/**
 * Deepest parenthesis nesting accepted. The parser (nearley, an Earley parser) is slow on deep
 * nesting: 1,000 levels take over a second of CPU, during which the process serves no one.
 */
export const MAX_NESTING = 64;
/** Parsed texts kept (drivers send the same statement texts again and again). */
const CACHE_SIZE = 256;
/** Longer texts are not cached (a cache of large texts would hold much memory). */
const CACHE_MAX_TEXT = 4096;

interface Piece {
  /** One statement's text, an UPSERT at its start read as INSERT. */
  readonly text: string;
  readonly upsert: boolean;
}

const WORD = /[A-Za-z0-9_$]/;

/**
 * Splits `sql` into its statements at the semicolons outside strings, quoted names and
 * comments, and notes which begin with UPSERT; throws 54001 when parentheses nest deeper than
 * MAX_NESTING. Each statement is then parsed on its own: the parser's time grows faster than
 * linearly with the text it is given, so many statements in one string must not be one text.
 */
function splitStatements(sql: string): Piece[] {
  const out: Piece[] = [];
  let start = 0;
  let upsertAt = -1;
  let atStart = true;
  let depth = 0;
  let i = 0;
  const n = sql.length;
  const cut = (end: number): void => {
    let text = sql.slice(start, end);
    const upsert = upsertAt >= 0;
    if (upsert) {
      const at = upsertAt - start;
      text = text.slice(0, at) + 'INSERT' + text.slice(at + 6);
    }
    if (!isBlank(text)) out.push({ text, upsert });
    start = end + 1;
    upsertAt = -1;
    atStart = true;
    depth = 0;
  };
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
      cut(i);
      i++;
    } else if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1;
      if (depth > MAX_NESTING) {
        throw new SqlError(
          SqlState.statementTooComplex,
          `statement too complex: parentheses nested deeper than ${MAX_NESTING}`,
        );
      }
      atStart = false;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      if (
        atStart &&
        sql.slice(i, i + 6).toLowerCase() === 'upsert' &&
        !WORD.test(sql[i + 6] ?? ' ')
      ) {
        upsertAt = i;
      }
      atStart = false;
      // The rest of a word in one go, so 'x_upsert' is not seen as starting a statement.
      i++;
      while (i < n && WORD.test(sql[i] as string)) i++;
    }
  }
  if (start < n) cut(n);
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

const cache = new Map<string, readonly ParsedStatement[]>();

/**
 * The statements of `sql`, in order; throws SqlError 42601 if one does not parse. Recent
 * statement texts are answered from a cache: statements are never changed by what runs them.
 */
export function parseSql(sql: string): readonly ParsedStatement[] {
  if (sql.length > MAX_SQL_LENGTH) {
    throw new SqlError(
      SqlState.programLimitExceeded,
      `statement longer than ${MAX_SQL_LENGTH} characters`,
    );
  }
  return splitStatements(sql).flatMap((piece) => {
    const hit = cache.get(piece.text);
    if (hit !== undefined) {
      // Refreshed: a Map iterates in insertion order, so the first key is the least recent.
      cache.delete(piece.text);
      cache.set(piece.text, hit);
      return hit;
    }
    const parsed = parsePiece(piece);
    if (piece.text.length <= CACHE_MAX_TEXT) {
      cache.set(piece.text, parsed);
      if (cache.size > CACHE_SIZE) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
    }
    return parsed;
  });
}

function parsePiece(piece: Piece): readonly ParsedStatement[] {
  let stmts: Statement[];
  try {
    stmts = parse(piece.text, { locationTracking: true });
    recordExactIntegers(stmts, piece.text);
    for (const s of stmts) parameterCount(s);
  } catch (e) {
    // A chain of thousands of operators nests the parser's output too deep to walk.
    if (e instanceof RangeError) {
      throw new SqlError(SqlState.statementTooComplex, 'statement too complex: nested too deeply');
    }
    throw new SqlError(SqlState.syntaxError, syntaxMessage(e));
  }
  return stmts.map((stmt) => ({ stmt, upsert: piece.upsert && stmt.type === 'insert' }));
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
