/**
 * A value in parts kept in a snapshot file beside the write-ahead log (raft-snapshot-file.ts):
 * the log holds one small record naming it, a sync issued meanwhile is not held back by the
 * file's writes, and each crash case leaves a directory that opens to the old value or the new
 * one — a temp file or an unreferenced file removed — or refuses to open with a typed code when
 * the log refers to a file that is gone or wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../src/core/json.js';
import {
  readSnapshotFile,
  snapshotFileName,
  writeSnapshotFile,
} from '../../src/runtime/raft-snapshot-file.js';
import { repairWal, WalRepairError } from '../../src/runtime/wal-repair.js';
import {
  MAX_RECORD,
  recoverWal,
  WAL_FILE,
  WalCorruptionError,
  WalStore,
} from '../../src/runtime/wal.js';
import { closed, synced, tempDir } from './wal-helpers.js';

const savedAside = (store: WalStore, key: string, parts: Json[]): Promise<void> =>
  new Promise((r) => store.putPartsAside(key, parts, r));

function partsOf(tag: string, n: number, bytes: number): Json[] {
  return Array.from({ length: n }, (_, i) => ({ tag, i, text: `${tag}${i}`.padEnd(bytes, '.') }));
}

const snapFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith('snap-'))
    .sort();

/** A directory whose log holds `key` = `parts` in a snapshot file (closed cleanly). */
async function logWithFile(dir: string, parts: Json[]): Promise<string> {
  const s = WalStore.open(dir);
  s.put('before', 1);
  await savedAside(s, 'snap', parts);
  await synced(s);
  await closed(s);
  const files = snapFiles(dir);
  assert.equal(files.length, 1);
  return files[0] as string;
}

test('a value saved aside is a file plus one small record, read back whole after reopen and rewrite', async (t) => {
  const dir = tempDir(t, 'truthkit-snapfile-');
  const parts = partsOf('a', 40, 20_000);
  const file = await logWithFile(dir, parts);
  const log = readFileSync(join(dir, WAL_FILE), 'latin1');
  assert.ok(log.length < 2_000, `the log is ${log.length} bytes: no part is in it`);
  assert.ok(log.includes(`"kind":"parts-file","key":"snap","file":"${file}","parts":40`));
  assert.ok(!log.includes('"kind":"part"'));

  const s = WalStore.open(dir);
  assert.deepEqual(s.getParts('snap'), parts);
  assert.equal(s.get('before'), 1);
  // A rewrite copies the record, not the parts, and the file stays.
  await new Promise<void>((r) => s.defragment(r));
  assert.ok(readFileSync(join(dir, WAL_FILE)).length < 2_000);
  await closed(s);
  assert.deepEqual(recoverWal(join(dir, WAL_FILE)).state.parted.get('snap'), parts);
  assert.deepEqual(snapFiles(dir), [file]);
});

test('a replaced file is deleted once the record replacing it is durable, not before', async (t) => {
  const dir = tempDir(t, 'truthkit-snapfile-');
  const old = await logWithFile(dir, partsOf('old', 5, 1000));
  const s = WalStore.open(dir);
  const next = partsOf('new', 6, 1000);
  await savedAside(s, 'snap', next);
  // The new record is issued, not yet durable: a crash now recovers the old value from the old file.
  assert.ok(existsSync(join(dir, old)));
  await synced(s);
  assert.ok(!existsSync(join(dir, old)), 'the old file goes once the new record is durable');
  assert.equal(snapFiles(dir).length, 1);
  // An inline value replacing it retires the file the same way.
  s.putParts('snap', partsOf('inline', 2, 100));
  await synced(s);
  assert.deepEqual(snapFiles(dir), []);
  await closed(s);
  assert.deepEqual(WalStore.open(dir).getParts('snap'), partsOf('inline', 2, 100));
});

test('syncs issued while a large file is written are not held back by it', async (t) => {
  const dir = tempDir(t, 'truthkit-snapfile-');
  const s = WalStore.open(dir);
  t.after(() => s.close());
  const order: string[] = [];
  // 48 MiB of parts: the file takes many event-loop turns and writes to finish.
  const done = new Promise<void>((r) =>
    s.putPartsAside('snap', partsOf('big', 48, 1 << 20), () => {
      order.push('file');
      r();
    }),
  );
  s.put('ack', 1);
  await new Promise<void>((r) =>
    s.sync(() => {
      order.push('sync');
      r();
    }),
  );
  await done;
  assert.deepEqual(order, ['sync', 'file']);
  // Until the file was durable the key had its old value (none); then the new one.
  assert.equal(s.getParts('snap')?.length, 48);
});

