import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TxnRecordError, TxnRecords, outranks } from '../../../src/protocols/mvcc/txn-records.js';

const ts = (wall: number) => ({ wall, logical: 0 });

test('txn records: commit and abort race through one record; whichever is applied first wins', () => {
  const r = new TxnRecords(1_000);
  r.begin('t1', 'k', 5, 0);
  assert.equal(r.commit('t1', ts(10)).status, 'committed');
  assert.equal(r.rollback('t1')?.status, 'committed');
  assert.equal(r.push('t1', 'k', { id: 'z', priority: 99 }, 0).record.status, 'committed');
  r.begin('t2', 'k', 5, 0);
  assert.equal(r.push('t2', 'k', { id: 'z', priority: 99 }, 0).record.status, 'aborted');
  assert.equal(r.commit('t2', ts(10)).status, 'aborted');
  // begin after an abort learns it
  assert.equal(r.begin('t2', 'k', 5, 0).status, 'aborted');
});

test('txn records: a push waits for a live holder of higher priority, and aborts it once its heartbeat is stale', () => {
  const r = new TxnRecords(1_000);
  r.begin('hi', 'k', 9, 0);
  assert.equal(r.push('hi', 'k', { id: 'lo', priority: 1 }, 500).kind, 'wait');
  r.heartbeat('hi', 900);
  assert.equal(r.push('hi', 'k', { id: 'lo', priority: 1 }, 1_800).kind, 'wait');
  const p = r.push('hi', 'k', { id: 'lo', priority: 1 }, 1_901);
  assert.equal(p.kind === 'status' && p.record.status, 'aborted');
});

test('txn records: equal priorities are ordered by id, so two transactions pushing each other never both wait', () => {
  const r = new TxnRecords(1_000);
  const a = r.begin('a', 'k', 3, 0);
  const b = r.begin('b', 'k', 3, 0);
  assert.notEqual(outranks({ id: 'a', priority: 3 }, b), outranks({ id: 'b', priority: 3 }, a));
  const waits = [
    r.push('a', 'k', { id: 'b', priority: 3 }, 1).kind,
    r.push('b', 'k', { id: 'a', priority: 3 }, 1).kind,
  ];
  assert.ok(waits.includes('status'), `both waited: ${waits.join(',')}`);
});

test('txn records: a push finding no record aborts the transaction for good; a commit without begin is refused', () => {
  const r = new TxnRecords(1_000);
  assert.equal(r.push('ghost', 'k', { id: 'p', priority: 1 }, 0).record.status, 'aborted');
  assert.equal(r.begin('ghost', 'k', 1, 0).status, 'aborted');
  assert.throws(() => r.commit('never', ts(1)), TxnRecordError);
  r.begin('c', 'k', 1, 0);
  r.commit('c', ts(5));
  assert.throws(() => r.commit('c', ts(6)), TxnRecordError);
  assert.equal(r.commit('c', ts(5)).status, 'committed');
  assert.throws(() => new TxnRecords(0), TxnRecordError);
});
