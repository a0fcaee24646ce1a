/**
 * The durable history: it survives a restart through the store, and refuses (with a typed
 * ZabInvariantError) what would break the log's zxid order or came back malformed from storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZabHistory } from '../../../src/protocols/zab/history.js';
import { ZabInvariantError } from '../../../src/protocols/zab/zab-assert.js';
import { SimDisk } from '../../../src/sim/disk.js';

const disk = () => new SimDisk({ scheduleSync: (_w, done) => done() });
const txn = { client: 'c', seq: 1, op: null };

function code(f: () => void): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ZabInvariantError) return e.code;
    throw e;
  }
  return undefined;
}

test('epochs and proposals come back after a restart; a cut drops the suffix', () => {
  const store = disk();
  const h = new ZabHistory(store);
  h.setAcceptedEpoch(3);
  h.setCurrentEpoch(2);
  h.append({ z: [1, 1], txn });
  h.append({ z: [2, 1], txn });
  h.append({ z: [2, 2], txn });
  h.truncateAfter(2);
  const again = new ZabHistory(store);
  again.load();
  assert.equal(again.acceptedEpoch, 3);
  assert.equal(again.currentEpoch, 2);
  assert.deepEqual([...again.lastZxid()], [2, 1]);
  assert.equal(again.positionOf([1, 1]), 1);
  assert.equal(again.positionOf([2, 2]), undefined);
});

test('an append out of zxid order is refused', () => {
  const h = new ZabHistory(disk());
  h.append({ z: [2, 1], txn });
  assert.equal(
    code(() => h.append({ z: [1, 9], txn })),
    'log-in-zxid-order',
  );
});

test('malformed stored state is refused on load', () => {
  const bad = disk();
  bad.put('zab/currentEpoch', 'two');
  assert.equal(
    code(() => new ZabHistory(bad).load()),
    'stored-state-well-formed',
  );
  const badEntry = disk();
  badEntry.append({ z: [1], txn });
  assert.equal(
    code(() => new ZabHistory(badEntry).load()),
    'stored-state-well-formed',
  );
  const unordered = disk();
  unordered.append({ z: [2, 1], txn }, { z: [1, 1], txn });
  assert.equal(
    code(() => new ZabHistory(unordered).load()),
    'log-in-zxid-order',
  );
});
