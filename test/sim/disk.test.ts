import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk } from '../../src/sim/disk.js';

/** A disk whose syncs complete when the test says so. */
function manualDisk() {
  const syncs: (() => void)[] = [];
  const disk = new SimDisk({ scheduleSync: (_writes, done) => syncs.push(done) });
  return { disk, completeSyncs: () => syncs.splice(0).forEach((f) => f()) };
}

test('writes are readable at once but durable only after sync completes', () => {
  const { disk, completeSyncs } = manualDisk();
  disk.put('term', 3);
  disk.append({ t: 1 }, { t: 1 });
  assert.equal(disk.get('term'), 3);
  assert.equal(disk.lastIndex(), 2);
  let durable = false;
  disk.sync(() => (durable = true));
  assert.equal(durable, false);
  completeSyncs();
  assert.equal(durable, true);
  disk.put('term', 4);
  disk.append({ t: 4 });
  assert.equal(disk.unsyncedWrites, 2);
  const outcome = disk.crash(0, false);
  assert.deepEqual(outcome, { lost: 2, kept: 0, torn: false });
  assert.equal(disk.get('term'), 3, 'the synced term survives, the unsynced one does not');
  assert.equal(disk.lastIndex(), 2);
});

test('a sync in flight when the node crashes does not make its writes durable', () => {
  const { disk } = manualDisk();
  disk.put('vote', 'n2');
  disk.sync(() => assert.fail('the callback of a lost sync must never run'));
  disk.crash(0, false);
  assert.equal(disk.get('vote'), undefined);
});

test('a crash may keep a prefix of unsynced writes and tear the last one', () => {
  const { disk } = manualDisk();
  disk.append('a', 'b');
  disk.append('c');
  disk.append('d');
  const outcome = disk.crash(3, true);
  assert.deepEqual(outcome, { lost: 1, kept: 2, torn: true });
  assert.deepEqual([disk.entry(1), disk.entry(2), disk.entry(3)], ['a', 'b', 'c']);
  assert.equal(disk.entry(4), undefined);
});

test('the log truncates, compacts, and survives both through a crash once synced', () => {
  const { disk, completeSyncs } = manualDisk();
  disk.append(1, 2, 3, 4, 5);
  disk.truncateAfter(3);
  assert.equal(disk.lastIndex(), 3);
  disk.compactTo(2);
  assert.equal(disk.firstIndex(), 3);
  assert.equal(disk.entry(2), undefined);
  assert.equal(disk.entry(3), 3);
  disk.sync(() => {});
  completeSyncs();
  disk.crash(0, false);
  assert.equal(disk.firstIndex(), 3);
  assert.equal(disk.lastIndex(), 3);
  assert.deepEqual(disk.keys(), []);
});

test('stored values are frozen in place and must be plain data', () => {
  const { disk } = manualDisk();
  const v = { members: ['n1'] };
  disk.put('config', v);
  // The caller's own object is what is stored, so a protocol that changed a stored value
  // behind the disk's back fails here rather than diverging from what a restart reads.
  assert.throws(() => v.members.push('n2'), TypeError);
  assert.deepEqual(disk.get('config'), { members: ['n1'] });
  assert.throws(() => (disk.get('config') as { members: string[] }).members.push('x'), TypeError);
  assert.throws(() => disk.put('bad', { at: new Date(0) } as never), /not plain data at at/);
  assert.throws(() => disk.append([1, undefined] as never), /undefined array element/);
  assert.throws(() => disk.put('nan', { x: NaN }), /non-finite/);
});

test('a value saved aside is no write until its file completes, then one put-parts like any write', () => {
  const syncs: (() => void)[] = [];
  const files: (() => void)[] = [];
  const disk = new SimDisk({
    scheduleSync: (_w, done) => syncs.push(done),
    scheduleFileWrite: (_p, done) => files.push(done),
  });
  let saved = 0;
  disk.putPartsAside('snap', [{ a: 1 }, { b: 2 }], () => saved++);
  assert.equal(disk.getParts('snap'), undefined, 'the old value until the file is durable');
  assert.equal(disk.unsyncedWrites, 0);
  // The log's syncs go on without it.
  disk.put('term', 1);
  disk.sync(() => {});
  syncs.splice(0).forEach((f) => f());
  assert.equal(saved, 0);
  files.splice(0).forEach((f) => f());
  assert.equal(saved, 1);
  assert.deepEqual(disk.getParts('snap'), [{ a: 1 }, { b: 2 }]);
  assert.equal(disk.unsyncedWrites, 1, 'its op is issued now, durable at the next sync');
  // Unsynced, the op is lost in a crash like any other (the simulator drops a file write still
  // in flight with the node's incarnation: simulator.ts scheduleFileWrite).
  disk.crash(0, false);
  assert.equal(disk.getParts('snap'), undefined);
  assert.equal(disk.get('term'), 1);
});
