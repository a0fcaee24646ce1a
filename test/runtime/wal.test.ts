import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import fs, {
  appendFileSync,
  closeSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, crc32Portable, nativeCrc32 } from '../../src/runtime/crc32.js';
import { MARK_FILE } from '../../src/runtime/wal-mark.js';
import {
  FrameDecoder,
  FrameError,
  encodeFrame,
  encodeTextFrame,
} from '../../src/runtime/frames.js';
import {
  encodeRecord,
  recoverWal,
  WAL_FILE,
  WalCorruptionError,
  WalStore,
} from '../../src/runtime/wal.js';
import { until } from '../support/wait.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Resolves once another store, opened now, has finished a whole round (write, fdatasync,
 * callback — or its fatal error under a patched fs): the anchor for "a failed store
 * acknowledges nothing", in place of a sleep. A round the failed store wrongly ran alongside
 * it would have called back by then.
 */
async function aRoundLater(t: { after: (fn: () => void) => void }): Promise<void> {
  await new Promise<void>((done) => {
    const other = WalStore.open(tempDir(t), { onFatal: () => other.close(done) });
    other.put('anchor', 1);
    other.sync(() => other.close(done));
  });
}

const synced = (store: WalStore): Promise<void> => new Promise((r) => store.sync(r));

test('crc32 matches the standard check values', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  assert.equal(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  // Incremental use gives the same answer as one pass.
  const b = Buffer.from('123456789');
  assert.equal(crc32(b, 4, 9, crc32(b, 0, 4)), 0xcbf43926);
});

test('crc32 gives the same values natively and table-driven, whole or continued', (t) => {
  if (!nativeCrc32) t.diagnostic('zlib.crc32 is missing: both sides are the fallback');
  for (const [text, want] of [
    ['123456789', 0xcbf43926],
    ['', 0],
    ['a', 0xe8b7be43],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ] as const) {
    const b = Buffer.from(text);
    assert.equal(crc32(b), want, text);
    assert.equal(crc32Portable(b), want, text);
  }
  // An empty range continues the crc unchanged, even in a buffer with no memory behind it.
  for (const empty of [randomBytes(0), Buffer.alloc(0), Buffer.from('abc')]) {
    assert.equal(crc32(empty, empty.length, empty.length, 0x7b55a454), 0x7b55a454);
  }
  const b = Buffer.from('123456789');
  assert.equal(crc32(b, 4, 9, crc32Portable(b, 0, 4)), 0xcbf43926);
  assert.equal(crc32Portable(b, 4, 9, crc32(b, 0, 4)), 0xcbf43926);
  // Random buffers, random ranges, continued from random previous values.
  for (let i = 0; i < 200; i++) {
    const buf = randomBytes(randomInt(0, 3000));
    const start = randomInt(0, buf.length + 1);
    const end = randomInt(start, buf.length + 1);
    const prev = randomInt(0, 2 ** 32);
    assert.equal(crc32(buf, start, end, prev), crc32Portable(buf, start, end, prev));
    assert.equal(crc32(buf), crc32Portable(buf));
    // Split anywhere, continued: the same as one pass.
    const cut = randomInt(start, end + 1);
    assert.equal(crc32(buf, cut, end, crc32(buf, start, cut)), crc32(buf, start, end));
  }
});

test('frames reassemble from single bytes and refuse oversized lengths', () => {
  const frames = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('x'.repeat(300))];
  const bytes = Buffer.concat(frames.map(encodeFrame));
  const d = new FrameDecoder(1000);
  const got: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...d.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(
    got.map((f) => f.toString()),
    frames.map((f) => f.toString()),
  );
  assert.equal(d.pending, 0);
  // A frame encoded straight from text is the frame of its UTF-8 bytes, whatever the text.
  const text = JSON.stringify({ s: 'h\u00e9llo \u20ac \ud834\udd1e \u0000 \ud800' });
  assert.deepEqual(encodeTextFrame(text), encodeFrame(Buffer.from(text, 'utf8')));
  const small = new FrameDecoder(10);
  assert.throws(() => small.push(encodeFrame(Buffer.alloc(11))), FrameError);
  // The limit is checked on the length field, before the payload is buffered.
  const header = Buffer.alloc(4);
  header.writeUInt32BE(0xffffffff);
  assert.throws(() => new FrameDecoder(1 << 20).push(header), /exceeds the limit/);
});

