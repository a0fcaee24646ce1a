/**
 * From a parsed statement to a prepared one (executor of the statements that touch data; the
 * session handles BEGIN/COMMIT/ROLLBACK/SET itself). Preparing reads the catalog, so it runs
 * inside a transaction too: a table created earlier in the same transaction is seen.
 */
import { prepareCreate, prepareDrop, prepareShowTables } from './ddl.js';
import { prepareDelete, prepareInsert, prepareUpdate } from './dml.js';
import { unsupported } from './expr.js';
import type { Steps } from './kv-steps.js';
import { prepareSelect } from './select.js';
import type { ParsedStatement } from './sql-parse.js';
import { SqlError, SqlState } from './sql-errors.js';
import type { ExecResult, Prepared } from './statement-types.js';

/** Session variables SHOW answers (what drivers and psql ask about). */
const SHOWN: ReadonlyMap<string, string> = new Map([
  ['server_version', '13.0.0'],
  ['server_encoding', 'UTF8'],
  ['client_encoding', 'UTF8'],
  ['transaction_isolation', 'serializable'],
  ['default_transaction_isolation', 'serializable'],
  ['timezone', 'UTC'],
  ['datestyle', 'ISO, MDY'],
  ['standard_conforming_strings', 'on'],
  ['integer_datetimes', 'on'],
]);

function prepareShowVariable(name: string): Prepared {
  const value = SHOWN.get(name.toLowerCase());
  if (value === undefined) {
    throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
  }
  return {
    columns: [{ name: name.toLowerCase(), type: 'text' }],
    // eslint-disable-next-line require-yield
    *execute(): Steps<ExecResult> {
      return { tag: 'SHOW', rows: [[value]] };
    },
  };
}

export function* prepare(p: ParsedStatement): Steps<Prepared> {
  const s = p.stmt;
  switch (s.type) {
    case 'select':
    case 'union':
    case 'union all':
    case 'values':
    case 'with':
    case 'with recursive':
      return yield* prepareSelect(s);
    case 'insert':
      return yield* prepareInsert(s, p.upsert);
    case 'update':
      return yield* prepareUpdate(s);
    case 'delete':
      return yield* prepareDelete(s);
    case 'create table':
      return prepareCreate(s);
    case 'drop table':
    case 'drop index':
    case 'drop sequence':
    case 'drop type':
    case 'drop trigger':
      return prepareDrop(s);
    case 'show':
      return s.variable.name.toLowerCase() === 'tables'
        ? prepareShowTables()
        : prepareShowVariable(s.variable.name);
    default:
      return unsupported(`statement ${s.type.toUpperCase()}`);
  }
}
