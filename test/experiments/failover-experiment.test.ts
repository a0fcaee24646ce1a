/**
 * failover: crash a range's leaseholder and the range serves committed transactions again
 * within a Raft election and a few retries — far inside the seed's 10 s; with a majority of the
 * range's replicas down, nothing fails over and the measurement says so instead of inventing a
 * time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView } from '../../src/core/node.js';
import { getExperiment } from '../../src/experiments/registry.js';
import {
  CLAIM_MS,
  leaseholderOf,
  runFailover,
  type FailoverRun,
} from '../../src/experiments/txn-failover.js';

test('failover: the leaseholder is the replica whose view leads the range, at the highest term', () => {
  const view = (role: string, term: number): NodeView => ({
    role: 'follower',
    ranges: { r1: { role, term, commit: 3 } },
  });
  const views = new Map([
    ['n1', view('leader', 2)],
    ['n2', view('leader', 3)],
    ['n3', view('follower', 3)],
  ]);
  assert.deepEqual(leaseholderOf(views, 'r1'), { node: 'n2', term: 3 });
  assert.equal(leaseholderOf(views, 'r2'), null);
  assert.equal(leaseholderOf(new Map([['n1', { role: 'leader' }]]), 'r1'), null);
});

test('failover: quick run — every crash is followed by a new leader and a committed transaction within 10 s', () => {
  const e = getExperiment('failover');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  const rows = r.rows as unknown as FailoverRun[];
  assert.equal(rows.length, 8);
  for (const x of rows) {
    assert.equal(x.verdict, 'valid', `seed ${x.seed}`);
    assert.ok(x.electedMs !== null && x.failoverMs !== null, JSON.stringify(x));
    assert.notEqual(x.newLeaseholder, x.leaseholder);
    // A transaction on the range needs its new leader: it cannot commit before one is elected
    // (the views are read every 5 ms).
    assert.ok(x.failoverMs >= x.electedMs - 5, JSON.stringify(x));
    assert.ok(x.failoverMs < CLAIM_MS);
  }
  assert.ok(
    new Set(rows.map((x) => x.range)).size > 1,
    'the runs crashed the leaseholder of one range only',
  );
  assert.equal(r.verdict, 'supported');
});

test('failover: with the range’s majority down, no leader and no committed transaction on it', () => {
  const x = runFailover(1, 1);
  assert.equal(x.electedMs, null, JSON.stringify(x));
  assert.equal(x.failoverMs, null, JSON.stringify(x));
});