test('crash cases: a temp file or a file no record names is removed at open; the old value stands', async (t) => {
  const dir = tempDir(t, 'truthkit-snapfile-');
  const parts = partsOf('cur', 4, 500);
  const cur = await logWithFile(dir, parts);
  // A crash while the next file was written leaves its temp file; one after its rename but
  // before its record was durable leaves a complete file no record names.
  writeFileSync(join(dir, snapshotFileName(7).replace(/\.snap$/, '.snap.tmp')), 'half a file');
  const orphan = snapshotFileName(8);
  const ref = await writeSnapshotFile(
    dir,
    orphan,
    partsOf('orphan', 3, 100),
    MAX_RECORD,
    () => false,
  );
  assert.ok(ref !== undefined);
  const logged: string[] = [];
  const s = WalStore.open(dir, { log: (m) => logged.push(m) });
  assert.deepEqual(s.getParts('snap'), parts);
  assert.deepEqual(snapFiles(dir), [cur]);
  assert.ok(logged.some((m) => m.includes('removed snapshot files')));
  // New files are numbered past every one seen, so a new one never takes an old one's name.
  await savedAside(s, 'snap', partsOf('next', 2, 100));
  await synced(s);
  assert.deepEqual(snapFiles(dir), [snapshotFileName(9)]);
  await closed(s);
});

test('a file the log names that is gone or wrong is refused with its code, and repair will not cut the log', async (t) => {
  const cases: [string, (path: string) => void, string][] = [
    ['missing', (p) => rmSync(p), 'missing-snapshot'],
    [
      'a flipped byte',
      (p) => {
        const b = readFileSync(p);
        b[b.length - 10] = (b[b.length - 10] as number) ^ 0x20;
        writeFileSync(p, b);
      },
      'bad-snapshot',
    ],
    ['cut short', (p) => writeFileSync(p, readFileSync(p).subarray(0, 3000)), 'bad-snapshot'],
    [
      'a part missing at the end',
      (p) => {
        // Whole records only: every checksum passes, but the count and size do not.
        const b = readFileSync(p);
        const last = b.lastIndexOf('{"tag"');
        writeFileSync(p, b.subarray(0, last - 8));
      },
      'bad-snapshot',
    ],
    [
      'another snapshot file in its place',
      (p) => writeFileSync(p, readFileSync(join(other, snapshotFileName(1)))),
      'bad-snapshot',
    ],
  ];
  // A sound file of as many parts, of other values.
  const other = tempDir(t, 'truthkit-snapfile-');
  await writeSnapshotFile(
    other,
    snapshotFileName(1),
    partsOf('y', 5, 1000),
    MAX_RECORD,
    () => false,
  );
  for (const [what, damage, code] of cases) {
    const dir = tempDir(t, 'truthkit-snapfile-');
    const file = await logWithFile(dir, partsOf('x', 5, 1000));
    damage(join(dir, file));
    assert.throws(
      () => WalStore.open(dir),
      (e: unknown) => e instanceof WalCorruptionError && e.code === code,
      what,
    );
    assert.throws(() => repairWal(dir), WalRepairError, what);
    // Refused, nothing removed: the evidence stays for whoever looks.
    assert.ok(readFileSync(join(dir, WAL_FILE)).length > 0);
  }
});

test('readSnapshotFile checks the record against the file', async (t) => {
  const dir = tempDir(t, 'truthkit-snapfile-');
  const parts = partsOf('r', 3, 100);
  const ref = await writeSnapshotFile(dir, snapshotFileName(1), parts, MAX_RECORD, () => false);
  assert.ok(ref !== undefined);
  assert.deepEqual(readSnapshotFile(dir, ref, MAX_RECORD), parts);
  assert.throws(() => readSnapshotFile(dir, { ...ref, parts: 4 }, MAX_RECORD), /3 parts/);
  assert.throws(() => readSnapshotFile(dir, { ...ref, crc: ref.crc ^ 1 }, MAX_RECORD), /checksum/);
  // A write abandoned between parts leaves only its temp file, never the named one.
  const stopped = await writeSnapshotFile(dir, snapshotFileName(2), parts, MAX_RECORD, () => true);
  assert.equal(stopped, undefined);
  assert.ok(!existsSync(join(dir, snapshotFileName(2))));
});
