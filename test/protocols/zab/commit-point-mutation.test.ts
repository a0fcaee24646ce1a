/**
 * Zab's commit rule and zxid order (commit-point.ts, zxid.ts) pinned on the functions
 * themselves: a leader commits the highest zxid that a quorum has acknowledged, and zxids
 * order first by epoch, then by counter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitPoint } from '../../../src/protocols/zab/commit-point.js';
import {
  compareZxid,
  maxZxid,
  ZXID_ZERO,
  zxidKey,
  type Zxid,
} from '../../../src/protocols/zab/zxid.js';

test('zxid order: epoch first, then counter', () => {
  assert.ok(compareZxid([2, 1], [1, 9]) > 0, 'a later epoch wins over a larger counter');
  assert.ok(compareZxid([1, 9], [2, 1]) < 0);
  assert.ok(compareZxid([3, 4], [3, 5]) < 0);
  assert.ok(compareZxid([3, 6], [3, 5]) > 0);
  assert.equal(compareZxid([3, 5], [3, 5]), 0);
  assert.deepEqual(ZXID_ZERO, [0, 0]);
  assert.equal(zxidKey([7, 12]), '7.12');
});

test('maxZxid keeps the later zxid, the first on a tie', () => {
  const a: Zxid = [1, 4];
  const b: Zxid = [1, 4];
  assert.deepEqual(maxZxid([2, 0], [1, 9]), [2, 0]);
  assert.deepEqual(maxZxid([1, 9], [2, 0]), [2, 0]);
  assert.equal(maxZxid(a, b), a);
});

test('commit point: the quorum-th highest acknowledged zxid', () => {
  const acks: Zxid[] = [
    [1, 3],
    [2, 1],
    [1, 9],
    [1, 1],
    [2, 2],
  ];
  assert.deepEqual(commitPoint(acks, 3), [1, 9], 'three of five hold at least 1.9');
  assert.deepEqual(commitPoint(acks, 1), [2, 2]);
  assert.deepEqual(commitPoint(acks, 5), [1, 1]);
  assert.equal(commitPoint(acks.slice(0, 2), 3), undefined, 'fewer acks than a quorum');
});

test('commit point leaves the acknowledgements as they were', () => {
  const acks: Zxid[] = [
    [1, 1],
    [1, 3],
    [1, 2],
  ];
  commitPoint(acks, 2);
  assert.deepEqual(acks, [
    [1, 1],
    [1, 3],
    [1, 2],
  ]);
});
