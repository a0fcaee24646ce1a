import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MvccInvariantError, MvccStore } from '../../../src/protocols/mvcc/mvcc-store.js';
import type { Timestamp, TxnMeta } from '../../../src/protocols/mvcc/mvcc-types.js';

const ts = (wall: number, logical = 0): Timestamp => ({ wall, logical });
const txn = (id: string, wall: number, epoch = 0): TxnMeta => ({
  id,
  anchor: `anchor/${id}`,
  epoch,
  writeTs: ts(wall),
  priority: 1,
});

/** Writes `value` to `key` in a transaction of its own, committed at `wall`. */
function commitAt(
  store: MvccStore,
  key: string,
  value: string | null,
  wall: number,
  id = `w${wall}`,
): void {
  const w = store.put(key, value, txn(id, wall));
  assert.equal(w.kind, 'written');
  assert.ok(store.resolve(key, id, { commitTs: ts(wall) }));
}

test('mvcc reads: the newest version at or below the read timestamp; a deletion reads as nothing', () => {
  const s = new MvccStore();
  commitAt(s, 'k', 'a', 10);
  commitAt(s, 'k', 'b', 20);
  commitAt(s, 'k', null, 30);
  assert.deepEqual(s.get('k', { ts: ts(5) }), { kind: 'value', value: null, ts: null });
  assert.deepEqual(s.get('k', { ts: ts(15) }), { kind: 'value', value: 'a', ts: ts(10) });
  assert.deepEqual(s.get('k', { ts: ts(20) }), { kind: 'value', value: 'b', ts: ts(20) });
  assert.deepEqual(s.get('k', { ts: ts(31) }), { kind: 'value', value: null, ts: ts(30) });
});

test('mvcc uncertainty: a value above the read timestamp but inside the window restarts the read; above the window it is not seen', () => {
  const s = new MvccStore();
  commitAt(s, 'k', 'a', 10);
  commitAt(s, 'k', 'b', 20);
  assert.deepEqual(s.get('k', { ts: ts(15), uncertaintyLimit: ts(25) }), {
    kind: 'uncertain',
    valueTs: ts(20),
  });
  assert.deepEqual(s.get('k', { ts: ts(15), uncertaintyLimit: ts(19) }), {
    kind: 'value',
    value: 'a',
    ts: ts(10),
  });
  // the mutant reads the stale value where the real rule restarts
  const m = new MvccStore('ignore-uncertainty');
  commitAt(m, 'k', 'a', 10);
  commitAt(m, 'k', 'b', 20);
  assert.deepEqual(m.get('k', { ts: ts(15), uncertaintyLimit: ts(25) }), {
    kind: 'value',
    value: 'a',
    ts: ts(10),
  });
});

test('mvcc intents: a transaction reads its own intent of its epoch; others meet the intent if it is at or below their window', () => {
  const s = new MvccStore();
  commitAt(s, 'k', 'old', 5);
  const t = txn('t', 10);
  assert.equal(s.put('k', 'mine', t).kind, 'written');
  assert.deepEqual(s.get('k', { ts: ts(12), txn: t }), {
    kind: 'value',
    value: 'mine',
    ts: ts(10),
  });
  // a restarted attempt (next epoch) does not see the earlier attempt's write
  assert.deepEqual(s.get('k', { ts: ts(12), txn: { ...t, epoch: 1 } }), {
    kind: 'value',
    value: 'old',
    ts: ts(5),
  });
  const other = s.get('k', { ts: ts(12) });
  assert.equal(other.kind, 'intent');
  assert.equal(other.kind === 'intent' && other.intent.txn.id, 't');
  assert.equal(s.get('k', { ts: ts(8), uncertaintyLimit: ts(10) }).kind, 'intent');
  assert.deepEqual(s.get('k', { ts: ts(8), uncertaintyLimit: ts(9) }), {
    kind: 'value',
    value: 'old',
    ts: ts(5),
  });
  // a second writer meets the intent
  const w = s.put('k', 'theirs', txn('u', 11));
  assert.equal(w.kind === 'intent' && w.intent.txn.id, 't');
});

test('mvcc intents: an uncertainty limit below the read timestamp (a restarted transaction) still meets intents at or below the read', () => {
  const s = new MvccStore();
  s.put('k', 'x', txn('t', 20));
  assert.equal(s.get('k', { ts: ts(25), uncertaintyLimit: ts(10) }).kind, 'intent');
});

test('mvcc write-too-old: a write at or below a committed version moves above it', () => {
  const s = new MvccStore();
  commitAt(s, 'k', 'a', 20);
  assert.deepEqual(s.put('k', 'b', txn('t', 15)), {
    kind: 'written',
    writeTs: ts(20, 1),
    pushed: true,
  });
  assert.deepEqual(s.intentOf('k')?.txn.writeTs, ts(20, 1));
});

