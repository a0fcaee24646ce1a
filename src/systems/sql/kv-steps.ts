/**
 * Statements are written as generators that yield the KV calls they need and are resumed with
 * the answers: straight-line code that a callback-driven caller (a simulated node) and a
 * promise-driven one (the wire port) can both drive, without async/await in deterministic code.
 * `drive` runs one against a transaction handle, looping while answers come back synchronously
 * (the memory store's) so the stack does not grow with the number of calls.
 */
import { SqlError, SqlState } from './sql-errors.js';
import type { KvDone, KvPair, TxnHandle, TxnKvError } from './txn-kv.js';

export type KvCall =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'scan'; readonly start: string; readonly end: string; readonly limit: number }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

export type KvAnswer =
  | { readonly op: 'get'; readonly value: string | null }
  | { readonly op: 'scan'; readonly pairs: readonly KvPair[] }
  | { readonly op: 'put' | 'delete' };

export type Steps<T> = Generator<KvCall, T, KvAnswer>;

function mismatch(): never {
  throw new SqlError(SqlState.internalError, 'a KV answer did not match its call');
}

export function* kvGet(key: string): Steps<string | null> {
  const a = yield { op: 'get', key };
  return a.op === 'get' ? a.value : mismatch();
}

export function* kvScan(start: string, end: string, limit = 0): Steps<readonly KvPair[]> {
  const a = yield { op: 'scan', start, end, limit };
  return a.op === 'scan' ? a.pairs : mismatch();
}

export function* kvPut(key: string, value: string): Steps<void> {
  const a = yield { op: 'put', key, value };
  if (a.op !== 'put') mismatch();
}

export function* kvDelete(key: string): Steps<void> {
  const a = yield { op: 'delete', key };
  if (a.op !== 'delete') mismatch();
}

/** The SQLSTATE a KV failure becomes. */
export function sqlErrorOfKv(e: TxnKvError): SqlError {
  switch (e.code) {
    case 'retry':
      return new SqlError(
        SqlState.serializationFailure,
        e.message,
        undefined,
        'retry the transaction from its beginning',
      );
    case 'txn-closed':
      return new SqlError(SqlState.inFailedSqlTransaction, e.message);
    case 'unavailable':
      return new SqlError(SqlState.connectionFailure, e.message);
  }
}

export type StepResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SqlError };

function issue(txn: TxnHandle, call: KvCall, done: KvDone<KvAnswer>): void {
  switch (call.op) {
    case 'get':
      txn.get(call.key, (r) => done(r.ok ? { ok: true, value: { op: 'get', value: r.value } } : r));
      return;
    case 'scan':
      txn.scan(call.start, call.end, call.limit, (r) =>
        done(r.ok ? { ok: true, value: { op: 'scan', pairs: r.value } } : r),
      );
      return;
    case 'put':
      txn.put(call.key, call.value, (r) => done(r.ok ? { ok: true, value: { op: 'put' } } : r));
      return;
    case 'delete':
      txn.delete(call.key, (r) => done(r.ok ? { ok: true, value: { op: 'delete' } } : r));
      return;
  }
}

/**
 * Runs `steps` against `txn` and calls `done` once with its value or the first error (a thrown
 * SqlError, or a KV failure mapped by sqlErrorOfKv). Anything else thrown is a bug and is
 * rethrown to the caller of whichever callback was running.
 */
export function drive<T>(steps: Steps<T>, txn: TxnHandle, done: (r: StepResult<T>) => void): void {
  let answer: KvAnswer | undefined;
  const run = (): void => {
    for (;;) {
      let r: IteratorResult<KvCall, T>;
      try {
        r = answer === undefined ? steps.next() : steps.next(answer);
      } catch (e) {
        if (e instanceof SqlError) {
          done({ ok: false, error: e });
          return;
        }
        throw e;
      }
      if (r.done === true) {
        done({ ok: true, value: r.value });
        return;
      }
      let synchronous = true;
      let arrived = false;
      issue(txn, r.value, (res) => {
        if (!res.ok) {
          done({ ok: false, error: sqlErrorOfKv(res.error) });
          return;
        }
        answer = res.value;
        arrived = true;
        if (!synchronous) run();
      });
      synchronous = false;
      if (!arrived) return;
    }
  };
  run();
}