test('the WAL replays every synced op after a reopen', async (t) => {
  const dir = tempDir(t);
  const a = WalStore.open(dir);
  assert.equal(a.recovery.existed, false);
  a.put('term', { term: 3, vote: 'n2' });
  a.put('gone', 1);
  a.delete('gone');
  a.append('e1', 'e2', 'e3', { x: [1, 2] });
  a.truncateAfter(3);
  a.compactTo(1);
  a.append('e4');
  assert.equal(a.unsyncedWrites, 7);
  await synced(a);
  assert.equal(a.unsyncedWrites, 0);
  await new Promise<void>((r) => a.close(r));
  const b = WalStore.open(dir);
  assert.equal(b.recovery.existed, true);
  assert.equal(b.recovery.records, 7);
  assert.deepEqual(b.get('term'), { term: 3, vote: 'n2' });
  assert.equal(b.get('gone'), undefined);
  assert.deepEqual(b.keys(), ['term']);
  assert.equal(b.firstIndex(), 2);
  assert.equal(b.lastIndex(), 4);
  assert.deepEqual([b.entry(2), b.entry(3), b.entry(4)], ['e2', 'e3', 'e4']);
  b.close();
});

test('sync calls back only after the records are on disk, and stored values are frozen', async (t) => {
  const dir = tempDir(t);
  const s = WalStore.open(dir);
  const value = { n: 1 };
  s.put('k', value);
  // What was stored cannot change under the log: the caller's object is frozen in place.
  assert.throws(() => {
    value.n = 2;
  }, TypeError);
  let called = false;
  s.sync(() => {
    called = true;
    // At this point a fresh reader of the file sees the write.
    assert.deepEqual(recoverWal(join(dir, WAL_FILE)).state.records.get('k'), { n: 1 });
  });
  assert.equal(called, false, 'sync must not call back synchronously');
  await synced(s);
  assert.equal(called, true);
  s.close();
});

test('concurrent syncs share one fsync (group commit)', async (t) => {
  const dir = tempDir(t);
  const s = WalStore.open(dir);
  const done: number[] = [];
  for (let i = 0; i < 50; i++) {
    s.put(`k${i}`, i);
    s.sync(() => done.push(i));
  }
  await synced(s);
  assert.equal(done.length, 50);
  assert.deepEqual(
    done,
    [...done].sort((x, y) => x - y),
    'callbacks run in issue order',
  );
  assert.equal(s.fsyncs, 1, 'fifty syncs issued together cost one fsync');
  // Syncs issued while a round is in flight form the next round, together.
  s.put('a', 1);
  s.sync(() => {});
  await new Promise((r) => setImmediate(r)); // the round has started: its fdatasync is in flight
  for (let i = 0; i < 10; i++) {
    s.put(`b${i}`, i);
    s.sync(() => {});
  }
  await synced(s);
  assert.equal(s.fsyncs, 3);
  s.close();
});

test('writes not synced before a crash are gone after recovery', async (t) => {
  const dir = tempDir(t);
  const s = WalStore.open(dir);
  s.put('durable', 1);
  await synced(s);
  s.put('lost', 2); // never synced; the "process" dies with the file still open
  const r = WalStore.open(dir);
  assert.equal(r.get('durable'), 1);
  assert.equal(r.get('lost'), undefined);
  s.close();
  r.close();
});

test('a torn tail is cut off on recovery, and the log keeps working', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const s = WalStore.open(dir);
  for (let i = 0; i < 5; i++) s.append(`entry-${i}`);
  await synced(s);
  await new Promise<void>((r) => s.close(r));
  const intact = statSync(file).size;
  // A crash in the middle of writing the next record leaves part of it.
  const next = encodeRecord({ kind: 'append', entries: ['half-written'] });
  appendFileSync(file, next.subarray(0, next.length - 3));
  const r = WalStore.open(dir);
  assert.equal(r.lastIndex(), 5);
  assert.equal(r.recovery.truncatedBytes, next.length - 3);
  assert.equal(r.recovery.truncatedAt, intact);
  assert.equal(statSync(file).size, intact, 'the torn bytes are removed from the file');
  r.append('after');
  await synced(r);
  await new Promise<void>((res) => r.close(res));
  const again = WalStore.open(dir);
  assert.equal(again.lastIndex(), 6);
  assert.equal(again.entry(6), 'after');
  assert.equal(again.recovery.truncatedBytes, 0);
  again.close();
  // A tail of zeros (a file extended but never written) is torn too.
  appendFileSync(file, Buffer.alloc(100));
  const z = WalStore.open(dir);
  assert.equal(z.lastIndex(), 6);
  assert.equal(z.recovery.truncatedBytes, 100);
  z.close();
});

