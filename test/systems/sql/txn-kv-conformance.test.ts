/** The in-memory store passes the TxnKv conformance suite, answering at once or later. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTxnKv } from '../../../src/systems/sql/memory-txn-kv.js';
import type { KvDone, KvResult, TxnHandle, TxnKv } from '../../../src/systems/sql/txn-kv.js';
import { CONFORMANCE } from './txn-kv-conformance.js';

/** Answers every call on a later turn of the event loop. */
function later(inner: TxnKv): TxnKv {
  const defer =
    <T>(done: KvDone<T>): KvDone<T> =>
    (r: KvResult<T>) =>
      setImmediate(() => done(r));
  const wrap = (t: TxnHandle): TxnHandle => ({
    get: (k, d) => t.get(k, defer(d)),
    scan: (s, e, l, d) => t.scan(s, e, l, defer(d)),
    put: (k, v, d) => t.put(k, v, defer(d)),
    delete: (k, d) => t.delete(k, defer(d)),
    commit: (d) => t.commit(defer(d)),
    rollback: (d) => t.rollback(defer(d)),
    timestamp: () => t.timestamp(),
  });
  return {
    begin: (d) => inner.begin(defer((r) => d(r.ok ? { ok: true, value: wrap(r.value) } : r))),
  };
}

for (const [name, check] of Object.entries(CONFORMANCE)) {
  test(`memory store: ${name}`, async () => {
    let t = 0;
    await check(new MemoryTxnKv({ now: () => ++t }));
  });
  test(`memory store answering later: ${name}`, async () => {
    let t = 0;
    await check(later(new MemoryTxnKv({ now: () => ++t })));
  });
}

test('the suite fails the no-key-validation store', async () => {
  let t = 0;
  const lost = CONFORMANCE['a lost update is refused with retry'];
  assert.ok(lost !== undefined);
  await assert.rejects(() =>
    lost(new MemoryTxnKv({ now: () => ++t, mutant: 'no-key-validation' })),
  );
});

test('the suite fails the no-span-validation store', async () => {
  let t = 0;
  const skew = CONFORMANCE['write skew over a scanned span is refused with retry'];
  assert.ok(skew !== undefined);
  await assert.rejects(() =>
    skew(new MemoryTxnKv({ now: () => ++t, mutant: 'no-span-validation' })),
  );
});
