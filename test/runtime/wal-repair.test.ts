/**
 * A damaged last record is not a torn tail, and `truthkit wal repair` cuts a damaged log only
 * when asked, saying what goes. The first test is the repro of issue 17's item 1: a flipped byte
 * near the end of the log used to be cut as "torn" and the acknowledged write in it lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/run-cli.js';
import { repairWal } from '../../src/runtime/wal-repair.js';
import { MARK_FILE, MARK_INTERVAL_MS, readMark } from '../../src/runtime/wal-mark.js';
import {
  encodeRecord,
  LOCK_FILE,
  WAL_FILE,
  WalCorruptionError,
  WalStore,
} from '../../src/runtime/wal.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-wal-repair-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const synced = (store: WalStore): Promise<void> => new Promise((r) => store.sync(r));
const closed = (store: WalStore): Promise<void> => new Promise((r) => store.close(r));

/** A log of `n` appends and one put, each synced on its own; the offsets where each starts. */
async function writeLog(dir: string, entries: readonly string[]): Promise<number[]> {
  const s = WalStore.open(dir);
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(s.bytes);
    s.append(e);
    await synced(s);
  }
  offsets.push(s.bytes);
  s.put('raft/hard-state', { term: 7, vote: 'n1' });
  await synced(s);
  await closed(s);
  return offsets;
}

test('a whole last record that fails its checksum stops recovery; the file is left as it was', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const offsets = await writeLog(dir, ['key1', 'key2', 'key3']);
  const bytes = readFileSync(file);
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
  writeFileSync(file, bytes);
  assert.throws(
    () => WalStore.open(dir),
    (e: unknown) =>
      e instanceof WalCorruptionError &&
      e.code === 'checksum' &&
      e.offset === offsets[3] &&
      e.file === file,
  );
  assert.deepEqual(readFileSync(file), bytes, 'nothing cut');
  assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'the lock is released');
});

test('a last record torn by a crash (a zeroed sector, or zeros to the end) is still cut', async (t) => {
  for (const tear of ['sector', 'tail'] as const) {
    const dir = tempDir(t);
    const file = join(dir, WAL_FILE);
    const s = WalStore.open(dir);
    s.append('first');
    await synced(s);
    await closed(s);
    const start = readFileSync(file).length;
    // The crash came while the next record was being written: never synced, so past the mark.
    appendFileSync(file, encodeRecord({ kind: 'append', entries: ['x'.repeat(3000)] }));
    const bytes = readFileSync(file);
    // The sector-aligned 512 bytes after the record's header, or everything from one on.
    const sector = Math.ceil((start + 8) / 512) * 512;
    bytes.fill(0, sector, tear === 'sector' ? sector + 512 : bytes.length);
    writeFileSync(file, bytes);
    const r = WalStore.open(dir);
    assert.equal(r.lastIndex(), 1, tear);
    assert.equal(r.recovery.truncatedAt, start, tear);
    await closed(r);
  }
});

test('a log cut below what it had made durable refuses to start (issue 17, item 2)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  await writeLog(dir, ['a', 'b', 'c', 'd']);
  const whole = readFileSync(file);
  const half = whole.subarray(0, Math.floor(whole.length / 2));
  writeFileSync(file, half);
  assert.throws(
    () => WalStore.open(dir),
    (e: unknown) =>
      e instanceof WalCorruptionError &&
      e.code === 'shorter-than-durable' &&
      /ends at \d+ bytes, but \d+ were durable before \(wal\.mark\)/.test(e.message),
  );
  assert.deepEqual(readFileSync(file), half, 'left as it was: not even its torn tail is cut');
  // The log gone altogether, its mark still there: not a fresh start either.
  rmSync(file);
  assert.throws(
    () => WalStore.open(dir),
    (e: unknown) => e instanceof WalCorruptionError && e.code === 'missing',
  );
  assert.equal(existsSync(file), false, 'no empty log was made in its place');
  // A damaged mark is refused too.
  writeFileSync(file, whole);
  writeFileSync(join(dir, MARK_FILE), 'garbage');
  assert.throws(
    () => WalStore.open(dir),
    (e: unknown) => e instanceof WalCorruptionError && e.code === 'bad-mark',
  );
});