test("mvcc timestamp cache: a write below another transaction's read moves above it; the reader's own write does not", () => {
  const s = new MvccStore();
  const reader = txn('r', 30);
  assert.equal(s.get('k', { ts: ts(30), txn: reader }).kind, 'value');
  assert.deepEqual(s.put('k', 'x', txn('w', 25)), {
    kind: 'written',
    writeTs: ts(30, 1),
    pushed: true,
  });
  const s2 = new MvccStore();
  s2.get('k', { ts: ts(30), txn: reader });
  assert.deepEqual(s2.put('k', 'x', reader), { kind: 'written', writeTs: ts(30), pushed: false });
  // scans protect the keys they did not find too (phantoms)
  const s3 = new MvccStore();
  assert.deepEqual(s3.scan('a', 'm', { ts: ts(40) }), { kind: 'rows', rows: [] });
  assert.deepEqual(s3.put('g', 1, txn('w', 35)), {
    kind: 'written',
    writeTs: ts(40, 1),
    pushed: true,
  });
  assert.deepEqual(s3.put('z', 1, txn('w2', 35)), {
    kind: 'written',
    writeTs: ts(35),
    pushed: false,
  });
  // the mutant lets the write in below the read
  const m = new MvccStore('no-timestamp-cache');
  m.get('k', { ts: ts(30) });
  assert.deepEqual(m.put('k', 'x', txn('w', 25)), {
    kind: 'written',
    writeTs: ts(25),
    pushed: false,
  });
});

test('mvcc resolve: commit makes a version at the commit timestamp, abort removes the intent, a repeat answers false', () => {
  const s = new MvccStore();
  s.put('a', 1, txn('t', 10));
  s.put('b', 2, txn('t', 10));
  assert.deepEqual(s.intentKeysOf('t'), ['a', 'b']);
  assert.ok(s.resolve('a', 't', { commitTs: ts(12) }));
  assert.ok(s.resolve('b', 't', 'abort'));
  assert.equal(s.resolve('a', 't', { commitTs: ts(12) }), false);
  assert.deepEqual(s.get('a', { ts: ts(12) }), { kind: 'value', value: 1, ts: ts(12) });
  assert.deepEqual(s.get('a', { ts: ts(11) }), { kind: 'value', value: null, ts: null });
  assert.deepEqual(s.get('b', { ts: ts(99) }), { kind: 'value', value: null, ts: null });
  assert.deepEqual(s.scan('', null, { ts: ts(99) }), {
    kind: 'rows',
    rows: [{ key: 'a', value: 1, ts: ts(12) }],
  });
});

test('mvcc invariants: a commit below its intent, or not above the latest version, is refused loudly', () => {
  const s = new MvccStore();
  s.put('k', 1, txn('t', 10));
  assert.throws(() => s.resolve('k', 't', { commitTs: ts(9) }), MvccInvariantError);
});

test('mvcc scans: rows in key order; an intent or an uncertain value stops the scan and names the key', () => {
  const s = new MvccStore();
  commitAt(s, 'b', 'B', 10);
  commitAt(s, 'a', 'A', 10);
  commitAt(s, 'c', 'C', 30);
  s.put('d', 'D', txn('t', 12));
  assert.deepEqual(s.scan('a', 'c', { ts: ts(20) }), {
    kind: 'rows',
    rows: [
      { key: 'a', value: 'A', ts: ts(10) },
      { key: 'b', value: 'B', ts: ts(10) },
    ],
  });
  assert.deepEqual(s.scan('a', null, { ts: ts(20), uncertaintyLimit: ts(35) }), {
    kind: 'uncertain',
    key: 'c',
    valueTs: ts(30),
  });
  const stopped = s.scan('d', null, { ts: ts(20) });
  assert.equal(stopped.kind === 'intent' && stopped.key, 'd');
});

test('mvcc refresh: a read span refreshes to a later timestamp only if nothing was written into it meanwhile', () => {
  const s = new MvccStore();
  commitAt(s, 'k', 'a', 10);
  assert.ok(s.refreshableKey('k', ts(15), ts(25), 't'));
  commitAt(s, 'k', 'b', 20);
  assert.equal(s.refreshableKey('k', ts(15), ts(25), 't'), false);
  assert.ok(s.refreshableKey('k', ts(20), ts(25), 't'));
  s.put('m', 1, txn('u', 24));
  assert.equal(s.refreshable('a', 'z', ts(20), ts(25), 't'), false);
  assert.ok(s.refreshable('a', 'z', ts(20), ts(23), 't'));
  assert.ok(s.refreshable('a', 'z', ts(20), ts(25), 'u'));
});
