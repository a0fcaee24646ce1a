/** What a prepared statement offers: its result's shape, known before it runs, and its run. */
import type { QName } from 'pgsql-ast-parser';
import { SqlError, SqlState } from './sql-errors.js';
import type { Steps } from './kv-steps.js';
import type { TxnTimestamp } from './txn-kv.js';
import type { SpanMutant } from './spans.js';
import type { ResultType, Value } from './values.js';

export interface ResultColumn {
  readonly name: string;
  readonly type: ResultType;
}

export interface ExecResult {
  /** PostgreSQL's CommandComplete tag: 'SELECT 3', 'INSERT 0 2', 'CREATE TABLE'… */
  readonly tag: string;
  readonly rows: readonly (readonly Value[])[];
}

export interface RunContext {
  readonly params: readonly (string | null)[];
  readonly ts: TxnTimestamp;
  readonly user: string;
  /** A deliberately broken key-span rule, for tests (spans.ts). */
  readonly mutant?: SpanMutant;
}

export interface Prepared {
  /** The columns of its rows; null when it returns none (the wire's NoData). */
  readonly columns: readonly ResultColumn[] | null;
  execute(ctx: RunContext): Steps<ExecResult>;
}

/** A table's name, refusing schemas other than public. */
export function tableName(q: QName): string {
  if (q.schema !== undefined && q.schema !== 'public') {
    throw new SqlError(
      SqlState.featureNotSupported,
      `schema "${q.schema}" is not supported (only public)`,
    );
  }
  return q.name;
}