test('corruption before the tail stops recovery, naming the file and offset', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, WAL_FILE);
  const s = WalStore.open(dir);
  const offsets: number[] = [];
  for (let i = 0; i < 5; i++) {
    offsets.push(s.bytes); // each record is synced before the next, so this is where it starts
    s.append(`entry-${i}`);
    await synced(s);
  }
  await new Promise<void>((r) => s.close(r));
  const bytes = readFileSync(file);
  const second = offsets[1] as number;
  // Flip one bit inside the second record's payload.
  bytes[second + 10] = (bytes[second + 10] as number) ^ 0x04;
  writeFileSync(file, bytes);
  assert.throws(
    () => WalStore.open(dir),
    (e: unknown) => {
      assert.ok(e instanceof WalCorruptionError);
      assert.equal(e.file, file);
      assert.equal(e.offset, second);
      assert.match(
        e.message,
        new RegExp(
          `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt at offset ${second}: checksum mismatch`,
        ),
      );
      return true;
    },
  );
  // Never silent loss: the damaged file is left as it was for a human to look at.
  assert.deepEqual(readFileSync(file), bytes);
  // A damaged length field before the tail is caught as well.
  const b2 = Buffer.from(bytes);
  b2[second + 10] = (b2[second + 10] as number) ^ 0x04;
  b2.writeUInt32LE(0x7fffffff, offsets[2] as number);
  writeFileSync(file, b2);
  assert.throws(() => WalStore.open(dir), { name: 'WalCorruptionError', offset: offsets[2] });
  // So is a file that is not a WAL at all.
  writeFileSync(file, 'hello world, not a log');
  assert.throws(() => WalStore.open(dir), /bad magic/);
});

test('the log is rewritten atomically once it outgrows its contents', async (t) => {
  const dir = tempDir(t);
  const s = WalStore.open(dir, { compactBytes: 4096 });
  for (let i = 0; i < 400; i++) {
    s.put('counter', i);
    s.append({ i });
    if (i % 10 === 9) s.compactTo(i - 5);
    await synced(s);
  }
  assert.ok(s.compactions >= 1, `expected a rewrite, got ${s.compactions}`);
  assert.ok(s.bytes < 4 * 4096, `log stays small: ${s.bytes} bytes`);
  const first = s.firstIndex();
  const last = s.lastIndex();
  await new Promise<void>((r) => s.close(r));
  assert.deepEqual(readdirSync(dir), [WAL_FILE, MARK_FILE], 'no temp file is left behind');
  const r = WalStore.open(dir);
  assert.equal(r.get('counter'), 399);
  assert.equal(r.firstIndex(), first);
  assert.equal(r.lastIndex(), last);
  assert.deepEqual(r.entry(last), { i: 399 });
  r.close();
});

test('a log that is all live is never rewritten; one mostly garbage is, also after a restart', async (t) => {
  const dir = tempDir(t);
  let s = WalStore.open(dir, { compactBytes: 4096 });
  for (let i = 1; i <= 1000; i++) {
    s.append({ i, pad: 'p'.repeat(40) });
    if (i % 50 === 0) await synced(s);
  }
  await synced(s);
  assert.equal(s.compactions, 0, 'nothing to drop: a rewrite would copy the log for nothing');
  assert.ok(s.bytes > 8 * 4096, `${s.bytes}`);
  // Compacting away all but the last 100 entries makes ~90 % of the file garbage.
  s.compactTo(900);
  await synced(s);
  assert.equal(s.compactions, 1);
  const small = s.bytes;
  assert.ok(small < 8000, `rewritten to ${small} bytes`);
  // Entries cut off by a truncation are garbage too.
  s.append(...Array.from({ length: 400 }, (_, k) => ({ i: 1001 + k, pad: 'r'.repeat(40) })));
  await synced(s);
  assert.equal(s.compactions, 1, 'those entries are live');
  s.truncateAfter(1000);
  await synced(s);
  assert.equal(s.compactions, 2, 'the truncated entries were most of the log');
  assert.equal(s.lastIndex(), 1000);
  await new Promise<void>((r) => s.close(r));

  // Garbage written by a store that never rewrites is counted again when the log is recovered.
  s = WalStore.open(dir, { compactBytes: 1 << 30 });
  for (let i = 0; i < 300; i++) s.put('k', { i, pad: 'q'.repeat(40) });
  await synced(s);
  assert.equal(s.compactions, 0);
  await new Promise<void>((r) => s.close(r));
  s = WalStore.open(dir, { compactBytes: 4096 });
  s.put('k', { i: 300 });
  await synced(s);
  assert.equal(s.compactions, 1, 'the overwritten puts were garbage');
  assert.deepEqual(s.get('k'), { i: 300 });
  assert.equal(s.firstIndex(), 901);
  assert.equal(s.lastIndex(), 1000);
  await new Promise<void>((r) => s.close(r));
});

