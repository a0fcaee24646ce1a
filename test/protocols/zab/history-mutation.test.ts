/**
 * A Zab server's durable history (history.ts): what it stores reads back, anything malformed
 * or out of zxid order is refused by code, and positions and truncation are exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { OpLogStore, type StoreOp } from '../../../src/core/storage.js';
import { ZabHistory } from '../../../src/protocols/zab/history.js';
import type { Entry } from '../../../src/protocols/zab/messages.js';
import { ZabInvariantError } from '../../../src/protocols/zab/zab-assert.js';
import type { Zxid } from '../../../src/protocols/zab/zxid.js';

class MemoryStore extends OpLogStore {
  unsyncedWrites = 0;
  protected keep(_op: StoreOp): void {}
  sync(onDurable: () => void): void {
    onDurable();
  }
}

const entry = (z: Zxid, seq = 1): Entry => ({ z, txn: { client: 'c', seq, op: null } });

function refused(fn: () => void, code: string, detail?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ZabInvariantError, String(e));
    assert.equal(e.code, code);
    if (detail !== undefined) assert.ok(e.message.includes(detail), e.message);
    return true;
  });
}

test('history: epochs and entries read back after a restart', () => {
  const s = new MemoryStore();
  const h = new ZabHistory(s);
  h.load();
  assert.equal(h.acceptedEpoch, 0);
  assert.equal(h.currentEpoch, 0);
  h.setAcceptedEpoch(3);
  h.setCurrentEpoch(2);
  h.append(entry([1, 1]));
  h.append(entry([2, 0]));
  const again = new ZabHistory(s);
  again.load();
  assert.equal(again.acceptedEpoch, 3);
  assert.equal(again.currentEpoch, 2);
  assert.equal(again.length, 2);
  assert.deepEqual(again.lastZxid(), [2, 0]);
  assert.deepEqual(again.at(1), entry([1, 1]));
});

test('history: stored epochs must be non-negative safe integers', () => {
  for (const bad of [-1, 1.5, '2', 2 ** 53]) {
    for (const key of ['zab/acceptedEpoch', 'zab/currentEpoch']) {
      const s = new MemoryStore();
      s.put(key, bad as Json);
      refused(() => new ZabHistory(s).load(), 'stored-state-well-formed', key.slice(4));
    }
  }
  const s = new MemoryStore();
  s.put('zab/acceptedEpoch', 0);
  const h = new ZabHistory(s);
  h.load();
  assert.equal(h.acceptedEpoch, 0, 'zero is a count');
});

test('history: a stored entry must be a zxid of two counts and a txn', () => {
  const good = { z: [1, 1], txn: { client: 'c', seq: 0, op: null } };
  const bad: Json[] = [
    null,
    { txn: good.txn },
    { z: good.z },
    { z: [1], txn: good.txn },
    { z: [1, 1, 1], txn: good.txn },
    { z: 'x', txn: good.txn },
    { z: [-1, 1], txn: good.txn },
    { z: [1, -1], txn: good.txn },
    { z: [1, 1], txn: null },
    { z: [1, 1], txn: 'x' },
    { z: [1, 1], txn: { seq: 0, op: null } },
    { z: [1, 1], txn: { client: 'c', seq: -1, op: null } },
    { z: [1, 1], txn: { client: 'c', seq: 0 } },
  ];
  for (const x of bad) {
    const s = new MemoryStore();
    s.append(good);
    s.append(x);
    refused(() => new ZabHistory(s).load(), 'stored-state-well-formed', 'log entry 2');
  }
  const s = new MemoryStore();
  s.append(good);
  const h = new ZabHistory(s);
  h.load();
  assert.equal(h.length, 1);
});

test('history: stored entries out of zxid order are refused', () => {
  for (const second of [
    [1, 1],
    [1, 0],
    [0, 5],
  ]) {
    const s = new MemoryStore();
    s.append({ z: [1, 1], txn: { client: 'c', seq: 0, op: null } });
    s.append({ z: second, txn: { client: 'c', seq: 1, op: null } });
    refused(() => new ZabHistory(s).load(), 'log-in-zxid-order', 'stored entry 2');
  }
});

test('history: append refuses a zxid not after the last', () => {
  const h = new ZabHistory(new MemoryStore());
  h.load();
  h.append(entry([1, 2]));
  refused(() => h.append(entry([1, 2])), 'log-in-zxid-order', '1.2 after 1.2');
  refused(() => h.append(entry([1, 1])), 'log-in-zxid-order');
  h.append(entry([1, 3]));
  assert.equal(h.length, 2);
});

test('history: positions of zxids, exact and below', () => {
  const h = new ZabHistory(new MemoryStore());
  h.load();
  const zs: Zxid[] = [
    [1, 1],
    [1, 2],
    [2, 1],
    [2, 5],
    [3, 1],
  ];
  for (const z of zs) h.append(entry(z));
  zs.forEach((z, i) => assert.equal(h.positionOf(z), i + 1, `${z}`));
  assert.equal(h.positionOf([0, 0]), 0);
  assert.equal(h.positionOf([2, 3]), undefined);
  assert.equal(h.positionOf([0, 1]), undefined);
  assert.equal(h.positionOf([9, 9]), undefined);
  assert.equal(h.positionBelow([2, 3]), 3, 'last below 2.3 is 2.1 at 3');
  assert.equal(h.positionBelow([2, 5]), 3, 'strictly below');
  assert.equal(h.positionBelow([1, 1]), 0);
  assert.equal(h.positionBelow([9, 0]), 5);
  assert.deepEqual(
    h.after(3).map((e) => e.z),
    [
      [2, 5],
      [3, 1],
    ],
  );
  assert.equal(h.at(0), undefined);
  assert.deepEqual(h.at(5)?.z, [3, 1]);
});

test('history: truncateAfter drops exactly the entries after the position, on disk too', () => {
  const s = new MemoryStore();
  const h = new ZabHistory(s);
  h.load();
  for (let c = 1; c <= 4; c++) h.append(entry([1, c]));
  h.truncateAfter(4);
  assert.equal(h.length, 4, 'at the end: nothing to drop');
  h.truncateAfter(9);
  assert.equal(h.length, 4);
  h.truncateAfter(2);
  assert.equal(h.length, 2);
  assert.deepEqual(h.lastZxid(), [1, 2]);
  const again = new ZabHistory(s);
  again.load();
  assert.equal(again.length, 2);
  h.truncateAfter(0);
  assert.deepEqual(h.lastZxid(), [0, 0]);
});
