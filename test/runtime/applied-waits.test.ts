/**
 * AppliedWaits (src/runtime/applied-waits.ts) against a stand-in node: an answer waits until the
 * node has applied the leader's entry, the leader's position lets a node that holds the entry
 * commit at once, waits end in index order, and time out or close with done(false).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppliesLog } from '../../src/core/node.js';
import { AppliedWaits } from '../../src/runtime/applied-waits.js';
import { until } from '../support/wait.js';

/** A log of `held` entries (term 2 each), committed and applied through `applied`. */
class StandIn implements AppliesLog {
  applied = 0;
  held = 0;
  readonly learned: [number, number][] = [];
  appliedEntry(): { index: number; term: number } {
    return { index: this.applied, term: 2 };
  }
  learnCommitted(index: number, term: number): void {
    this.learned.push([index, term]);
    if (term === 2 && index <= this.held && index > this.applied) this.applied = index;
  }
}

function setup(): { node: StandIn; waits: AppliedWaits; steps: () => number } {
  const node = new StandIn();
  let steps = 0;
  const waits = new AppliedWaits(
    () => node,
    (fn) => {
      steps++;
      fn();
      waits.check();
    },
  );
  return { node, waits, steps: () => steps };
}

test('an entry already applied, or held and now known committed, ends the wait at once', () => {
  const { node, waits, steps } = setup();
  node.applied = 5;
  node.held = 9;
  const done: boolean[] = [];
  waits.wait(5, 2, 1000, (ok) => done.push(ok));
  assert.deepEqual(done, [true]);
  assert.equal(steps(), 0, 'nothing to learn: the node is not called');
  waits.wait(8, 2, 1000, (ok) => done.push(ok));
  assert.deepEqual(done, [true, true]);
  assert.deepEqual(node.learned, [[8, 2]]);
  assert.equal(node.applied, 8);
  assert.equal(waits.waiting, 0);
  assert.deepEqual(waits.stats, { immediate: 2, waited: 0, timedOut: 0 });
});

test('waits for entries not held yet end as the node applies them, in index order', () => {
  const { node, waits } = setup();
  const done: number[] = [];
  for (const i of [7, 3, 5, 3]) waits.wait(i, 2, 1000, () => done.push(i));
  assert.equal(waits.waiting, 4);
  node.applied = 4;
  waits.check();
  assert.deepEqual(done, [3, 3]);
  node.applied = 7;
  waits.check();
  assert.deepEqual(done, [3, 3, 5, 7]);
  assert.equal(waits.waiting, 0);
});

test('a wait times out, can be abandoned, and close ends the rest with false', async () => {
  const { node, waits } = setup();
  const done: [string, boolean][] = [];
  waits.wait(10, 2, 20, (ok) => done.push(['timed', ok]));
  const abandon = waits.wait(11, 2, 1000, (ok) => done.push(['abandoned', ok]));
  waits.wait(12, 2, 1000, (ok) => done.push(['closed', ok]));
  abandon();
  await until(() => done.length > 0, { what: 'the 20 ms wait to time out' });
  assert.deepEqual(done, [['timed', false]]);
  node.applied = 11;
  waits.check();
  assert.deepEqual(done, [['timed', false]], 'neither the abandoned nor a later one ends');
  waits.close();
  assert.deepEqual(done, [
    ['timed', false],
    ['closed', false],
  ]);
  assert.equal(waits.stats.timedOut, 1);
});

test('with no node that applies a log there is nothing to wait for', () => {
  const waits = new AppliedWaits(
    () => undefined,
    () => assert.fail('no protocol code runs'),
  );
  let done: boolean | undefined;
  waits.wait(3, 1, 1000, (ok) => (done = ok));
  assert.equal(done, true);
});
