/** Which sync the leader picks for a follower, by the follower's last zxid (sync-plan.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZabHistory } from '../../../src/protocols/zab/history.js';
import { planSync } from '../../../src/protocols/zab/sync-plan.js';
import type { Zxid } from '../../../src/protocols/zab/zxid.js';
import { SimDisk } from '../../../src/sim/disk.js';

/** The leader's history: (1,1) (1,2) (1,3) (3,1) (3,2). */
function leaderHistory(): ZabHistory {
  const h = new ZabHistory(new SimDisk({ scheduleSync: (_w, done) => done() }));
  const zs: Zxid[] = [
    [1, 1],
    [1, 2],
    [1, 3],
    [3, 1],
    [3, 2],
  ];
  zs.forEach((z, i) => h.append({ z, txn: { client: 'c', seq: i, op: null } }));
  return h;
}

const CASES: readonly { follower: Zxid; window: number; mode: string; base: Zxid; from: number }[] =
  [
    { follower: [3, 2], window: 64, mode: 'diff', base: [3, 2], from: 5 },
    { follower: [1, 2], window: 64, mode: 'diff', base: [1, 2], from: 2 },
    { follower: [0, 0], window: 64, mode: 'diff', base: [0, 0], from: 0 },
    // (1,4) and (1,5) never committed: cut back to (1,3), then the rest.
    { follower: [1, 5], window: 64, mode: 'trunc', base: [1, 3], from: 3 },
    { follower: [3, 7], window: 64, mode: 'trunc', base: [3, 2], from: 5 },
    // Epoch 2 left nothing in the leader's history: replace the follower's.
    { follower: [2, 4], window: 64, mode: 'snap', base: [0, 0], from: 0 },
    // Too far behind the window.
    { follower: [1, 1], window: 2, mode: 'snap', base: [0, 0], from: 0 },
    { follower: [0, 0], window: 4, mode: 'snap', base: [0, 0], from: 0 },
  ];

for (const c of CASES) {
  test(`follower at ${c.follower.join('.')} (window ${c.window}): ${c.mode}`, () => {
    const p = planSync(leaderHistory(), c.follower, c.window);
    assert.deepEqual(
      { mode: p.mode, base: [...p.base], from: p.from },
      {
        mode: c.mode,
        base: c.base,
        from: c.from,
      },
    );
  });
}