test('writes issued while a rewrite is on disk go to the new log, in order', async (t) => {
  // The rewrite's file work runs on the thread pool; syncs asked for meanwhile wait for the
  // next round, which must append to the new file, not the replaced one.
  const dir = tempDir(t);
  const s = WalStore.open(dir, { compactBytes: 8192 });
  const big = 'x'.repeat(3000);
  const acked: number[] = [];
  let i = 0;
  /** One write and its sync; resolves when that sync is answered. */
  const write = (): Promise<void> => {
    const n = i++;
    s.put('snapshot', { n, big });
    s.append({ n });
    if (n % 20 === 19) s.compactTo(n - 10);
    return new Promise((resolve) =>
      s.sync(() => {
        acked.push(n);
        resolve();
      }),
    );
  };
  let overlapped = 0;
  while (overlapped < 3) {
    assert.ok(i < 5000, 'the log is rewritten now and then');
    const before = s.compactions;
    const done = write();
    // The round starts in this turn's immediate phase, just before ours.
    await new Promise((r) => setImmediate(r));
    if (s.rewriting) {
      // Its file work has not come back yet: these wait for the next round.
      const later: Promise<void>[] = [];
      for (let k = 0; k < 10; k++) later.push(write());
      overlapped++;
      await Promise.all(later);
      assert.equal(s.compactions, before + 1, 'one rewrite');
    } else await done;
  }
  assert.deepEqual(
    acked,
    Array.from({ length: i }, (_, n) => n),
    'every sync answered, in order',
  );
  const last = s.lastIndex();
  const first = s.firstIndex();
  await new Promise<void>((r) => s.close(r));
  assert.deepEqual(readdirSync(dir), [WAL_FILE, MARK_FILE], 'no temp file is left behind');
  const r = WalStore.open(dir);
  assert.deepEqual(r.get('snapshot'), { n: i - 1, big });
  assert.equal(r.firstIndex(), first);
  assert.equal(r.lastIndex(), last);
  for (let k = first; k <= last; k++) assert.deepEqual(r.entry(k), { n: k - 1 });
  r.close();
});

