/**
 * One client's SQL session: its transaction state (PostgreSQL's I idle, T in a transaction,
 * E in a failed transaction), explicit transactions (BEGIN … COMMIT/ROLLBACK) and implicit ones
 * (a statement outside BEGIN runs in a transaction of its own, retried on 40001 a few times as
 * CockroachDB retries them, since no client has seen anything of it yet).
 *
 * Callback-driven like the TxnKv under it, so a simulated node can hold sessions too.
 */
import { drive, sqlErrorOfKv, type StepResult, type Steps } from './kv-steps.js';
import { prepare } from './executor.js';
import type { ParsedStatement } from './sql-parse.js';
import { isRetryable, SqlError, SqlState } from './sql-errors.js';
import type { ExecResult, ResultColumn } from './statement-types.js';
import type { SpanMutant } from './spans.js';
import type { TxnHandle, TxnKv } from './txn-kv.js';

export type TxnStatus = 'I' | 'T' | 'E';

export interface Outcome extends ExecResult {
  readonly columns: readonly ResultColumn[] | null;
}

export interface SessionOptions {
  readonly user: string;
  /** Times an implicit transaction is run again after a 40001 before the client sees it. */
  readonly autoRetries?: number;
  /** A deliberately broken key-span rule (spans.ts), for tests; never from flags. */
  readonly mutant?: SpanMutant;
}

export const DEFAULT_AUTO_RETRIES = 10;

type Done<T> = (r: StepResult<T>) => void;

const fail = <T>(done: Done<T>, error: SqlError): void => done({ ok: false, error });

function isControl(p: ParsedStatement): boolean {
  return [
    'begin',
    'start transaction',
    'commit',
    'rollback',
    'set',
    'set timezone',
    'set names',
  ].includes(p.stmt.type);
}

export class SqlSession {
  private txn: TxnHandle | null = null;
  private failed = false;
  private readonly autoRetries: number;
  /** Implicit transactions run again after a 40001 (for tests and status). */
  retried = 0;

  constructor(
    private readonly kv: TxnKv,
    private readonly o: SessionOptions,
  ) {
    this.autoRetries = o.autoRetries ?? DEFAULT_AUTO_RETRIES;
    if (!Number.isSafeInteger(this.autoRetries) || this.autoRetries < 0) {
      throw new SqlError(SqlState.invalidParameterValue, `autoRetries must be a whole number >= 0`);
    }
  }

  get status(): TxnStatus {
    return this.txn === null && !this.failed ? 'I' : this.failed ? 'E' : 'T';
  }

  /** The columns `p` would return (null: none), without running it. */
  describe(p: ParsedStatement, done: Done<readonly ResultColumn[] | null>): void {
    if (isControl(p)) {
      done({ ok: true, value: null });
      return;
    }
    if (this.failed) {
      fail(done, this.abortedError());
      return;
    }
    const own = this.txn;
    if (own !== null) {
      drive(prepare(p), own, (r) => done(r.ok ? { ok: true, value: r.value.columns } : r));
      return;
    }
    this.kv.begin((b) => {
      if (!b.ok) {
        fail(done, sqlErrorOfKv(b.error));
        return;
      }
      const txn = b.value;
      drive(prepare(p), txn, (r) =>
        txn.rollback(() => done(r.ok ? { ok: true, value: r.value.columns } : r)),
      );
    });
  }

  execute(p: ParsedStatement, params: readonly (string | null)[], done: Done<Outcome>): void {
    const s = p.stmt;
    const tag = (t: string): void => done({ ok: true, value: { columns: null, tag: t, rows: [] } });
    switch (s.type) {
      case 'begin':
      case 'start transaction':
        if (this.failed) {
          fail(done, this.abortedError());
          return;
        }
        if (this.txn !== null) {
          tag('BEGIN'); // PostgreSQL warns and stays in the transaction it has.
          return;
        }
        this.kv.begin((b) => {
          if (!b.ok) {
            fail(done, sqlErrorOfKv(b.error));
            return;
          }
          this.txn = b.value;
          tag('BEGIN');
        });
        return;
      case 'commit':
        this.finish(this.failed ? 'rollback' : 'commit', done);
        return;
      case 'rollback':
        this.finish('rollback', done);
        return;
      case 'set':
      case 'set timezone':
      case 'set names':
        // Session settings drivers send (client_encoding, DateStyle…) change nothing here.
        tag('SET');
        return;
      default:
        break;
    }
    if (this.failed) {
      fail(done, this.abortedError());
      return;
    }
    const own = this.txn;
    if (own !== null) {
      this.runIn(own, p, params, (r) => {
        if (!r.ok) this.failed = true;
        done(r);
      });
      return;
    }
    this.implicit(p, params, 0, done);
  }

  /** Rolls back whatever is open (the connection is going away). */
  close(done: () => void = () => {}): void {
    const t = this.txn;
    this.txn = null;
    this.failed = false;
    if (t === null) done();
    else t.rollback(() => done());
  }

  private abortedError(): SqlError {
    return new SqlError(
      SqlState.inFailedSqlTransaction,
      'current transaction is aborted, commands ignored until end of transaction block',
    );
  }

  private finish(how: 'commit' | 'rollback', done: Done<Outcome>): void {
    const t = this.txn;
    this.txn = null;
    this.failed = false;
    const ok = (tag: string): void => done({ ok: true, value: { columns: null, tag, rows: [] } });
    if (t === null) {
      ok(how === 'commit' ? 'COMMIT' : 'ROLLBACK');
      return;
    }
    if (how === 'rollback') {
      t.rollback(() => ok('ROLLBACK'));
      return;
    }
    t.commit((r) => {
      if (r.ok) ok('COMMIT');
      else fail(done, sqlErrorOfKv(r.error));
    });
  }

  private runIn(
    txn: TxnHandle,
    p: ParsedStatement,
    params: readonly (string | null)[],
    done: Done<Outcome>,
  ): void {
    let columns: readonly ResultColumn[] | null = null;
    const ctx = {
      params,
      ts: txn.timestamp(),
      user: this.o.user,
      ...(this.o.mutant !== undefined ? { mutant: this.o.mutant } : {}),
    };
    function* steps(): Steps<ExecResult> {
      const prepared = yield* prepare(p);
      columns = prepared.columns;
      return yield* prepared.execute(ctx);
    }
    drive(steps(), txn, (r) => done(r.ok ? { ok: true, value: { ...r.value, columns } } : r));
  }

  private implicit(
    p: ParsedStatement,
    params: readonly (string | null)[],
    attempt: number,
    done: Done<Outcome>,
  ): void {
    this.kv.begin((b) => {
      if (!b.ok) {
        fail(done, sqlErrorOfKv(b.error));
        return;
      }
      const txn = b.value;
      const again = (e: SqlError): boolean => {
        if (!isRetryable(e) || attempt >= this.autoRetries) return false;
        this.retried++;
        this.implicit(p, params, attempt + 1, done);
        return true;
      };
      this.runIn(txn, p, params, (r) => {
        if (!r.ok) {
          // The store may have closed it already; a second close is answered and ignored.
          txn.rollback(() => {
            if (!again(r.error)) done(r);
          });
          return;
        }
        txn.commit((c) => {
          if (c.ok) done(r);
          else {
            const e = sqlErrorOfKv(c.error);
            if (!again(e)) fail(done, e);
          }
        });
      });
    });
  }
}
