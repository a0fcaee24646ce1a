/**
 * The in-memory store is serializable: a lost update and write skew are refused with 'retry',
 * and so is a phantom. Each MEMORY_KV_MUTANTS variant lets its anomaly through, which these
 * tests and the transactions transcript catch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  MEMORY_KV_MUTANTS,
  MemoryTxnKv,
  type MemoryKvMutant,
} from '../../../src/systems/sql/memory-txn-kv.js';
import type { KvResult, TxnHandle } from '../../../src/systems/sql/txn-kv.js';
import { TranscriptError } from '../../support/transcript/errors.js';
import { runTranscriptText } from '../../support/transcript/runner.js';
import { SqlTranscriptEnv } from './sql-env.js';

/** The value of a synchronous call (the memory store answers at once). */
function now<T>(call: (done: (r: KvResult<T>) => void) => void): KvResult<T> {
  let out: KvResult<T> | undefined;
  call((r) => (out = r));
  assert.ok(out !== undefined, 'answered synchronously');
  return out;
}

function ok<T>(r: KvResult<T>): T {
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function begin(kv: MemoryTxnKv): TxnHandle {
  return ok(now<TxnHandle>((d) => kv.begin(d)));
}

function store(mutant?: MemoryKvMutant): MemoryTxnKv {
  let t = 0;
  return new MemoryTxnKv({ now: () => ++t, ...(mutant ? { mutant } : {}) });
}

/** Two increments of one counter, interleaved; returns the final value and the commits' codes. */
function lostUpdate(kv: MemoryTxnKv): { value: string | null; outcomes: string[] } {
  const setup = begin(kv);
  ok(now<null>((d) => setup.put('x', '0', d)));
  ok(now<null>((d) => setup.commit(d)));
  const a = begin(kv);
  const b = begin(kv);
  const va = Number(ok(now<string | null>((d) => a.get('x', d))));
  const vb = Number(ok(now<string | null>((d) => b.get('x', d))));
  ok(now<null>((d) => a.put('x', String(va + 1), d)));
  ok(now<null>((d) => b.put('x', String(vb + 1), d)));
  const outcomes = [a, b].map((t) => {
    const r = now<null>((d) => t.commit(d));
    return r.ok ? 'ok' : r.error.code;
  });
  const check = begin(kv);
  return { value: ok(now<string | null>((d) => check.get('x', d))), outcomes };
}

/** Each reads the span [k0, k9) and writes into it; returns the commits' codes. */
function writeSkew(kv: MemoryTxnKv): string[] {
  const a = begin(kv);
  const b = begin(kv);
  ok(now((d) => a.scan('k0', 'k9', 0, d)));
  ok(now((d) => b.scan('k0', 'k9', 0, d)));
  ok(now<null>((d) => a.put('k1', 'a', d)));
  ok(now<null>((d) => b.put('k2', 'b', d)));
  return [a, b].map((t) => {
    const r = now<null>((d) => t.commit(d));
    return r.ok ? 'ok' : r.error.code;
  });
}

test('a lost update is refused with retry', () => {
  const r = lostUpdate(store());
  assert.deepEqual(r.outcomes, ['ok', 'retry']);
  assert.equal(r.value, '1');
});

test('no-key-validation lets the lost update through', () => {
  const r = lostUpdate(store('no-key-validation'));
  assert.deepEqual(r.outcomes, ['ok', 'ok']);
  assert.equal(r.value, '1', 'two increments, one counted');
});

test('write skew over a scanned span is refused with retry', () => {
  assert.deepEqual(writeSkew(store()), ['ok', 'retry']);
});

test('no-span-validation lets write skew through', () => {
  assert.deepEqual(writeSkew(store('no-span-validation')), ['ok', 'ok']);
});

test('reads see their own writes and deletes; a scan honours its limit', () => {
  const kv = store();
  const t = begin(kv);
  for (const k of ['b', 'a', 'c']) ok(now<null>((d) => t.put(k, k.toUpperCase(), d)));
  ok(now<null>((d) => t.delete('b', d)));
  assert.deepEqual(ok(now((d) => t.scan('a', 'z', 0, d))), [
    { key: 'a', value: 'A' },
    { key: 'c', value: 'C' },
  ]);
  assert.deepEqual(ok(now((d) => t.scan('a', 'z', 1, d))), [{ key: 'a', value: 'A' }]);
  ok(now<null>((d) => t.commit(d)));
  assert.deepEqual(kv.snapshot(), [
    { key: 'a', value: 'A' },
    { key: 'c', value: 'C' },
  ]);
  const closed = now<null>((d) => t.put('x', 'y', d));
  assert.ok(!closed.ok && closed.error.code === 'txn-closed');
});

const TRANSACTIONS = new URL(
  '../../../../test/systems/sql/testdata/transactions.txt',
  import.meta.url,
);

for (const m of MEMORY_KV_MUTANTS) {
  test(`the transactions transcript fails on ${m}`, () => {
    const source = readFileSync(TRANSACTIONS, 'utf8');
    assert.throws(
      () => runTranscriptText('transactions.txt', source, new SqlTranscriptEnv({ kv: m })),
      (e: unknown) => e instanceof TranscriptError && e.code === 'mismatch',
    );
  });
}
