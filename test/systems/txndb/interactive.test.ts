/**
 * Interactive transactions on the gateway (txn-sessions.ts): the client sees each step's results
 * before choosing the next; a restart it cannot be spared ends the transaction with `retry`;
 * a session whose client went quiet is rolled back. Mutants: `hide-restarts` (a restart after
 * results were shown is silent: a lost update) and `no-idle-expiry` (an abandoned session keeps
 * its intents).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { TxnSession } from '../../../src/systems/txndb/txn-sessions.js';
import { TxnHarness, type HarnessOptions } from './txn-harness.js';

function handleOf(r: { ok: boolean; value?: Json }): string {
  assert.ok(r.ok && typeof r.value === 'string', JSON.stringify(r));
  return r.value;
}

test('a client steps through a transaction, seeing each result, and commits', () => {
  const h = new TxnHarness();
  const txn = handleOf(h.request('n1', { f: 'txn-begin' }));
  const first = h.request('n1', {
    f: 'txn-step',
    txn,
    value: [
      ['r', 'k01', null],
      ['r', 'k05', null],
    ],
  });
  assert.deepEqual(first, {
    ok: true,
    value: [
      ['r', 'k01', null],
      ['r', 'k05', null],
    ],
  });
  const second = h.request('n1', {
    f: 'txn-step',
    txn,
    value: [
      ['w', 'k01', 5],
      ['w', 'k09', 7],
    ],
  });
  assert.ok(second.ok, JSON.stringify(second));
  // Not visible before the commit: another transaction reads the old values (or waits).
  assert.deepEqual(h.request('n1', { f: 'txn-commit', txn }), { ok: true, value: 'committed' });
  assert.deepEqual(h.read('n2', 'k01', 'k09'), [5, 7]);
  // The handle is gone once committed.
  const again = h.request('n1', { f: 'txn-step', txn, value: [['r', 'k01', null]] });
  assert.equal(again.ok, false);
  assert.equal(again.code, 'no-such-txn');
});

test('a rolled-back transaction leaves nothing; malformed and foreign requests get typed one-line errors', () => {
  const h = new TxnHarness();
  const txn = handleOf(h.request('n1', { f: 'txn-begin' }));
  assert.ok(h.request('n1', { f: 'txn-step', txn, value: [['w', 'k02', 1]] }).ok);
  const elsewhere = h.request('n2', { f: 'txn-commit', txn });
  assert.equal(elsewhere.code, 'no-such-txn');
  const bad = h.request('n1', { f: 'txn-step', txn, value: [['x', 'k02', 1]] });
  assert.equal(bad.code, 'malformed');
  assert.ok(!bad.ok && !bad.error.includes('\n') && bad.definite, JSON.stringify(bad));
  for (const op of [
    { f: 'txn-step', txn, value: [] },
    { f: 'txn-step', txn, value: [['r', 'k02', 3]] },
    { f: 'txn-commit' },
    { f: 'txn-begin', extra: 1 },
    { f: 'put', key: 'k', value: 'v' },
    'txn',
  ] as Json[]) {
    const r = h.request('n1', op);
    assert.equal(r.code, 'malformed', JSON.stringify(op));
  }
  assert.deepEqual(h.request('n1', { f: 'txn-rollback', txn }), {
    ok: true,
    value: 'rolled back',
  });
  assert.deepEqual(h.read('n3', 'k02'), [null]);
});

/**
 * A lost update, tried: A reads k01 (100) and will write 100 + 10; meanwhile B, one-shot, writes
 * 101. A's write lands above B's, its read cannot be refreshed past B's write, and A must not
 * commit what it computed from the old value.
 */
function lostUpdate(o: HarnessOptions = {}): { commit: Json; final: Json; retries: number } {
  const h = new TxnHarness(o);
  assert.ok(h.request('n1', { f: 'txn', value: [['w', 'k01', 100]] }).ok);
  const a = h.node('n1').transactions.begin();
  assert.ok(a instanceof TxnSession);
  const seen = h.settle((done) => a.step([['r', 'k01', null]], done));
  assert.deepEqual(seen, { ok: true, value: [['r', 'k01', 100]] });
  assert.ok(h.request('n2', { f: 'txn', value: [['w', 'k01', 101]] }).ok);
  const wrote = h.settle((done) => a.step([['w', 'k01', 110]], done));
  assert.ok(wrote.ok, JSON.stringify(wrote));
  const commit = h.settle((done) => a.commit(done));
  return {
    commit: commit as unknown as Json,
    final: h.read('n3', 'k01')[0]!,
    retries: h.metric('txn.retry.refresh'),
  };
}

