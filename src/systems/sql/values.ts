/**
 * SQL values and types: what a column holds, how a value is written in PostgreSQL's text format
 * (what DataRow carries and psql prints), how text is read back (parameters, literals compared
 * with typed columns), and the total order ORDER BY and MIN/MAX use.
 *
 * Integers are bigint everywhere (INT is 64 bits wide, as in CockroachDB), so nothing is lost
 * above 2^53. TIMESTAMP is microseconds since the Unix epoch, UTC, without a zone; the calendar
 * arithmetic is done here by hand because deterministic code may not use Date.
 */
import { SqlError, SqlState } from './sql-errors.js';

/** Column types a table may declare. */
export type ColumnType = 'int8' | 'text' | 'bool' | 'timestamp';
/** Types a result column may have: a column's, or what now()/SUM/cluster_logical_timestamp() give. */
export type ResultType = ColumnType | 'timestamptz' | 'numeric';

/** A timestamp: microseconds since 1970-01-01 00:00:00 UTC. */
export class Ts {
  constructor(readonly micros: bigint) {}
}

/** A decimal shown as written (cluster_logical_timestamp()'s wall.logical). */
export class Decimal {
  constructor(readonly text: string) {}
}

export type Value = null | bigint | string | boolean | Ts | Decimal;

export const INT8_MIN = -(1n << 63n);
export const INT8_MAX = (1n << 63n) - 1n;

/** The SQL type names accepted in CREATE TABLE, and what each stores as. */
const TYPE_NAMES: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ['int', 'int8'],
  ['integer', 'int8'],
  ['int8', 'int8'],
  ['int4', 'int8'],
  ['int2', 'int8'],
  ['smallint', 'int8'],
  ['bigint', 'int8'],
  ['text', 'text'],
  ['string', 'text'],
  ['varchar', 'text'],
  ['character varying', 'text'],
  ['bool', 'bool'],
  ['boolean', 'bool'],
  ['timestamp', 'timestamp'],
  ['timestamp without time zone', 'timestamp'],
]);

export function columnTypeNamed(name: string): ColumnType | undefined {
  return TYPE_NAMES.get(name.toLowerCase());
}

/** The name SHOW and error messages use. */
export function typeLabel(t: ResultType): string {
  return t === 'int8' ? 'INT8' : t.toUpperCase();
}

export function checkInt8(v: bigint): bigint {
  if (v < INT8_MIN || v > INT8_MAX) {
    throw new SqlError(SqlState.numericValueOutOfRange, 'integer out of range');
  }
  return v;
}

export function parseInt8(text: string): bigint {
  const t = text.trim();
  if (!/^[+-]?\d{1,19}$/.test(t)) {
    throw new SqlError(
      SqlState.invalidTextRepresentation,
      `invalid input syntax for type bigint: "${text}"`,
    );
  }
  return checkInt8(BigInt(t));
}

export function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['t', 'true', 'yes', 'y', 'on', '1'].includes(t)) return true;
  if (['f', 'false', 'no', 'n', 'off', '0'].includes(t)) return false;
  throw new SqlError(
    SqlState.invalidTextRepresentation,
    `invalid input syntax for type boolean: "${text}"`,
  );
}

// Days from 1970-01-01 to a proleptic Gregorian date, and back (Howard Hinnant's algorithms).
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const TS_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]00(?::?00)?)?$/i;

/** Reads 'YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]', optionally marked UTC (other zones are refused). */
export function parseTimestamp(text: string): Ts {
  const m = TS_RE.exec(text.trim());
  const bad = (): never => {
    throw new SqlError(
      SqlState.invalidDatetimeFormat,
      `invalid input syntax for type timestamp: "${text}"`,
    );
  };
  if (m === null) return bad();
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const [y, mo, d, h, mi, s] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return bad();
  const days = daysFromCivil(y, mo, d);
  if (civilFromDays(days)[2] !== d) return bad(); // e.g. February 30th
  const frac = (m[7] ?? '').padEnd(6, '0');
  const micros =
    BigInt(days) * 86_400_000_000n +
    BigInt(h * 3600 + mi * 60 + s) * 1_000_000n +
    BigInt(frac === '' ? 0 : Number(frac));
  return new Ts(micros);
}

const pad = (v: number, w: number): string => String(v).padStart(w, '0');