test('the mark follows the log under load, so a cut of all but the last moments is seen', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const s = WalStore.open(dir);
  for (let i = 0; i < 20; i++) {
    s.append(`entry-${i}`);
    await synced(s);
  }
  // Not closed: a crash. Wait past the mark's interval for its background sync.
  await new Promise((r) => setTimeout(r, 2 * MARK_INTERVAL_MS + 20));
  const mark = readMark(join(dir, MARK_FILE));
  assert.ok(mark !== undefined && 'bytes' in mark);
  assert.equal(mark.bytes, s.bytes, 'the mark reached what was made durable');
  const copy = tempDir(t);
  writeFileSync(join(copy, WAL_FILE), readFileSync(file).subarray(0, mark.bytes - 10));
  writeFileSync(join(copy, MARK_FILE), readFileSync(join(dir, MARK_FILE)));
  assert.throws(
    () => WalStore.open(copy),
    (e: unknown) => e instanceof WalCorruptionError && e.code === 'shorter-than-durable',
  );
  await closed(s);
});

test('wal repair accepts a log shorter than its mark by lowering the mark, and says so', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const offsets = await writeLog(dir, ['a', 'b', 'c']);
  const whole = readFileSync(file);
  writeFileSync(file, whole.subarray(0, (offsets[2] as number) + 5)); // mid-record: a torn tail
  const r = repairWal(dir);
  assert.equal(r.repaired, true);
  assert.equal(r.cut, undefined, 'a torn tail needs no cut by repair: every open cuts it');
  assert.deepEqual(r.markLowered, { from: whole.length, to: offsets[2] });
  const s = WalStore.open(dir);
  assert.equal(s.lastIndex(), 2);
  await closed(s);
});

test('wal repair cuts at the first damaged record, keeps the original, and says what is lost', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const offsets = await writeLog(dir, ['e1', 'e2', 'e3', 'e4']);
  const bytes = readFileSync(file);
  const second = offsets[1] as number;
  bytes[second + 10] = (bytes[second + 10] as number) ^ 0x04;
  writeFileSync(file, bytes);
  const r = repairWal(dir);
  assert.ok(r.repaired);
  const cut = r.cut;
  assert.ok(cut !== undefined);
  assert.equal(cut.damage, 'checksum');
  assert.equal(cut.at, second);
  assert.equal(cut.bytes, bytes.length - second);
  assert.deepEqual(cut.lost, { records: 3, keys: ['raft/hard-state'], entries: 2, otherOps: 0 });
  assert.deepEqual(readFileSync(cut.backup), bytes, 'the file as it was is kept');
  assert.equal(r.records, 1);
  assert.deepEqual(r.markLowered, { from: bytes.length, to: second }, 'the mark follows the cut');
  const s = WalStore.open(dir);
  assert.equal(s.lastIndex(), 1);
  assert.equal(s.entry(1), 'e1');
  await closed(s);
  // An intact log is left alone.
  const again = repairWal(file);
  assert.deepEqual(again, { file, repaired: false, records: 1 });
});

test('truthkit wal repair: what it prints, and one line when the log is in use', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  await writeLog(dir, ['e1', 'e2']);
  const bytes = readFileSync(file);
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
  writeFileSync(file, bytes);
  const run = (argv: string[]) => cli(...argv);
  // A live process holds the directory (our parent stands in for a running node).
  writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
  const busy = await run(['wal', 'repair', dir]);
  assert.equal(busy.code, 1);
  assert.match(busy.err, /^truthkit: .* is in use by process \d+/);
  assert.equal(busy.err.split('\n').length, 2, 'one line');
  rmSync(join(dir, LOCK_FILE));
  const ok = await run(['wal', 'repair', dir]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /checksum mismatch .* in the last record at offset \d+; cut \d+ bytes/);
  assert.match(ok.out, /lost: the damaged record and 0 intact record\(s\) after it/);
  assert.match(ok.out, /the file as it was is in .*wal\.log\.damaged-at-\d+/);
  assert.match(ok.out, /kept: 2 records/);
  const missing = await run(['wal', 'repair', join(dir, 'nope')]);
  assert.equal(missing.code, 2);
});
