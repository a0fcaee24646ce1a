import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderSpans, SnapshotStore, type NodeSnapshot } from '../../lab/src/snapshots.js';

const snap = (t: number, view: NodeSnapshot['view'], status: NodeSnapshot['status'] = 'up') => ({
  t,
  status,
  view,
  clockOffset: 0,
});

test('a snapshot is kept only when the state changed, and found by time', () => {
  const store = new SnapshotStore(['n1']);
  assert.equal(store.record('n1', snap(0, { role: 'follower', term: 1 })), true);
  assert.equal(store.record('n1', snap(1, { role: 'follower', term: 1 })), false);
  assert.equal(store.record('n1', snap(5, { role: 'leader', term: 2 })), true);
  assert.equal(store.size, 2);
  assert.equal(store.at('n1', 4.9)?.view?.role, 'follower');
  assert.equal(store.at('n1', 5)?.view?.role, 'leader');
  assert.equal(store.at('n1', -1), undefined);
  assert.equal(store.at('n9', 3), undefined);
  assert.throws(() => store.record('n9', snap(0, {})), /unknown node n9/);
});

test('memory stays bounded: past the cap, history is thinned but still spans the run', () => {
  const store = new SnapshotStore(['n1'], 100);
  for (let t = 0; t < 1000; t++) store.record('n1', snap(t, { n: t }));
  const all = store.all('n1');
  assert.ok(all.length <= 100, `${all.length} snapshots kept`);
  assert.equal(all[0]!.t, 0);
  assert.equal(all[all.length - 1]!.t, 999, 'the current state is always kept');
  for (let i = 1; i < all.length; i++) assert.ok(all[i]!.t > all[i - 1]!.t);
  // A lookup between kept snapshots answers with the latest earlier one.
  const between = store.at('n1', 500)!;
  const next = all.find((x) => x.t > 500)!;
  assert.ok(between.t <= 500 && all.indexOf(next) === all.indexOf(between) + 1);
});

test('leader spans follow role and term, and end when the leader crashes', () => {
  const store = new SnapshotStore(['n1', 'n2']);
  store.record('n1', snap(0, { role: 'follower', term: 0 }));
  store.record('n1', snap(10, { role: 'leader', term: 1 }));
  store.record('n1', snap(50, null, 'down'));
  store.record('n2', snap(0, { role: 'follower', term: 0 }));
  store.record('n2', snap(70, { role: 'leader', term: 2 }));
  store.record('n2', snap(90, { role: 'leader', term: 3 }));
  assert.deepEqual(leaderSpans(store), [
    { node: 'n1', start: 10, end: 50, term: 1 },
    { node: 'n2', start: 70, end: 90, term: 2 },
    { node: 'n2', start: 90, end: Infinity, term: 3 },
  ]);
});
