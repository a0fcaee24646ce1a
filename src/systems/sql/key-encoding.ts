/**
 * The ordered key space the SQL layer writes into. A row lives at
 * `/t/<table id, 8 hex digits>/<primary key>`, the primary key's columns encoded so that string
 * order is the columns' order: a primary-key point lookup is one key and a primary-key range is
 * one key span, and a table is a contiguous span the database's ranges may split anywhere.
 * Descriptors live under `/s/desc/`, the next table id at `/s/next-table-id` ('s' < 't', so the
 * system span sorts before every table).
 *
 * Per column (types are known from the descriptor, so no tags are needed):
 * - INT8 and TIMESTAMP (its microseconds): v + 2^63 as 16 lowercase hex digits, so negative
 *   numbers sort below positive ones and every value has the same width;
 * - BOOL: '0' or '1';
 * - TEXT: the characters, each U+0000 written as U+0000 U+00FF, then the terminator
 *   U+0000 U+0001, so a string sorts before its extensions and the next column cannot bleed
 *   into it. Strings compare by UTF-16 code units, as JavaScript's (and the txndb's) keys do.
 */
import { SqlError, SqlState } from './sql-errors.js';
import { Ts, type ColumnType, type Value } from './values.js';

/**
 * Deliberately broken variants, each caught by test/systems/sql/key-encoding.test.ts:
 * - `no-sign-flip`: integers are written as two's complement, so negatives sort last;
 * - `no-text-terminator`: text is written bare, so ('a','b') and ('ab','') collide in order.
 */
export const KEY_MUTANTS = ['no-sign-flip', 'no-text-terminator'] as const;
export type KeyMutant = (typeof KEY_MUTANTS)[number];

const OFFSET = 1n << 63n;
const MASK = (1n << 64n) - 1n;

export const SYSTEM_PREFIX = '/s/';
export const DESCRIPTOR_PREFIX = '/s/desc/';
export const NEXT_TABLE_ID_KEY = '/s/next-table-id';
export const TABLE_PREFIX = '/t/';

export function encodeInt(v: bigint, mutant?: KeyMutant): string {
  const u = mutant === 'no-sign-flip' ? v & MASK : v + OFFSET;
  return u.toString(16).padStart(16, '0');
}

export function encodeText(s: string, mutant?: KeyMutant): string {
  if (mutant === 'no-text-terminator') return s;
  return s.split('\u0000').join('\u0000\u00ff') + '\u0000\u0001';
}

export function encodeColumn(type: ColumnType, v: Value, mutant?: KeyMutant): string {
  if (type === 'int8' && typeof v === 'bigint') return encodeInt(v, mutant);
  if (type === 'timestamp' && v instanceof Ts) return encodeInt(v.micros, mutant);
  if (type === 'bool' && typeof v === 'boolean') return v ? '1' : '0';
  if (type === 'text' && typeof v === 'string') return encodeText(v, mutant);
  // The executor coerces every key value to its column's type first; this is a bug if reached.
  throw new SqlError(SqlState.internalError, `cannot encode ${String(v)} as a ${type} key`);
}

export function tablePrefix(tableId: number): string {
  if (!Number.isSafeInteger(tableId) || tableId < 1 || tableId > 0xffffffff) {
    throw new SqlError(SqlState.internalError, `table id ${tableId} out of range`);
  }
  return TABLE_PREFIX + tableId.toString(16).padStart(8, '0') + '/';
}

/** The key of the row whose primary-key columns have these types and values. */
export function rowKey(
  tableId: number,
  types: readonly ColumnType[],
  values: readonly Value[],
  mutant?: KeyMutant,
): string {
  return tablePrefix(tableId) + keyTail(types, values, mutant);
}

/** The encoded primary key (or a prefix of it), without the table's prefix. */
export function keyTail(
  types: readonly ColumnType[],
  values: readonly Value[],
  mutant?: KeyMutant,
): string {
  let out = '';
  values.forEach((v, i) => {
    const t = types[i];
    if (t === undefined) throw new SqlError(SqlState.internalError, 'more key values than columns');
    out += encodeColumn(t, v, mutant);
  });
  return out;
}

/** The first string after every string that starts with `prefix` (the end of its span). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') throw new SqlError(SqlState.internalError, 'the empty prefix has no end');
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last === 0xffff) return prefixEnd(prefix.slice(0, -1));
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** The descriptor key of a table name. */
export function descriptorKey(name: string): string {
  return DESCRIPTOR_PREFIX + encodeText(name);
}
