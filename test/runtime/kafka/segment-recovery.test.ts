import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECOVERY_POINT_FILE, SegmentLog } from '../../../src/runtime/kafka/segment-log.js';
import { segmentFileName } from '../../../src/runtime/kafka/segment.js';
import { baseOffsetsIn, batch, tempDir } from './segment-batches.js';

const BATCH = 61 + 100;

/** 30 batches of 3 records (161 bytes each, 6 to a 1 KiB segment), never checkpointed. */
async function unflushedLog(dir: string): Promise<void> {
  const log = SegmentLog.open(dir, { segmentBytes: 1024, indexIntervalBytes: 200 });
  for (let i = 0; i < 30; i++) log.append(batch({ baseOffset: i * 3, count: 3, body: 100 }));
  const rp = readFileSync(join(dir, RECOVERY_POINT_FILE));
  await log.close();
  writeFileSync(join(dir, RECOVERY_POINT_FILE), rp); // as a crash would leave it: 0
}

test('a log never checkpointed is recovered whole when every batch is intact', async (t) => {
  const dir = tempDir(t);
  await unflushedLog(dir);
  assert.equal(readFileSync(join(dir, RECOVERY_POINT_FILE), 'latin1'), '0\n1\n0\n');
  const log = SegmentLog.open(dir, { segmentBytes: 1024 });
  assert.equal(log.logEndOffset, 90);
  assert.equal(log.recovery.problem, undefined);
  assert.equal(log.recovery.truncatedBytes, 0);
  assert.equal(log.recoveryPoint, 90, 'recovered data is fsync-ed and checkpointed');
  await log.close();
});

test('damage in a middle segment after the recovery point cuts there and drops every later segment', async (t) => {
  const dir = tempDir(t);
  await unflushedLog(dir);
  // Segment 36 holds batches 12..17; zero the third one's header.
  const file = join(dir, segmentFileName(36, '.log'));
  const bytes = readFileSync(file);
  bytes.fill(0, 2 * BATCH, 2 * BATCH + 30);
  writeFileSync(file, bytes);
  const log = SegmentLog.open(dir, { segmentBytes: 1024 });
  assert.equal(log.logEndOffset, 42);
  assert.equal(log.recovery.problem?.segment, 36);
  assert.equal(log.recovery.problem?.position, 2 * BATCH);
  assert.equal(log.recovery.truncatedBytes, (30 - 14) * BATCH);
  assert.deepEqual(log.segmentBases(), [0, 18, 36]);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.log')),
    [0, 18, 36].map((b) => segmentFileName(b, '.log')),
  );
  assert.deepEqual(baseOffsetsIn(log.read(36, 1 << 20).bytes), [36, 39]);
  await log.close();
});

test('a tail torn at any byte is cut back to the last whole batch', async (t) => {
  const base = tempDir(t);
  const master = join(base, 'master');
  await unflushedLog(master);
  const last = join(master, segmentFileName(72, '.log'));
  const size = statSync(last).size; // batches 72..87 (6 of them)
  // Cut points spread over the segment, on and off batch boundaries (a fixed stride, not random).
  for (let cut = 0; cut < size; cut += 37) {
    const dir = join(base, `cut-${cut}`);
    cpSync(master, dir, { recursive: true });
    truncateSync(join(dir, segmentFileName(72, '.log')), cut);
    const log = SegmentLog.open(dir, { segmentBytes: 1024 });
    const whole = Math.floor(cut / BATCH);
    assert.equal(log.logEndOffset, 72 + whole * 3, `cut at ${cut}`);
    assert.equal(log.recovery.truncatedBytes, cut - whole * BATCH);
    if (whole > 0)
      assert.deepEqual(baseOffsetsIn(log.read(72 + whole * 3 - 1, 1).bytes), [
        72 + (whole - 1) * 3,
      ]);
    await log.close();
  }
});

test('close() closes every file the log opened', async (t) => {
  const dir = tempDir(t);
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  const log = SegmentLog.open(dir, { segmentBytes: 1024, flushMs: 5 });
  for (let i = 0; i < 30; i++) log.append(batch({ baseOffset: i * 3, count: 3, body: 100 }));
  const pending = log.flush();
  log.truncateTo(40); // deletes segments while their fsyncs may be in flight
  log.advanceLogStart(20);
  assert.equal(log.deleteOldSegments(0, 30).count, 1);
  await pending;
  assert.ok(fds() > before);
  await log.close();
  assert.equal(fds(), before);
});

test('recovery that starts at the index entry below the recovery point still checks every batch after it', async (t) => {
  const dir = tempDir(t);
  const o = { indexIntervalBytes: 300 };
  let log = SegmentLog.open(dir, o);
  for (let i = 0; i < 20; i++) log.append(batch({ baseOffset: i * 3, count: 3, body: 100 }));
  await log.close(); // recovery point 60, in the (only) segment, which has index entries
  log = SegmentLog.open(dir, o);
  assert.equal(log.recovery.rebuiltIndexes.length, 0);
  for (let i = 20; i < 30; i++) log.append(batch({ baseOffset: i * 3, count: 3, body: 100 }));
  await log.close();
  writeFileSync(join(dir, RECOVERY_POINT_FILE), '0\n1\n60\n'); // a crash before that close
  const file = join(dir, segmentFileName(0, '.log'));
  const bytes = readFileSync(file);
  bytes[25 * BATCH + 80] = (bytes[25 * BATCH + 80] ?? 0) ^ 0x40; // batch 75's records
  writeFileSync(file, bytes);
  log = SegmentLog.open(dir, o);
  assert.equal(log.logEndOffset, 75);
  assert.equal(log.recovery.problem?.code, 'crc');
  assert.equal(log.recovery.truncatedBytes, 5 * BATCH);
  assert.deepEqual(baseOffsetsIn(log.read(72, 1000).bytes), [72]);
  await log.close();
});
