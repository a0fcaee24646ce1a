/**
 * A snapshot of several parts is written beside the log, and the log is compacted past it only
 * once it is durable (RaftLog.compactAside, installAside). Driven by hand on a simulated disk —
 * a crash after the log's sync but before the snapshot's file completes must lose no entry —
 * and through seeded etcd-raft runs whose snapshots are many parts, under crashes, where the
 * mutant that compacts first is caught and the real Raft is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { Entry, Snapshot } from '../../../src/protocols/raft/messages.js';
import { RaftInvariantError } from '../../../src/protocols/raft/raft-assert.js';
import { RaftLog } from '../../../src/protocols/raft/raft-log.js';
import { SimDisk } from '../../../src/sim/disk.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { etcdRaftSystem } from '../../../src/systems/etcd/etcd-raft.js';

/** A disk whose syncs and file writes complete only when the test says so. */
function manualDisk() {
  const syncs: (() => void)[] = [];
  const files: (() => void)[] = [];
  const disk = new SimDisk({
    scheduleSync: (_w, done) => syncs.push(done),
    scheduleFileWrite: (_p, done) => files.push(done),
  });
  return {
    disk,
    completeSyncs: () => syncs.splice(0).forEach((f) => f()),
    completeFiles: () => files.splice(0).forEach((f) => f()),
  };
}

const entry = (i: number): Entry => ({
  term: 1,
  kind: 'command',
  command: { client: 'c', seq: i, op: { f: 'put', key: 'k', value: String(i) } as Json },
});

const snapshotAt = (index: number): Snapshot => ({
  index,
  term: 1,
  config: { voters: ['n1'], learners: [] },
  parts: [{ part: 'a' }, { part: 'b' }, { part: 'c' }],
});

/** Indexes 1..last that the log after a restart neither holds nor covers by its snapshot. */
function lostAfterRestart(disk: SimDisk, last: number): number[] {
  const log = new RaftLog(disk);
  log.load();
  const lost: number[] = [];
  for (let i = 1; i <= last; i++) {
    if (i > log.snapshotIndex && log.entry(i) === undefined) lost.push(i);
  }
  return lost;
}

/**
 * 20 durable entries, then a snapshot through 16 written aside, then a sync (a heartbeat's
 * answer) that completes while the file is still being written, then a crash.
 */
function crashBetweenSyncAndFile(compactEarly: boolean): number[] {
  const { disk, completeSyncs } = manualDisk();
  const log = new RaftLog(disk);
  log.append(Array.from({ length: 20 }, (_, i) => entry(i + 1)));
  disk.sync(() => {});
  completeSyncs();
  let done = false;
  log.compactAside(snapshotAt(16), () => (done = true), compactEarly);
  disk.sync(() => {});
  completeSyncs();
  assert.equal(done, false, 'the file is not written yet');
  disk.crash(0, false);
  return lostAfterRestart(disk, 20);
}

test('a crash before the snapshot file is durable loses no entry; the compact-first mutant does', () => {
  assert.deepEqual(crashBetweenSyncAndFile(false), []);
  // The mutant compacted at once and the sync made that durable: 1..16 are gone with no
  // snapshot on disk to stand for them, and the restarted log says so rather than serve a gap.
  assert.throws(
    () => crashBetweenSyncAndFile(true),
    (e: unknown) => e instanceof RaftInvariantError && e.code === 'log-continues-snapshot',
  );
});

test('the log keeps its entries and old base until the file is durable, then compacts', () => {
  const { disk, completeSyncs, completeFiles } = manualDisk();
  const log = new RaftLog(disk);
  log.append(Array.from({ length: 20 }, (_, i) => entry(i + 1)));
  let done = false;
  log.compactAside(snapshotAt(16), () => (done = true));
  assert.equal(log.snapshotIndex, 0);
  assert.ok(log.entry(5) !== undefined);
  completeFiles();
  assert.equal(done, true);
  assert.equal(log.snapshotIndex, 16);
  assert.equal(log.entry(16), undefined);
  // Record and compaction are issued in that order: a crash keeping any prefix of the two
  // keeps the snapshot whenever it keeps the compaction.
  disk.sync(() => {});
  completeSyncs();
  disk.crash(0, false);
  const again = new RaftLog(disk);
  again.load();
  assert.equal(again.snapshotIndex, 16);
  assert.deepEqual(again.snapshot()?.parts, snapshotAt(16).parts);
  assert.ok(again.entry(17) !== undefined && again.entry(20) !== undefined);
});

test('a follower installs a snapshot of parts once it is durable; a crash before keeps its old log', () => {
  const { disk, completeSyncs, completeFiles } = manualDisk();
  const log = new RaftLog(disk);
  log.append(Array.from({ length: 5 }, (_, i) => entry(i + 1)));
  disk.sync(() => {});
  completeSyncs();
  let installed = false;
  log.installAside(snapshotAt(30), () => (installed = true));
  assert.equal(log.lastIndex(), 5, 'nothing moves before the file is durable');
  disk.sync(() => {});
  completeSyncs();
  const saved = disk.crash(0, false);
  assert.equal(saved.lost, 0);
  assert.deepEqual(lostAfterRestart(disk, 5), []);
  assert.equal(installed, false);

  const log2 = new RaftLog(disk);
  log2.load();
  log2.installAside(snapshotAt(30), () => (installed = true));
  completeFiles();
  assert.equal(installed, true);
  assert.equal(log2.snapshotIndex, 30);
  assert.equal(log2.lastIndex(), 30);
});

const manyParts = { 'snapshot-every': '16', 'snapshot-part-bytes': '200' };

test('etcd-raft with snapshots of many parts: crashes between file and compaction stay linearizable; the mutant is caught', () => {
  for (let seed = 1; seed <= 8; seed++) {
    for (const nemesis of ['crash', 'all']) {
      const r = runChecked(
        { system: etcdRaftSystem, seed, nemesis, workload: { ops: 300 }, params: manyParts },
        { checkTimeoutMs: 10_000 },
      );
      assert.equal(r.verdict, 'valid', `seed ${seed} ${nemesis}: ${JSON.stringify(r.failure)}`);
    }
  }
  // Seed 40 crashes a node after its compaction was synced and before its file was: restarted,
  // its log lacks committed entries that no snapshot covers ("the stored snapshot ends at 68 but
  // the log resumes at 85"). Seed 2 did until the simulated clients' retry routing
  // (src/sim/retry-route.ts) moved the runs; 40 is the first of 1-40 since.
  const caught: number[] = [];
  for (const seed of [40]) {
    const r = runChecked(
      {
        system: etcdRaftSystem,
        seed,
        nemesis: 'crash',
        workload: { ops: 300 },
        params: manyParts,
        mutant: 'compact-before-snapshot-durable',
      },
      { checkTimeoutMs: 10_000 },
    );
    if (r.verdict !== 'valid') caught.push(seed);
  }
  assert.ok(caught.length > 0, 'the mutant is caught on some seed');
});