test('a large put is encoded over several turns; rounds wait for it, order is kept', async (t) => {
  const dir = tempDir(t);
  const s = WalStore.open(dir);
  const big = { data: Array.from({ length: 200_000 }, (_, i) => ({ i, v: 'x'.repeat(20) })) };
  s.append({ n: 1 });
  s.put('snapshot', big);
  // Still encoding after put returned: the node's loop was not held for all of it.
  assert.equal(s.encodingPuts, 1);
  s.compactTo(1); // must land after the snapshot, as Raft needs
  s.put('small', 1); // queued behind the large one
  s.append({ n: 2 });
  let acked = false;
  s.sync(() => (acked = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(acked, false, 'nothing acknowledged before the large record is written');
  await synced(s);
  assert.equal(acked, true);
  assert.equal(s.encodingPuts, 0);
  // A close while a large put is encoding still finishes.
  s.put('snapshot', { ...big, again: true });
  await new Promise<void>((r) => s.close(r));
  const r = WalStore.open(dir);
  assert.deepEqual(r.get('snapshot'), big, 'the unsynced second snapshot may be lost, not mixed');
  assert.equal(r.get('small'), 1);
  assert.equal(r.firstIndex(), 2);
  assert.deepEqual(r.entry(2), { n: 2 });
  r.close();
});

test('a failed write is fatal and acknowledges nothing', async (t) => {
  const dir = tempDir(t);
  let fatal: Error | undefined;
  const s = WalStore.open(dir, { onFatal: (e) => (fatal = e) });
  s.put('k', 1);
  // Swap the store's descriptor for one that fails every call, as a failing disk would.
  const inner = s as unknown as { fd: number };
  closeSync(inner.fd);
  inner.fd = 2 ** 30;
  let acked = false;
  s.sync(() => (acked = true));
  await until(() => fatal, { what: "the store's fatal error" });
  assert.match(String(fatal?.message), new RegExp(`write-ahead log .*${WAL_FILE}: EBADF`));
  assert.equal(acked, false);
  s.sync(() => (acked = true)); // nor anything after
  await aRoundLater(t);
  assert.equal(acked, false);
});

test('a record too large for the log stops the store with a clear error; the log stays readable', async (t) => {
  const dir = tempDir(t);
  let fatal: Error | undefined;
  const limit = 64 * 1024;
  const s = WalStore.open(dir, { maxRecordBytes: limit, onFatal: (e) => (fatal = e) });
  s.put('k', 1);
  s.append({ n: 1 });
  await synced(s);
  // Written, it would be read back as damage ("impossible record length"): it is not written.
  s.put('snapshot', { data: 'x'.repeat(limit) });
  assert.match(
    String(fatal?.message),
    /a put of 'snapshot' would be a record of \d+ bytes, over the write-ahead log's limit of 65536/,
  );
  let acked = false;
  s.append({ n: 2 });
  s.sync(() => (acked = true));
  await aRoundLater(t);
  assert.equal(acked, false, 'nothing after it is acknowledged');
  await new Promise<void>((r) => s.close(r));
  const r = WalStore.open(dir);
  assert.equal(r.get('k'), 1);
  assert.equal(r.get('snapshot'), undefined);
  assert.equal(r.lastIndex(), 1);
  r.close();
});

test('a put too large, found while encoding over several turns, is refused the same way', async (t) => {
  const dir = tempDir(t);
  let fatal: Error | undefined;
  const limit = 8 * 1024 * 1024;
  const s = WalStore.open(dir, { maxRecordBytes: limit, onFatal: (e) => (fatal = e) });
  // Takes several turns to encode (see above), so the next put waits its turn behind it.
  const big = { data: Array.from({ length: 200_000 }, (_, i) => ({ i, v: 'x'.repeat(20) })) };
  s.put('first', big);
  s.put('second', { data: 'y'.repeat(limit) });
  assert.equal(s.encodingPuts, 2);
  assert.equal(fatal, undefined);
  let acked = false;
  s.sync(() => (acked = true));
  await until(() => fatal, { what: "the store's fatal error" });
  assert.match(
    String((fatal as Error | undefined)?.message),
    /a put of 'second' would be a record of/,
  );
  assert.equal(acked, false);
  await new Promise<void>((r) => s.close(r));
  const r = WalStore.open(dir);
  assert.equal(r.get('first'), undefined, 'the round that held both was never written');
  assert.equal(r.get('second'), undefined);
  r.close();
});

test('a rewrite puts large entries in several append records, each under the limit', async (t) => {
  const dir = tempDir(t);
  let fatal: Error | undefined;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => (stop = r));
  // 500 entries of 40 KiB are 20 MiB: one record of them would pass this limit.
  const s = WalStore.open(dir, {
    compactBytes: 4096,
    maxRecordBytes: 18 * 1024 * 1024,
    onFatal: (e) => {
      fatal = e;
      stop();
    },
  });
  // A store that failed never calls back: wait for either.
  const settled = (): Promise<void> => Promise.race([synced(s), stopped]);
  const pad = 'e'.repeat(40 * 1024);
  for (let i = 1; i <= 1200; i += 100) {
    s.append(...Array.from({ length: 100 }, (_, k) => ({ i: i + k, pad })));
    await settled();
  }
  assert.equal(s.compactions, 0);
  s.compactTo(700); // 500 entries left, the file more than twice that: rewritten
  await settled();
  assert.equal(fatal, undefined, (fatal as Error | undefined)?.message);
  assert.equal(s.compactions, 1);
  await new Promise<void>((r) => s.close(r));
  const r = WalStore.open(dir);
  assert.ok(r.recovery.records >= 3, `${r.recovery.records} records`);
  assert.equal(r.firstIndex(), 701);
  assert.equal(r.lastIndex(), 1200);
  assert.deepEqual(r.entry(1200), { i: 1200, pad });
  r.close();
});

/**
 * Replaces one function of node:fs for the rest of a test, as wal.ts sees it: the ESM bindings
 * of a builtin module follow its CommonJS object after syncBuiltinESMExports().
 */
function patchFs(
  t: { after: (fn: () => void) => void },
  name: 'fdatasync' | 'writeSync',
  replacement: (...args: never[]) => unknown,
): void {
  const target = fs as unknown as Record<string, unknown>;
  const original = target[name];
  target[name] = replacement;
  syncBuiltinESMExports();
  t.after(() => {
    target[name] = original;
    syncBuiltinESMExports();
  });
}

type Done = (err: NodeJS.ErrnoException | null) => void;

test('a round writes, then calls back only after its fdatasync returns', async (t) => {
  const dir = tempDir(t);
  const held: Done[] = [];
  patchFs(t, 'fdatasync', (_fd: number, cb: Done) => held.push(cb));
  const s = WalStore.open(dir);
  s.put('k', 'v');
  let acked = false;
  s.sync(() => (acked = true));
  await new Promise((r) => setImmediate(r)); // the round has started
  assert.equal(held.length, 1, 'one fdatasync per round');
  // The bytes are in the file (the page cache) already, yet nothing is acknowledged.
  // Anchored on the fdatasync having been issued (held above): a store that acknowledged on
  // the write alone would have done so by now.
  assert.equal(recoverWal(join(dir, WAL_FILE)).state.records.get('k'), 'v');
  assert.equal(acked, false, 'no callback before fdatasync returns');
  assert.equal(s.unsyncedWrites, 1);
  // close() waits for the round in flight.
  let closed = false;
  s.close(() => (closed = true));
  await new Promise((r) => setImmediate(r)); // a close that did not wait would have finished
  assert.equal(closed, false);
  held.shift()?.(null);
  assert.equal(acked, true);
  assert.equal(closed, true);
  assert.equal(s.unsyncedWrites, 0);
});

test('a failed fdatasync stops the store with a clear error and acknowledges nothing', async (t) => {
  const dir = tempDir(t);
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  patchFs(t, 'fdatasync', (_fd: number, cb: Done) => setImmediate(() => cb(eio)));
  let fatal: Error | undefined;
  const s = WalStore.open(dir, { onFatal: (e) => (fatal = e) });
  s.put('k', 1);
  let acked = false;
  s.sync(() => (acked = true));
  await until(() => fatal, { what: "the store's fatal error" });
  assert.match(String(fatal?.message), new RegExp(`write-ahead log .*${WAL_FILE}: EIO`));
  assert.equal(acked, false);
  s.sync(() => (acked = true));
  await aRoundLater(t);
  assert.equal(acked, false, 'nothing is acknowledged after the failure either');
  await new Promise<void>((r) => s.close(r)); // a failed store still closes at once
});

test('short writes are continued until the whole round is in the file', async (t) => {
  const dir = tempDir(t);
  const s = WalStore.open(dir);
  const fd = (s as unknown as { fd: number }).fd;
  const writeSync = fs.writeSync;
  let calls = 0;
  patchFs(t, 'writeSync', (f: number, buf: Buffer, off: number, len: number, pos: number) => {
    if (f !== fd) return writeSync(f, buf, off, len, pos);
    calls++;
    return writeSync(f, buf, off, Math.min(len, 7), pos); // at most 7 bytes a call
  });
  for (let i = 0; i < 20; i++) s.append({ i, pad: 'x'.repeat(i * 10) });
  await synced(s);
  assert.ok(calls > 20, `the round took ${calls} writes`);
  assert.equal(s.bytes, statSync(join(dir, WAL_FILE)).size, 'size accounting follows the writes');
  await new Promise<void>((r) => s.close(r));
  const r = WalStore.open(dir);
  assert.equal(r.lastIndex(), 20);
  assert.deepEqual(r.entry(20), { i: 19, pad: 'x'.repeat(190) });
  r.close();
});
