/** CREATE TABLE, DROP TABLE, SHOW TABLES: the catalog, kept in the key space itself. */
import type { CreateTableStatement, DropStatement } from 'pgsql-ast-parser';
import { decodeDescriptor, encodeDescriptor, type ColumnDesc, type TableDesc } from './catalog.js';
import { unsupported } from './expr.js';
import {
  DESCRIPTOR_PREFIX,
  descriptorKey,
  NEXT_TABLE_ID_KEY,
  prefixEnd,
  tablePrefix,
} from './key-encoding.js';
import { kvDelete, kvGet, kvPut, kvScan, type Steps } from './kv-steps.js';
import { SqlError, SqlState } from './sql-errors.js';
import { tableName, type ExecResult, type Prepared } from './statement-types.js';
import { columnTypeNamed } from './values.js';

/** The descriptor of `name`, or null. */
export function* findTable(name: string): Steps<TableDesc | null> {
  const text = yield* kvGet(descriptorKey(name));
  return text === null ? null : decodeDescriptor(text);
}

export function* loadTable(name: string): Steps<TableDesc> {
  const d = yield* findTable(name);
  if (d === null) throw new SqlError(SqlState.undefinedTable, `relation "${name}" does not exist`);
  return d;
}

/** Checks the statement and builds the descriptor it asks for (its id still to be given). */
function describeCreate(s: CreateTableStatement): Omit<TableDesc, 'id'> {
  const name = tableName(s.name);
  if (s.temporary === true || s.unlogged === true || s.inherits !== undefined) {
    unsupported('TEMPORARY, UNLOGGED or INHERITS');
  }
  const columns: ColumnDesc[] = [];
  const key: { cols: number[] | null } = { cols: null };
  const setKey = (cols: number[]): void => {
    if (key.cols !== null) {
      throw new SqlError(
        SqlState.invalidTableDefinition,
        `multiple primary keys for table "${name}" are not allowed`,
      );
    }
    key.cols = cols;
  };
  for (const c of s.columns) {
    if (c.kind !== 'column') return unsupported('CREATE TABLE … LIKE');
    if (c.dataType.kind === 'array') return unsupported('array columns');
    const type = columnTypeNamed(c.dataType.name);
    if (type === undefined) return unsupported(`column type ${c.dataType.name}`);
    if (columns.some((x) => x.name === c.name.name)) {
      throw new SqlError(
        SqlState.duplicateColumn,
        `column "${c.name.name}" specified more than once`,
      );
    }
    let notNull = false;
    for (const k of c.constraints ?? []) {
      if (k.type === 'primary key') setKey([columns.length]);
      else if (k.type === 'not null') notNull = true;
      else if (k.type !== 'null') unsupported(`column constraint ${k.type.toUpperCase()}`);
    }
    columns.push({ name: c.name.name, type, notNull });
  }
  for (const k of s.constraints ?? []) {
    if (k.type !== 'primary key') return unsupported(`table constraint ${k.type.toUpperCase()}`);
    setKey(
      k.columns.map((n) => {
        const i = columns.findIndex((x) => x.name === n.name);
        if (i < 0)
          throw new SqlError(
            SqlState.undefinedColumn,
            `column "${n.name}" named in key does not exist`,
          );
        return i;
      }),
    );
  }
  const pk = key.cols;
  if (pk === null) {
    throw new SqlError(
      SqlState.invalidTableDefinition,
      `table "${name}" needs a PRIMARY KEY: rows are stored under it`,
    );
  }
  // Key columns are NOT NULL, as in PostgreSQL.
  const withKeys = columns.map((c, i) => (pk.includes(i) ? { ...c, notNull: true } : c));
  return { name, columns: withKeys, primaryKey: pk };
}

export function prepareCreate(s: CreateTableStatement): Prepared {
  const shape = describeCreate(s);
  return {
    columns: null,
    *execute(): Steps<ExecResult> {
      const tag = 'CREATE TABLE';
      if ((yield* findTable(shape.name)) !== null) {
        if (s.ifNotExists === true) return { tag, rows: [] };
        throw new SqlError(SqlState.duplicateTable, `relation "${shape.name}" already exists`);
      }
      const next = yield* kvGet(NEXT_TABLE_ID_KEY);
      const id = next === null ? 1 : Number(next);
      if (!Number.isSafeInteger(id) || id < 1) {
        throw new SqlError(SqlState.internalError, 'corrupt next table id in the key space');
      }
      yield* kvPut(NEXT_TABLE_ID_KEY, String(id + 1));
      yield* kvPut(descriptorKey(shape.name), encodeDescriptor({ id, ...shape }));
      return { tag, rows: [] };
    },
  };
}

export function prepareDrop(s: DropStatement): Prepared {
  if (s.type !== 'drop table') return unsupported(s.type.toUpperCase());
  const names = s.names.map(tableName);
  return {
    columns: null,
    *execute(): Steps<ExecResult> {
      for (const name of names) {
        const d = yield* findTable(name);
        if (d === null) {
          if (s.ifExists === true) continue;
          throw new SqlError(SqlState.undefinedTable, `relation "${name}" does not exist`);
        }
        // The rows go with the table, in the same transaction (no id is ever reused anyway).
        const prefix = tablePrefix(d.id);
        for (const p of yield* kvScan(prefix, prefixEnd(prefix))) yield* kvDelete(p.key);
        yield* kvDelete(descriptorKey(name));
      }
      return { tag: 'DROP TABLE', rows: [] };
    },
  };
}

export function* listTables(): Steps<TableDesc[]> {
  const pairs = yield* kvScan(DESCRIPTOR_PREFIX, prefixEnd(DESCRIPTOR_PREFIX));
  return pairs.map((p) => decodeDescriptor(p.value));
}

export function prepareShowTables(): Prepared {
  return {
    columns: [
      { name: 'schema_name', type: 'text' },
      { name: 'table_name', type: 'text' },
    ],
    *execute(): Steps<ExecResult> {
      const tables = yield* listTables();
      return { tag: 'SHOW', rows: tables.map((t) => ['public', t.name]) };
    },
  };
}
