/** The follower's reorder buffer and the leader's commit point, on their own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitPoint } from '../../../src/protocols/zab/commit-point.js';
import { ReorderBuffer, type Proposal } from '../../../src/protocols/zab/reorder-buffer.js';
import type { Zxid } from '../../../src/protocols/zab/zxid.js';

const proposal = (prev: Zxid, zxid: Zxid): Proposal => ({
  type: 'proposal',
  epoch: 1,
  zxid,
  prev,
  txn: { client: 'c', seq: zxid[1], op: null },
});

test('proposals that arrive out of order come out in order, within the bound', () => {
  const b = new ReorderBuffer(2);
  b.hold(proposal([1, 2], [1, 3]));
  b.hold(proposal([1, 1], [1, 2]));
  b.hold(proposal([1, 3], [1, 4])); // over the bound: dropped (the leader resends it)
  assert.equal(b.size, 2);
  assert.equal(b.next([1, 0]), undefined);
  assert.deepEqual(b.next([1, 1])?.zxid, [1, 2]);
  assert.deepEqual(b.next([1, 2])?.zxid, [1, 3]);
  assert.equal(b.next([1, 3]), undefined);
  assert.equal(b.size, 0);
});

const CASES: readonly { acks: Zxid[]; needed: number; point: Zxid | undefined }[] = [
  // Three of five hold (1,4): commit through it, not through (1,7).
  {
    acks: [
      [1, 7],
      [1, 4],
      [1, 9],
      [1, 2],
      [0, 0],
    ],
    needed: 3,
    point: [1, 4],
  },
  // A later epoch's ack orders after any earlier epoch's.
  {
    acks: [
      [2, 1],
      [1, 9],
      [2, 3],
    ],
    needed: 2,
    point: [2, 1],
  },
  // Fewer acks than needed: nothing.
  { acks: [[1, 1]], needed: 2, point: undefined },
];

for (const c of CASES) {
  test(`commit point of ${JSON.stringify(c.acks)} with ${c.needed} needed`, () => {
    assert.deepEqual(commitPoint(c.acks, c.needed), c.point);
  });
}
