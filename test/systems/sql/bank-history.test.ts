/**
 * SQL bank transfers from concurrent sessions, recorded as a transactional history
 * (history-recorder.ts) and judged by the transactional checker: serializable over the
 * in-memory store, and not over its no-key-validation mutant (lost updates). The sessions'
 * store answers are delivered one at a time in a seeded random order, so transactions
 * interleave and every run with one seed is the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTransactions } from '../../../src/check/txn/check-txn.js';
import { streamFor } from '../../../src/core/random.js';
import { HistoryRecorder } from '../../../src/systems/sql/history-recorder.js';
import { MemoryTxnKv, type MemoryKvMutant } from '../../../src/systems/sql/memory-txn-kv.js';
import { SqlSession, type Outcome } from '../../../src/systems/sql/session.js';
import { parseSql } from '../../../src/systems/sql/sql-parse.js';
import type { SqlError } from '../../../src/systems/sql/sql-errors.js';
import type { KvDone, KvResult, TxnHandle, TxnKv } from '../../../src/systems/sql/txn-kv.js';
import { runSync } from './sql-env.js';

/** Holds every store answer until the scheduler delivers it. */
class Scheduled implements TxnKv {
  readonly pending: (() => void)[] = [];
  constructor(private readonly inner: TxnKv) {}
  private hold<T>(done: KvDone<T>): KvDone<T> {
    return (r: KvResult<T>) => this.pending.push(() => done(r));
  }
  begin(done: KvDone<TxnHandle>): void {
    this.inner.begin(
      this.hold((r) => {
        if (!r.ok) return done(r);
        const t = r.value;
        const h = <T>(d: KvDone<T>): KvDone<T> => this.hold(d);
        done({
          ok: true,
          value: {
            get: (k, d) => t.get(k, h(d)),
            scan: (s, e, l, d) => t.scan(s, e, l, h(d)),
            put: (k, v, d) => t.put(k, v, h(d)),
            delete: (k, d) => t.delete(k, h(d)),
            commit: (d) => t.commit(h(d)),
            rollback: (d) => t.rollback(h(d)),
            timestamp: () => t.timestamp(),
          },
        });
      }),
    );
  }
}

const ACCOUNTS = 4;
const CLIENTS = 4;
const TRANSFERS = 12;

interface Run {
  readonly total: bigint;
  readonly committed: number;
  readonly retries: number;
  readonly verdict: string;
  readonly anomalies: readonly string[];
}

export function bank(seed: number, mutant?: MemoryKvMutant): Run {
  let clock = 0;
  const now = (): number => ++clock;
  const store = new MemoryTxnKv({ now, ...(mutant ? { mutant } : {}) });
  const recorder = new HistoryRecorder(store, { now, keep: (k) => k.startsWith('/t/') });
  // The setup is recorded too, so every value read has its writer in the history.
  const setup = new SqlSession(recorder.kvFor(CLIENTS), { user: 'root' });
  runSync(setup, 'CREATE TABLE acct (id INT PRIMARY KEY, bal INT NOT NULL, ver INT NOT NULL)');
  runSync(
    setup,
    `INSERT INTO acct VALUES ${Array.from({ length: ACCOUNTS }, (_, i) => `(${i}, 100, ${i})`).join(', ')}`,
  );
  const random = streamFor(seed, 'test:sql-bank');
  const scheduled: Scheduled[] = [];
  let committed = 0;
  let retries = 0;
  let version = 1000;

  const client = (process: number): void => {
    const kv = new Scheduled(recorder.kvFor(process));
    scheduled.push(kv);
    const session = new SqlSession(kv, { user: 'root' });
    const exec = (
      sql: string,
      params: (string | null)[],
      next: (r: Outcome | SqlError) => void,
    ): void => {
      const [p] = parseSql(sql);
      if (p === undefined) throw new Error(`no statement in ${sql}`);
      session.execute(p, params, (r) => next(r.ok ? r.value : r.error));
    };
    let left = TRANSFERS;
    const transfer = (): void => {
      if (left === 0) return;
      const from = random.int(ACCOUNTS);
      const to = (from + 1 + random.int(ACCOUNTS - 1)) % ACCOUNTS;
      const amount = 1 + random.int(20);
      const failed = (r: Outcome | SqlError): boolean => {
        if (!('code' in r)) return false;
        assert.equal(r.code, '40001', r.message);
        retries++;
        exec('ROLLBACK', [], () => transfer());
        return true;
      };
      const balance = (r: Outcome): bigint => {
        const v = r.rows[0]?.[0];
        assert.equal(typeof v, 'bigint');
        return v as bigint;
      };
      exec('BEGIN', [], () =>
        exec('SELECT bal FROM acct WHERE id = $1', [String(from)], (a) => {
          if (failed(a)) return;
          exec('SELECT bal FROM acct WHERE id = $1', [String(to)], (b) => {
            if (failed(b)) return;
            const fb = balance(a as Outcome) - BigInt(amount);
            const tb = balance(b as Outcome) + BigInt(amount);
            exec(
              'UPDATE acct SET bal = $1, ver = $2 WHERE id = $3',
              [String(fb), String(version++), String(from)],
              (u) => {
                if (failed(u)) return;
                exec(
                  'UPDATE acct SET bal = $1, ver = $2 WHERE id = $3',
                  [String(tb), String(version++), String(to)],
                  (w) => {
                    if (failed(w)) return;
                    exec('COMMIT', [], (c) => {
                      if (failed(c)) return;
                      committed++;
                      left--;
                      transfer();
                    });
                  },
                );
              },
            );
          });
        }),
      );
    };
    transfer();
  };
  for (let p = 0; p < CLIENTS; p++) client(p);
  // Deliver the held answers one at a time, from a client picked at random.
  for (let steps = 0; ; steps++) {
    assert.ok(steps < 100_000, 'the clients finish');
    const ready = scheduled.filter((s) => s.pending.length > 0);
    if (ready.length === 0) break;
    const s = random.pick(ready);
    (s.pending.shift() as () => void)();
  }
  const sum = runSync(setup, 'SELECT sum(bal) FROM acct');
  const result = checkTransactions(recorder.history(), { workload: 'rw-register' });
  return {
    total: BigInt(sum[1] ?? '0'),
    committed,
    retries,
    verdict: result.verdict,
    anomalies: result.anomalyTypes,
  };
}

test('SQL bank transfers are judged serializable and conserve the total', () => {
  for (const seed of [1, 2, 3]) {
    const r = bank(seed);
    assert.equal(r.verdict, 'valid', `seed ${seed}: ${r.anomalies.join(', ')}`);
    assert.deepEqual(r.anomalies, [], `seed ${seed}`);
    assert.equal(r.total, BigInt(ACCOUNTS * 100), `seed ${seed}`);
    assert.equal(r.committed, CLIENTS * TRANSFERS);
    assert.ok(r.retries > 0, `seed ${seed}: the clients conflicted`);
  }
});

test('the checker catches the no-key-validation store through SQL', () => {
  const caught = [1, 2, 3].map((seed) => bank(seed, 'no-key-validation'));
  assert.ok(
    caught.some((r) => r.verdict === 'invalid'),
    caught.map((r) => `${r.verdict} ${r.anomalies.join(',')}`).join('; '),
  );
});