test('a read that cannot be refreshed ends the interactive transaction with retry (reason refresh)', () => {
  const r = lostUpdate();
  assert.deepEqual(r.commit, {
    ok: false,
    error: 'restart transaction: a read could not be refreshed',
    definite: true,
    code: 'retry',
    reason: 'refresh',
  });
  assert.equal(r.final, 101);
  assert.equal(r.retries, 1);
});

test('mutant hide-restarts: the silent restart commits 110 over 101, a lost update', () => {
  const r = lostUpdate({ coordinator: { mutant: 'hide-restarts' } });
  assert.deepEqual(r.commit, { ok: true, value: 'committed' });
  assert.equal(r.final, 110);
});

/** A session writes k03 and its client goes quiet; later another transaction reads k03. */
function abandoned(o: HarnessOptions = {}): {
  open: number;
  expired: number;
  pushes: number;
  read: Json;
} {
  const h = new TxnHarness(o);
  const a = h.node('n1').transactions.begin();
  assert.ok(a instanceof TxnSession);
  assert.ok(h.settle((done) => a.step([['w', 'k03', 'abandoned']], done)).ok);
  h.runFor(6_000);
  const pushesBefore = h.metric('txn.push');
  const r = h.request('n2', { f: 'txn', value: [['r', 'k03', null]] });
  return {
    open: h.node('n1').transactions.openSessions,
    expired: h.metric('txn.session-expired'),
    pushes: h.metric('txn.push') - pushesBefore,
    read: r.ok ? (r.value as Json[][])[0]![2]! : `failed: ${r.error}`,
  };
}

test('an abandoned session is rolled back after its idle time: its intent is gone, a reader never pushes', () => {
  assert.deepEqual(abandoned(), { open: 0, expired: 1, pushes: 0, read: null });
});

test('mutant no-idle-expiry: the abandoned session stays open and its intent is in the reader’s way', () => {
  const r = abandoned({ sessions: { mutant: 'no-idle-expiry' } });
  assert.equal(r.open, 1);
  assert.equal(r.expired, 0);
  assert.ok(r.pushes > 0, JSON.stringify(r));
});

test('a step asked while another runs is refused as busy, and the first one still completes', () => {
  const h = new TxnHarness();
  const a = h.node('n1').transactions.begin();
  assert.ok(a instanceof TxnSession);
  let first: Json | undefined;
  a.step([['w', 'k06', 1]], (r) => (first = r as unknown as Json));
  const busy = h.settle((done) => a.step([['r', 'k06', null]], done));
  assert.equal(busy.ok ? 'ok' : busy.code, 'busy');
  h.until(() => first);
  assert.deepEqual(first, { ok: true, value: [['w', 'k06', 1]] });
  assert.deepEqual(
    h.settle((done) => a.commit(done)),
    { ok: true, value: 'committed' },
  );
});

/**
 * A reader on a slow clock (n3, 150 ms behind) begins; right after, a writer on a fast one (n1,
 * 150 ms ahead) writes k00: the value's timestamp is above the reader's but inside its
 * uncertainty window, so the reader's read of k00 restarts it above the value.
 */
function uncertainRead(stepFirst: boolean): { read: Json; restarts: number; retried: number } {
  const h = new TxnHarness();
  h.sim.setClock('n1', 150, 0);
  h.sim.setClock('n3', -150, 0);
  h.runFor(500);
  const reader = h.node('n3').transactions.begin();
  assert.ok(reader instanceof TxnSession);
  if (stepFirst) assert.ok(h.settle((done) => reader.step([['r', 'k05', null]], done)).ok);
  assert.ok(h.request('n1', { f: 'txn', value: [['w', 'k00', 'fresh']] }).ok);
  const r = h.settle((done) => reader.step([['r', 'k00', null]], done));
  return {
    read: r.ok ? (r.value as Json[][])[0]![2]! : (r.reason ?? r.code),
    restarts: h.metric('txn.uncertainty-restart'),
    retried: h.metric('txn.retry.uncertainty'),
  };
}

test('an uncertainty restart before the client saw anything is hidden: the read returns the newer value', () => {
  assert.deepEqual(uncertainRead(false), { read: 'fresh', restarts: 1, retried: 0 });
});

test('an uncertainty restart after the client saw a result ends the transaction with retry (reason uncertainty)', () => {
  assert.deepEqual(uncertainRead(true), { read: 'uncertainty', restarts: 1, retried: 1 });
});
