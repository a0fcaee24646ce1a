/**
 * Records what SQL transactions did to the key space as a transactional history (Elle's
 * rw-register shape, src/check/txn/txn-history.ts), so the transactional checker can judge a
 * SQL workload: each transaction is one `txn` op whose micro-ops are the point reads and writes
 * its statements made, in order, and whose outcome is its commit's.
 *
 * It wraps the TxnKv the SQL sessions use; `kvFor(process)` attributes a client's transactions
 * to it. Limits, as rw-register requires: written values must be unique per key (a workload
 * writes a fresh value into each row it updates), a delete is not a register write (it is
 * refused), and a scan is recorded as reads of the keys it returned — a phantom (a key a scan
 * did not see) is not judged here.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { KvDone, KvPair, TxnHandle, TxnKv, TxnTimestamp } from './txn-kv.js';
import { kvFail } from './txn-kv.js';

type RecordedMop = readonly ['r' | 'w', string, string | null];

interface Open {
  readonly id: number;
  readonly process: number;
  readonly invoke: number;
  readonly mops: RecordedMop[];
}

export interface HistoryRecorderOptions {
  /** The clock for invoke and complete times (milliseconds). */
  readonly now: () => number;
  /** Which keys to record (for example only rows: `k => k.startsWith('/t/')`); all by default. */
  readonly keep?: (key: string) => boolean;
}

export class HistoryRecorder {
  private readonly ops: HistoryOp[] = [];
  private nextId = 0;

  constructor(
    private readonly inner: TxnKv,
    private readonly o: HistoryRecorderOptions,
  ) {}

  /** The history so far, in invocation order (transactions still open are left out). */
  history(): HistoryOp[] {
    return [...this.ops].sort((a, b) => a.id - b.id);
  }

  /** A TxnKv whose transactions are recorded as `process`'s. */
  kvFor(process: number): TxnKv {
    return {
      begin: (done: KvDone<TxnHandle>) => {
        const open: Open = { id: this.nextId++, process, invoke: this.o.now(), mops: [] };
        this.inner.begin((r) => {
          if (!r.ok) {
            this.finish(open, 'fail', r.error.code);
            done(r);
            return;
          }
          done({ ok: true, value: this.wrap(r.value, open) });
        });
      },
    };
  }

  private keep(key: string): boolean {
    return this.o.keep?.(key) ?? true;
  }

  private finish(open: Open, outcome: 'ok' | 'fail' | 'unknown', error?: string): void {
    const mops: Json = open.mops.map((m) => [...m]);
    const invoked: Json = open.mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]);
    this.ops.push({
      id: open.id,
      process: open.process,
      f: 'txn',
      value: invoked,
      invoke: open.invoke,
      complete: this.o.now(),
      outcome,
      ...(outcome === 'ok' ? { result: mops } : {}),
      ...(error !== undefined ? { error } : {}),
    });
  }

  private wrap(t: TxnHandle, open: Open): TxnHandle {
    let closed = false;
    /** A failed call ends the transaction (the store closed it): recorded as failed once. */
    const watch = <T>(done: KvDone<T>, onOk: (value: T) => void): KvDone<T> => {
      return (r) => {
        if (r.ok) onOk(r.value);
        else if (!closed) {
          closed = true;
          this.finish(open, r.error.code === 'unavailable' ? 'unknown' : 'fail', r.error.code);
        }
        done(r);
      };
    };
    return {
      get: (key: string, done: KvDone<string | null>) =>
        t.get(
          key,
          watch(done, (v) => {
            if (this.keep(key)) open.mops.push(['r', key, v]);
          }),
        ),
      scan: (s: string, e: string, limit: number, done: KvDone<readonly KvPair[]>) =>
        t.scan(
          s,
          e,
          limit,
          watch(done, (pairs) => {
            for (const p of pairs) if (this.keep(p.key)) open.mops.push(['r', p.key, p.value]);
          }),
        ),
      put: (key: string, value: string, done: KvDone<null>) =>
        t.put(
          key,
          value,
          watch(done, () => {
            if (this.keep(key)) open.mops.push(['w', key, value]);
          }),
        ),
      delete: (key: string, done: KvDone<null>) => {
        if (this.keep(key)) {
          // A register history has no deletes: refusing keeps the history honest.
          done(kvFail('unavailable', 'a recorded history cannot hold deletes'));
          return;
        }
        t.delete(key, done);
      },
      commit: (done: KvDone<null>) =>
        t.commit((r) => {
          if (!closed) {
            closed = true;
            if (r.ok) this.finish(open, 'ok');
            else
              this.finish(open, r.error.code === 'unavailable' ? 'unknown' : 'fail', r.error.code);
          }
          done(r);
        }),
      rollback: (done: KvDone<null>) =>
        t.rollback((r) => {
          if (!closed) {
            closed = true;
            this.finish(open, 'fail', 'rolled back');
          }
          done(r);
        }),
      timestamp: (): TxnTimestamp => t.timestamp(),
    };
  }
}
