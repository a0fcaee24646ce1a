/**
 * How a Zab leader brings a follower in line (sync-plan.ts), at the edges of its window: DIFF
 * and TRUNC only while the follower's position is within `window` entries of the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpLogStore, type StoreOp } from '../../../src/core/storage.js';
import { ZabHistory } from '../../../src/protocols/zab/history.js';
import { planSync } from '../../../src/protocols/zab/sync-plan.js';
import type { Zxid } from '../../../src/protocols/zab/zxid.js';

class MemoryStore extends OpLogStore {
  unsyncedWrites = 0;
  protected keep(_op: StoreOp): void {}
  sync(onDurable: () => void): void {
    onDurable();
  }
}

/** The leader's history: 1.1 1.2 2.1 2.2 2.3. */
function leader(): ZabHistory {
  const h = new ZabHistory(new MemoryStore());
  h.load();
  const zs: Zxid[] = [
    [1, 1],
    [1, 2],
    [2, 1],
    [2, 2],
    [2, 3],
  ];
  zs.forEach((z, i) => h.append({ z, txn: { client: 'c', seq: i, op: null } }));
  return h;
}

test("sync: TRUNC back to the leader's last zxid of the follower's epoch, at the window's edge", () => {
  // The follower holds 1.3, a proposal of epoch 1 the leader never got: cut back to 1.2.
  assert.deepEqual(planSync(leader(), [1, 3], 3), { mode: 'trunc', base: [1, 2], from: 2 });
});

test('sync: TRUNC past the window is a SNAP', () => {
  assert.deepEqual(planSync(leader(), [1, 3], 2), { mode: 'snap', base: [0, 0], from: 0 });
});

test("sync: DIFF at the window's edge, SNAP past it", () => {
  assert.deepEqual(planSync(leader(), [1, 2], 3), { mode: 'diff', base: [1, 2], from: 2 });
  assert.deepEqual(planSync(leader(), [1, 2], 2), { mode: 'snap', base: [0, 0], from: 0 });
  assert.deepEqual(planSync(leader(), [2, 3], 0), { mode: 'diff', base: [2, 3], from: 5 });
});

test('sync: a follower whose epoch precedes the whole history is a SNAP', () => {
  assert.deepEqual(planSync(leader(), [0, 5], 10), { mode: 'snap', base: [0, 0], from: 0 });
});

test('sync: a follower ahead in an epoch the leader has nothing of is a SNAP', () => {
  assert.deepEqual(planSync(leader(), [3, 1], 10), { mode: 'snap', base: [0, 0], from: 0 });
});
