/**
 * What a PBFT replica reads back from its disk is checked as it is read (records.ts,
 * kv-state.ts): a record of the wrong shape stops the replica with a typed error naming the key,
 * instead of a cast letting a wrong view or certificate into the protocol; a well-formed one
 * reads back as written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { OpLogStore, type StoreOp } from '../../../src/core/storage.js';
import { PbftKvState } from '../../../src/protocols/pbft/kv-state.js';
import {
  PbftRecordError,
  readCheckpoint,
  readPrePrepares,
  readPreparedCerts,
  readSeq,
  readSignedMsg,
  readView,
} from '../../../src/protocols/pbft/records.js';

class MemStore extends OpLogStore {
  readonly unsyncedWrites = 0;
  protected keep(_op: StoreOp): void {}
  sync(onDurable: () => void): void {
    onDurable();
  }
}

const msg = { type: 'pbft', p: '{"t":"checkpoint"}', s: 'sig' };

function storeWith(records: Record<string, Json>): MemStore {
  const s = new MemStore();
  for (const [k, v] of Object.entries(records)) s.put(k, v);
  return s;
}

function refused(read: () => unknown, key: string): void {
  assert.throws(read, (e: unknown) => {
    assert.ok(e instanceof PbftRecordError);
    assert.equal(e.code, 'bad-record');
    assert.match(e.message, new RegExp(`record ${key} `));
    return true;
  });
}

test('well-formed records read back as written; absent ones are undefined', () => {
  const s = storeWith({
    ckpt: { n: 16, snap: '{"data":[],"sessions":[]}', proof: [msg] },
    view: { v: 3, active: false, lastActive: 2, floor: { n: 0, proof: [] } },
    seq: { v: 3, n: 40 },
    nv: msg,
    'pp/17': msg,
    'pc/17': { v: 2, pp: msg, prepares: [msg, msg] },
    'pc/9': { v: 1, pp: msg, prepares: [msg] },
  });
  assert.deepEqual(readCheckpoint(s)?.n, 16);
  assert.deepEqual(readView(s)?.lastActive, 2);
  assert.deepEqual(readSeq(s), { v: 3, n: 40 });
  assert.deepEqual(readSignedMsg(s, 'nv'), msg);
  assert.equal(readPrePrepares(s).length, 1);
  // Certificates at or below the low watermark are not read.
  assert.deepEqual([...readPreparedCerts(s, 16).keys()], [17]);
  const empty = new MemStore();
  assert.equal(readCheckpoint(empty), undefined);
  assert.equal(readView(empty), undefined);
  assert.equal(readSeq(empty), undefined);
});

test('each record of the wrong shape is refused with a typed error naming its key', () => {
  refused(() => readCheckpoint(storeWith({ ckpt: { n: -1, snap: '', proof: [] } })), 'ckpt');
  refused(() => readCheckpoint(storeWith({ ckpt: { n: 16, snap: 3, proof: [] } })), 'ckpt');
  refused(() => readCheckpoint(storeWith({ ckpt: { n: 16, snap: '', proof: [1] } })), 'ckpt');
  refused(
    () =>
      readView(
        storeWith({ view: { v: 1, active: 'yes', lastActive: 0, floor: { n: 0, proof: [] } } }),
      ),
    'view',
  );
  refused(() => readView(storeWith({ view: { v: 1, active: true, lastActive: 0 } })), 'view');
  refused(() => readSeq(storeWith({ seq: { v: 1, n: 1.5 } })), 'seq');
  refused(() => readSignedMsg(storeWith({ nv: { type: 'raft', p: '', s: '' } }), 'nv'), 'nv');
  refused(() => readPrePrepares(storeWith({ 'pp/3': 'torn' })), 'pp/3');
  refused(() => readPreparedCerts(storeWith({ 'pc/5': { v: 1, pp: msg } }), 0), 'pc/5');
  refused(
    () => readPreparedCerts(storeWith({ 'pc/x': { v: 1, pp: msg, prepares: [] } }), 0),
    'pc/x',
  );
});

test('the replicated state restores its own snapshot and refuses another shape', () => {
  const a = new PbftKvState();
  const req = { client: 'c1', seq: 1, op: { f: 'put', key: 'k', value: 'v' }, proxy: 'n1' };
  assert.deepEqual(a.execute(req, { f: 'put', key: 'k', value: 'v' }), {
    fresh: true,
    result: null,
  });
  // The same request again answers from the session, and runs nothing.
  assert.deepEqual(a.execute(req, { f: 'put', key: 'k', value: 'v' }), {
    fresh: false,
    result: null,
  });
  const b = new PbftKvState();
  b.restore(a.snapshot());
  assert.equal(b.snapshot(), a.snapshot());
  assert.equal(b.executedAlready('c1', 1), true);
  for (const bad of [
    'not json',
    '{"data":{},"sessions":[]}',
    '{"data":[["k",1]],"sessions":[]}',
    '{"data":[],"sessions":[["c1",{"result":null}]]}',
  ]) {
    assert.throws(() => b.restore(bad), PbftRecordError, bad);
  }
  // A refused snapshot leaves the state as it was.
  assert.equal(b.snapshot(), a.snapshot());
});
