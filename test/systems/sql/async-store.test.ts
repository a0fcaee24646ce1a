/**
 * The SQL layer over a store that answers later, as the distributed database will (and as a
 * simulated node's callbacks arrive): every answer is queued and delivered by a pump, and the
 * statements must give the same outputs as over the synchronous store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTxnKv } from '../../../src/systems/sql/memory-txn-kv.js';
import { SqlSession } from '../../../src/systems/sql/session.js';
import { parseSql } from '../../../src/systems/sql/sql-parse.js';
import type {
  KvDone,
  KvPair,
  KvResult,
  TxnHandle,
  TxnKv,
  TxnTimestamp,
} from '../../../src/systems/sql/txn-kv.js';
import { renderOutcome, runSync } from './sql-env.js';

/** Delays every answer of `inner` until pump() delivers it. */
class DeferredKv implements TxnKv {
  readonly queue: (() => void)[] = [];
  delivered = 0;

  constructor(private readonly inner: TxnKv) {}

  private later<T>(done: KvDone<T>): KvDone<T> {
    return (r: KvResult<T>) => this.queue.push(() => done(r));
  }

  pump(): void {
    for (let f = this.queue.shift(); f !== undefined; f = this.queue.shift()) {
      this.delivered++;
      f();
    }
  }

  begin(done: KvDone<TxnHandle>): void {
    this.inner.begin(this.later((r) => done(r.ok ? { ok: true, value: this.wrap(r.value) } : r)));
  }

  private wrap(t: TxnHandle): TxnHandle {
    const later = <T>(d: KvDone<T>): KvDone<T> => this.later(d);
    return {
      get: (key: string, done: KvDone<string | null>) => t.get(key, later(done)),
      scan: (s: string, e: string, l: number, done: KvDone<readonly KvPair[]>) =>
        t.scan(s, e, l, later(done)),
      put: (key: string, value: string, done: KvDone<null>) => t.put(key, value, later(done)),
      delete: (key: string, done: KvDone<null>) => t.delete(key, later(done)),
      commit: (done: KvDone<null>) => t.commit(later(done)),
      rollback: (done: KvDone<null>) => t.rollback(later(done)),
      timestamp: (): TxnTimestamp => t.timestamp(),
    };
  }
}

const SCRIPT = [
  'CREATE TABLE t (k INT PRIMARY KEY, v TEXT)',
  "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
  "INSERT INTO t VALUES (2, 'again')",
  'BEGIN',
  "UPDATE t SET v = v || '!' WHERE k >= 2",
  'DELETE FROM t WHERE k = 1',
  'COMMIT',
  'SELECT k, v FROM t ORDER BY k DESC',
  'SELECT count(*), min(v) FROM t',
];

test('statements give the same output over a store that answers later', () => {
  let t = 0;
  const deferred = new DeferredKv(new MemoryTxnKv({ now: () => ++t }));
  const session = new SqlSession(deferred, { user: 'root' });
  const asyncOut: string[] = [];
  for (const sql of SCRIPT) {
    for (const p of parseSql(sql)) {
      let answered = false;
      session.execute(p, [], (r) => {
        answered = true;
        asyncOut.push(...(r.ok ? renderOutcome(r.value) : [`ERROR ${r.error.code}`]));
      });
      assert.equal(answered, false, `${sql}: not answered before the store answers`);
      deferred.pump();
      assert.equal(answered, true, `${sql}: answered once the store has`);
    }
  }
  let u = 0;
  const sync = new SqlSession(new MemoryTxnKv({ now: () => ++u }), { user: 'root' });
  const syncOut = SCRIPT.flatMap((sql) =>
    runSync(sync, sql).map((l) => (l.startsWith('ERROR') ? (l.split(':')[0] ?? l) : l)),
  );
  assert.deepEqual(asyncOut, syncOut);
  assert.ok(deferred.delivered > SCRIPT.length * 2, 'every statement waited on the store');
});
