/** INSERT (multi-row, ON CONFLICT DO NOTHING), UPSERT, UPDATE and DELETE. */
import type { DeleteStatement, InsertStatement, UpdateStatement } from 'pgsql-ast-parser';
import { columnIndex, encodeRow, decodeRow, type TableDesc } from './catalog.js';
import { loadTable } from './ddl.js';
import { evaluate, unsupported } from './expr.js';
import { rowKey } from './key-encoding.js';
import { kvDelete, kvGet, kvPut, type Steps } from './kv-steps.js';
import { envFor, matchingRows } from './rows.js';
import { SqlError, SqlState } from './sql-errors.js';
import { tableName, type ExecResult, type Prepared, type RunContext } from './statement-types.js';
import { coerce, formatValue, type ColumnType, type Value } from './values.js';

function keyOf(desc: TableDesc, row: readonly Value[]): string {
  const types: ColumnType[] = [];
  const values: Value[] = [];
  for (const i of desc.primaryKey) {
    const c = desc.columns[i];
    if (c === undefined) throw new SqlError(SqlState.internalError, 'key column out of range');
    types.push(c.type);
    values.push(row[i] ?? null);
  }
  return rowKey(desc.id, types, values);
}

/** Refuses a NULL in a NOT NULL column (only the key's columns, when `keyOnly`). */
function checkNotNull(desc: TableDesc, row: readonly Value[], keyOnly = false): void {
  desc.columns.forEach((c, i) => {
    if (keyOnly && !desc.primaryKey.includes(i)) return;
    if (c.notNull && row[i] === null) {
      throw new SqlError(
        SqlState.notNullViolation,
        `null value in column "${c.name}" of relation "${desc.name}" violates not-null constraint`,
      );
    }
  });
}

function duplicate(desc: TableDesc, row: readonly Value[]): SqlError {
  const cols = desc.primaryKey.map((i) => desc.columns[i]?.name ?? '?').join(', ');
  const vals = desc.primaryKey
    .map((i) => formatValue(desc.columns[i]?.type ?? 'text', row[i] ?? null) ?? 'NULL')
    .join(', ');
  return new SqlError(
    SqlState.uniqueViolation,
    `duplicate key value violates unique constraint "${desc.name}_pkey"`,
    `Key (${cols})=(${vals}) already exists.`,
  );
}

export function* prepareInsert(s: InsertStatement, upsert: boolean): Steps<Prepared> {
  if (s.returning !== null && s.returning !== undefined) unsupported('RETURNING');
  if (s.insert.type !== 'values') return unsupported('INSERT … SELECT');
  const rowsExprs = s.insert.values;
  let doNothing = false;
  if (s.onConflict !== null && s.onConflict !== undefined) {
    if (upsert) unsupported('UPSERT … ON CONFLICT');
    if (s.onConflict.do !== 'do nothing')
      return unsupported('ON CONFLICT … DO UPDATE (use UPSERT)');
    doNothing = true;
  }
  const desc = yield* loadTable(tableName(s.into));
  const targets =
    s.columns === null || s.columns === undefined
      ? desc.columns.map((_, i) => i)
      : s.columns.map((n) => columnIndex(desc, n.name));
  if (new Set(targets).size !== targets.length) {
    throw new SqlError(SqlState.duplicateColumn, 'a column is named more than once in INSERT');
  }
  for (const r of rowsExprs) {
    if (r.length > targets.length) {
      throw new SqlError(SqlState.syntaxError, 'INSERT has more expressions than target columns');
    }
    if (r.length < targets.length) {
      throw new SqlError(SqlState.syntaxError, 'INSERT has more target columns than expressions');
    }
  }
  return {
    columns: null,
    *execute(ctx: RunContext): Steps<ExecResult> {
      let count = 0;
      for (const exprs of rowsExprs) {
        const row: Value[] = desc.columns.map(() => null);
        exprs.forEach((e, j) => {
          const i = targets[j] as number;
          const col = desc.columns[i];
          if (col === undefined || e.type === 'default') return;
          row[i] = coerce(col.type, evaluate(e, envFor(null, null, ctx)), `column "${col.name}"`);
        });
        checkNotNull(desc, row, true);
        const key = keyOf(desc, row);
        const existing = yield* kvGet(key);
        if (existing !== null) {
          if (doNothing) continue;
          if (!upsert) throw duplicate(desc, row);
          // UPSERT overwrites the columns it names and keeps the others (CockroachDB's rule).
          const merged = decodeRow(desc, existing);
          for (const i of targets) merged[i] = row[i] ?? null;
          checkNotNull(desc, merged);
          yield* kvPut(key, encodeRow(merged));
        } else {
          checkNotNull(desc, row);
          yield* kvPut(key, encodeRow(row));
        }
        count++;
      }
      return { tag: `INSERT 0 ${count}`, rows: [] };
    },
  };
}

export function* prepareUpdate(s: UpdateStatement): Steps<Prepared> {
  if (s.returning !== null && s.returning !== undefined) unsupported('RETURNING');
  if (s.from !== null && s.from !== undefined) unsupported('UPDATE … FROM');
  const desc = yield* loadTable(tableName(s.table));
  const sets = s.sets.map((x) => ({ index: columnIndex(desc, x.column.name), expr: x.value }));
  return {
    columns: null,
    *execute(ctx: RunContext): Steps<ExecResult> {
      const rows = yield* matchingRows(desc, s.where, ctx);
      const moved: { values: Value[]; key: string }[] = [];
      for (const r of rows) {
        const next = [...r.values];
        for (const { index, expr } of sets) {
          const col = desc.columns[index];
          if (col === undefined) continue;
          // Every SET reads the row as it was, as in PostgreSQL.
          next[index] = coerce(
            col.type,
            evaluate(expr, envFor(desc, r.values, ctx)),
            `column "${col.name}"`,
          );
        }
        checkNotNull(desc, next);
        const key = keyOf(desc, next);
        if (key === r.key) {
          yield* kvPut(key, encodeRow(next));
        } else {
          // A row whose key changes leaves its old key first, and all of them before any lands:
          // the key is checked once the statement is done with it, as PostgreSQL checks it at
          // the statement's end (UPDATE t SET k = k + 1 moves 1 to 2 while 2 moves to 3).
          yield* kvDelete(r.key);
          moved.push({ values: next, key });
        }
      }
      for (const m of moved) {
        if ((yield* kvGet(m.key)) !== null) throw duplicate(desc, m.values);
        yield* kvPut(m.key, encodeRow(m.values));
      }
      return { tag: `UPDATE ${rows.length}`, rows: [] };
    },
  };
}

export function* prepareDelete(s: DeleteStatement): Steps<Prepared> {
  if (s.returning !== null && s.returning !== undefined) unsupported('RETURNING');
  const desc = yield* loadTable(tableName(s.from));
  return {
    columns: null,
    *execute(ctx: RunContext): Steps<ExecResult> {
      const rows = yield* matchingRows(desc, s.where, ctx);
      for (const r of rows) yield* kvDelete(r.key);
      return { tag: `DELETE ${rows.length}`, rows: [] };
    },
  };
}
