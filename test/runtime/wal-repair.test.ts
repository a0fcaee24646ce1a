/**
 * A damaged last record is not a torn tail, and `truthkit wal repair` cuts a damaged log only
 * when asked, saying what goes. The first test is the repro of issue 17's item 1: a flipped byte
 * near the end of the log used to be cut as "torn" and the acknowledged write in it lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { repairWal } from '../../src/runtime/wal-repair.js';
import { LOCK_FILE, WAL_FILE, WalCorruptionError, WalStore } from '../../src/runtime/wal.js';

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
    const big = 'x'.repeat(3000);
    const s = WalStore.open(dir);
    s.append('first');
    await synced(s);
    const start = s.bytes;
    s.append(big);
    await synced(s);
    await closed(s);
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

test('a torn tail is not mistaken for damage: a record cut short is still cut', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const offsets = await writeLog(dir, ['a', 'b']);
  writeFileSync(file, readFileSync(file).subarray(0, (offsets[2] as number) + 5));
  const r = WalStore.open(dir);
  assert.equal(r.lastIndex(), 2);
  assert.equal(r.get('raft/hard-state'), undefined);
  await closed(r);
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
  assert.equal(r.damage, 'checksum');
  assert.equal(r.cutAt, second);
  assert.equal(r.bytesCut, bytes.length - second);
  assert.deepEqual(r.lost, { records: 3, keys: ['raft/hard-state'], entries: 2, otherOps: 0 });
  assert.deepEqual(readFileSync(r.backup), bytes, 'the file as it was is kept');
  assert.equal(r.records, 1);
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
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, {
      out: (x) => (out += x),
      err: (x) => (err += x),
      interactive: false,
    });
    return { code, out, err };
  };
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
  assert.match(ok.out, /kept: 2 records; the file as it was is in .*wal\.log\.damaged-at-\d+/);
  const missing = await run(['wal', 'repair', join(dir, 'nope')]);
  assert.equal(missing.code, 2);
});
