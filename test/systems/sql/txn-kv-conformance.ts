/**
 * What any TxnKv must do for the SQL layer, as a suite a store is run through: the in-memory
 * store now (txn-kv-conformance.test.ts), the distributed database's adapter when it exists.
 * Calls go through promises, so a store whose callbacks come later works as long as they come
 * on their own (a simulated cluster needs a driver that runs the simulation meanwhile).
 */
import assert from 'node:assert/strict';
import type {
  KvDone,
  KvPair,
  KvResult,
  TxnHandle,
  TxnKv,
} from '../../../src/systems/sql/txn-kv.js';

const call = <T>(f: (done: KvDone<T>) => void): Promise<KvResult<T>> =>
  new Promise((resolve) => f(resolve));

async function ok<T>(p: Promise<KvResult<T>>, what: string): Promise<T> {
  const r = await p;
  assert.ok(r.ok, `${what}: ${r.ok ? '' : `${r.error.code} ${r.error.message}`}`);
  return r.value;
}

async function begin(kv: TxnKv): Promise<TxnHandle> {
  return ok(
    call<TxnHandle>((d) => kv.begin(d)),
    'begin',
  );
}

const get = (t: TxnHandle, k: string): Promise<KvResult<string | null>> => call((d) => t.get(k, d));
const scan = (t: TxnHandle, s: string, e: string, l = 0): Promise<KvResult<readonly KvPair[]>> =>
  call((d) => t.scan(s, e, l, d));
const put = (t: TxnHandle, k: string, v: string): Promise<KvResult<null>> =>
  call((d) => t.put(k, v, d));
const del = (t: TxnHandle, k: string): Promise<KvResult<null>> => call((d) => t.delete(k, d));
const commit = (t: TxnHandle): Promise<KvResult<null>> => call((d) => t.commit(d));

/** Each case names what it checks; run them with a fresh store each. */
export const CONFORMANCE: Readonly<Record<string, (kv: TxnKv) => Promise<void>>> = {
  'a transaction reads its own writes and deletes, in scans too': async (kv) => {
    const t = await begin(kv);
    await ok(put(t, '/t/a', 'A'), 'put');
    await ok(put(t, '/t/b', 'B'), 'put');
    await ok(put(t, '/t/c', 'C'), 'put');
    await ok(del(t, '/t/b'), 'delete');
    assert.equal(await ok(get(t, '/t/a'), 'get'), 'A');
    assert.equal(await ok(get(t, '/t/b'), 'get'), null);
    assert.deepEqual(await ok(scan(t, '/t/', '/t0'), 'scan'), [
      { key: '/t/a', value: 'A' },
      { key: '/t/c', value: 'C' },
    ]);
    await ok(commit(t), 'commit');
  },
  'a scan is in key order, bounded by [start, end) and its limit': async (kv) => {
    const w = await begin(kv);
    for (const k of ['/t/3', '/t/1', '/t/2', '/u/1', '/s/1']) await ok(put(w, k, k), 'put');
    await ok(commit(w), 'commit');
    const t = await begin(kv);
    const all = await ok(scan(t, '/t/', '/t0'), 'scan');
    assert.deepEqual(
      all.map((p) => p.key),
      ['/t/1', '/t/2', '/t/3'],
    );
    const two = await ok(scan(t, '/t/', '/t0', 2), 'scan');
    assert.deepEqual(
      two.map((p) => p.key),
      ['/t/1', '/t/2'],
    );
    const mid = await ok(scan(t, '/t/2', '/t/3'), 'scan');
    assert.deepEqual(
      mid.map((p) => p.key),
      ['/t/2'],
    );
    await ok(commit(t), 'commit');
  },
  'uncommitted writes are invisible to others, committed ones visible to later transactions':
    async (kv) => {
      const a = await begin(kv);
      await ok(put(a, '/t/x', '1'), 'put');
      const b = await begin(kv);
      assert.equal(await ok(get(b, '/t/x'), 'get'), null);
      await ok(commit(b), 'commit b');
      await ok(commit(a), 'commit a');
      const c = await begin(kv);
      assert.equal(await ok(get(c, '/t/x'), 'get'), '1');
      await ok(commit(c), 'commit c');
    },
  'a lost update is refused with retry': async (kv) => {
    const s = await begin(kv);
    await ok(put(s, '/t/n', '0'), 'put');
    await ok(commit(s), 'commit');
    const a = await begin(kv);
    const b = await begin(kv);
    await ok(get(a, '/t/n'), 'get a');
    await ok(get(b, '/t/n'), 'get b');
    // Either may be refused, at a write, a read or its commit: not both may commit.
    const ra = (await put(a, '/t/n', 'a')).ok ? await commit(a) : { ok: false as const };
    const rb = (await put(b, '/t/n', 'b')).ok ? await commit(b) : { ok: false as const };
    assert.ok(!(ra.ok && rb.ok), 'both read-modify-writes committed');
    for (const r of [ra, rb]) if (!r.ok && 'error' in r) assert.equal(r.error.code, 'retry');
  },
  'write skew over a scanned span is refused with retry': async (kv) => {
    const a = await begin(kv);
    const b = await begin(kv);
    await ok(scan(a, '/t/', '/t0'), 'scan a');
    await ok(scan(b, '/t/', '/t0'), 'scan b');
    // Each writes into the span the other read: serializable allows at most one.
    const ra = (await put(a, '/t/1', 'a')).ok ? await commit(a) : { ok: false as const };
    const rb = (await put(b, '/t/2', 'b')).ok ? await commit(b) : { ok: false as const };
    assert.ok(!(ra.ok && rb.ok), 'both committed');
    for (const r of [ra, rb]) if (!r.ok && 'error' in r) assert.equal(r.error.code, 'retry');
  },
  'a closed transaction refuses further calls with txn-closed': async (kv) => {
    const t = await begin(kv);
    await ok(commit(t), 'commit');
    const r = await get(t, '/t/x');
    assert.ok(!r.ok && r.error.code === 'txn-closed');
  },
  'rolled back writes are gone': async (kv) => {
    const t = await begin(kv);
    await ok(put(t, '/t/r', 'x'), 'put');
    await ok(
      call<null>((d) => t.rollback(d)),
      'rollback',
    );
    const u = await begin(kv);
    assert.equal(await ok(get(u, '/t/r'), 'get'), null);
    await ok(commit(u), 'commit');
  },
  'later transactions get later timestamps': async (kv) => {
    const a = await begin(kv);
    await ok(commit(a), 'commit');
    const b = await begin(kv);
    const [x, y] = [a.timestamp(), b.timestamp()];
    assert.ok(y.wallMs > x.wallMs || (y.wallMs === x.wallMs && y.logical > x.logical));
    await ok(commit(b), 'commit');
  },
};
