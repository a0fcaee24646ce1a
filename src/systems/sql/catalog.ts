/**
 * Table descriptors and rows as the strings the key space stores. A descriptor is JSON under
 * its name's key (key-encoding.ts); a row is the JSON array of its column values, integers and
 * timestamps as decimal strings so nothing is lost above 2^53. Both are read back with checks:
 * what the store returns is data from disk or the network, not trusted.
 */
import type { Json } from '../../core/json.js';
import { SqlError, SqlState } from './sql-errors.js';
import { columnTypeNamed, Ts, type ColumnType, type Value } from './values.js';

export interface ColumnDesc {
  readonly name: string;
  readonly type: ColumnType;
  readonly notNull: boolean;
}

export interface TableDesc {
  readonly id: number;
  readonly name: string;
  readonly columns: readonly ColumnDesc[];
  /** Indexes into `columns`, in key order. */
  readonly primaryKey: readonly number[];
}

function corrupt(what: string): never {
  throw new SqlError(SqlState.internalError, `corrupt ${what} in the key space`);
}

export function encodeDescriptor(d: TableDesc): string {
  return JSON.stringify(d);
}

export function decodeDescriptor(text: string): TableDesc {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return corrupt('descriptor');
  }
  if (typeof j !== 'object' || j === null) return corrupt('descriptor');
  const o = j as Record<string, unknown>;
  const { id, name, columns, primaryKey } = o;
  if (typeof id !== 'number' || typeof name !== 'string') return corrupt('descriptor');
  if (!Array.isArray(columns) || !Array.isArray(primaryKey)) return corrupt('descriptor');
  const cols: ColumnDesc[] = columns.map((c: unknown) => {
    if (typeof c !== 'object' || c === null) return corrupt('column');
    const r = c as Record<string, unknown>;
    const type = typeof r['type'] === 'string' ? columnTypeNamed(r['type']) : undefined;
    if (typeof r['name'] !== 'string' || type === undefined || typeof r['notNull'] !== 'boolean') {
      return corrupt('column');
    }
    return { name: r['name'], type, notNull: r['notNull'] };
  });
  const pk = primaryKey.map((i: unknown) =>
    typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < cols.length ? i : corrupt('key'),
  );
  if (pk.length === 0) return corrupt('descriptor');
  return { id, name, columns: cols, primaryKey: pk };
}

function cellToJson(v: Value): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Ts) return v.micros.toString();
  return corrupt('value');
}

function cellFromJson(type: ColumnType, j: unknown): Value {
  if (j === null) return null;
  switch (type) {
    case 'text':
      return typeof j === 'string' ? j : corrupt('row');
    case 'bool':
      return typeof j === 'boolean' ? j : corrupt('row');
    case 'int8':
      return typeof j === 'string' && /^-?\d+$/.test(j) ? BigInt(j) : corrupt('row');
    case 'timestamp':
      return typeof j === 'string' && /^-?\d+$/.test(j) ? new Ts(BigInt(j)) : corrupt('row');
  }
}

export function encodeRow(values: readonly Value[]): string {
  return JSON.stringify(values.map(cellToJson));
}

export function decodeRow(d: TableDesc, text: string): Value[] {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return corrupt('row');
  }
  if (!Array.isArray(j) || j.length !== d.columns.length) return corrupt('row');
  return d.columns.map((c, i) => cellFromJson(c.type, j[i]));
}

export function columnIndex(d: TableDesc, name: string): number {
  const i = d.columns.findIndex((c) => c.name === name);
  if (i < 0) {
    throw new SqlError(SqlState.undefinedColumn, `column "${name}" does not exist`);
  }
  return i;
}