/** PostgreSQL's ISO output: '2024-05-01 12:00:00' with '.ffffff' trimmed of trailing zeros. */
export function formatTimestamp(ts: Ts, withZone: boolean): string {
  const dayMicros = 86_400_000_000n;
  let days = ts.micros / dayMicros;
  let rest = ts.micros % dayMicros;
  if (rest < 0n) {
    rest += dayMicros;
    days -= 1n;
  }
  const [y, mo, d] = civilFromDays(Number(days));
  const secs = Number(rest / 1_000_000n);
  const micros = Number(rest % 1_000_000n);
  let out = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)} ${pad(Math.floor(secs / 3600), 2)}:${pad(
    Math.floor(secs / 60) % 60,
    2,
  )}:${pad(secs % 60, 2)}`;
  if (micros !== 0) out += '.' + pad(micros, 6).replace(/0+$/, '');
  return withZone ? out + '+00:00' : out;
}

/** A value in PostgreSQL's text format, or null for SQL NULL. */
export function formatValue(type: ResultType, v: Value): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Ts) return formatTimestamp(v, type === 'timestamptz');
  if (v instanceof Decimal) return v.text;
  return v;
}

/** Reads text (a parameter, a string literal) as a value of `type`. */
export function parseAs(type: ResultType, text: string): Value {
  switch (type) {
    case 'int8':
      return parseInt8(text);
    case 'bool':
      return parseBool(text);
    case 'timestamp':
    case 'timestamptz':
      return parseTimestamp(text);
    case 'numeric':
      return new Decimal(text);
    case 'text':
      return text;
  }
}

/** Brings `v` to `type`: text is parsed, a value already of the type is kept, others refused. */
export function coerce(type: ResultType, v: Value, what: string): Value {
  if (v === null) return null;
  if (typeof v === 'string') return type === 'text' ? v : parseAs(type, v);
  const ok =
    (type === 'int8' && typeof v === 'bigint') ||
    (type === 'bool' && typeof v === 'boolean') ||
    ((type === 'timestamp' || type === 'timestamptz') && v instanceof Ts) ||
    (type === 'numeric' && (v instanceof Decimal || typeof v === 'bigint'));
  if (ok) return v;
  throw new SqlError(
    SqlState.datatypeMismatch,
    `${what} is of type ${typeLabel(type)} but the value given is of type ${typeLabel(valueType(v))}`,
  );
}

/** The type a non-null value has on its own (text for a bare string). */
export function valueType(v: Exclude<Value, null>): ResultType {
  if (typeof v === 'bigint') return 'int8';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Ts) return 'timestamp';
  if (v instanceof Decimal) return 'numeric';
  return 'text';
}

/**
 * Orders two non-null values. A bare string meeting a typed value is read as that type first
 * (a literal or parameter compared with a column); values of different types are an error.
 */
export function compareValues(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  if (typeof a === 'string' && typeof b !== 'string') return compareValues(coerceBare(b, a), b);
  if (typeof b === 'string' && typeof a !== 'string') return compareValues(a, coerceBare(a, b));
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (isNumber(a) && isNumber(b)) return compareDecimals(asDecimal(a), asDecimal(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Ts && b instanceof Ts) {
    return a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0;
  }
  throw new SqlError(
    SqlState.datatypeMismatch,
    `cannot compare ${typeLabel(valueType(a))} with ${typeLabel(valueType(b))}`,
  );
}

function isNumber(v: Exclude<Value, null>): v is bigint | Decimal {
  return typeof v === 'bigint' || v instanceof Decimal;
}

function asDecimal(v: bigint | Decimal): string {
  return typeof v === 'bigint' ? v.toString() : v.text;
}

/** Orders two decimals written as digits with an optional sign and fraction. */
function compareDecimals(a: string, b: string): number {
  const re = /^([+-]?)(\d+)(?:\.(\d*))?$/;
  const ma = re.exec(a.trim());
  const mb = re.exec(b.trim());
  if (ma === null || mb === null) {
    throw new SqlError(
      SqlState.invalidTextRepresentation,
      `not a decimal: "${ma === null ? a : b}"`,
    );
  }
  const scale = Math.max((ma[3] ?? '').length, (mb[3] ?? '').length);
  const scaled = (m: RegExpExecArray): bigint => {
    const v = BigInt((m[2] as string) + (m[3] ?? '').padEnd(scale, '0'));
    return m[1] === '-' ? -v : v;
  };
  const x = scaled(ma);
  const y = scaled(mb);
  return x < y ? -1 : x > y ? 1 : 0;
}

function coerceBare(typed: Exclude<Value, null>, text: string): Exclude<Value, null> {
  const v = parseAs(valueType(typed), text);
  if (v === null) throw new SqlError(SqlState.internalError, 'parsed text became NULL');
  return v;
}
