import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  planRetention,
  RETENTION_MUTANTS,
  type RetentionMutant,
  type RetentionSegment,
} from '../../../src/runtime/kafka/retention.js';
import { LOG_START_FILE, SegmentLog } from '../../../src/runtime/kafka/segment-log.js';
import { SegmentLogError } from '../../../src/runtime/kafka/segment-error.js';
import { segmentFileName } from '../../../src/runtime/kafka/segment.js';
import { baseOffsetsIn, batch, tempDir } from './segment-batches.js';

/** Segments of 10 offsets and `bytes` each; segment i's largest timestamp is `ts[i]`. */
function segments(bytes: number[], ts: number[] = bytes.map(() => 0)): RetentionSegment[] {
  return bytes.map((b, i) => ({
    baseOffset: i * 10,
    nextOffset: i * 10 + 10,
    bytes: b,
    largestTimestamp: () => ts[i] as number,
  }));
}

const SCENARIOS = {
  /** Time: a run of old segments from the oldest, stopping at the first young one. */
  byTime(mutant?: RetentionMutant) {
    const s = segments([100, 100, 100, 100, 100], [1_000, 2_000, 9_000, 2_500, 9_500]);
    const plan = planRetention(
      s,
      { retentionMs: 5_000, retentionBytes: -1 },
      { nowMs: 10_000, logStartOffset: 0, highWatermark: 50 },
      mutant,
    );
    assert.deepEqual(plan, { count: 2, reason: 'time' });
  },
  /** Size: oldest first, while what is left is still at least retention.bytes. */
  bySize(mutant?: RetentionMutant) {
    const s = segments([100, 300, 200, 50]);
    const policy = { retentionMs: -1, retentionBytes: 300 };
    const now = { nowMs: 0, logStartOffset: 0, highWatermark: 40 };
    assert.deepEqual(planRetention(s, policy, now, mutant), { count: 1, reason: 'size' });
    const within = { retentionMs: -1, retentionBytes: 650 };
    assert.deepEqual(planRetention(s, within, now, mutant), { count: 0, reason: undefined });
  },
  /** Never the active segment, however old or large the log. */
  keepsActive(mutant?: RetentionMutant) {
    const s = segments([100, 100], [0, 0]);
    const plan = planRetention(
      s,
      { retentionMs: 1, retentionBytes: 0 },
      { nowMs: 10_000, logStartOffset: 20, highWatermark: 20 },
      mutant,
    );
    assert.equal(plan.count, 1);
  },
  /** Never a segment holding an offset at or past the high watermark. */
  keepsUnreplicated(mutant?: RetentionMutant) {
    const s = segments([100, 100, 100, 100], [0, 0, 0, 0]);
    const plan = planRetention(
      s,
      { retentionMs: 1, retentionBytes: 0 },
      { nowMs: 10_000, logStartOffset: 0, highWatermark: 15 },
      mutant,
    );
    assert.equal(plan.count, 1);
  },
};

const CATCHES: Record<RetentionMutant, keyof typeof SCENARIOS> = {
  'retention-deletes-active': 'keepsActive',
  'retention-past-high-watermark': 'keepsUnreplicated',
  'size-retention-overshoots': 'bySize',
  'time-retention-skips-young': 'byTime',
};

for (const [name, scenario] of Object.entries(SCENARIOS))
  test(`retention: ${name}`, () => scenario());

test('every retention mutant fails its scenario', () => {
  assert.deepEqual(Object.keys(CATCHES).sort(), [...RETENTION_MUTANTS].sort());
  for (const mutant of RETENTION_MUTANTS) {
    assert.throws(() => SCENARIOS[CATCHES[mutant]](mutant), assert.AssertionError, mutant);
  }
});

test('the log start: segments wholly below it go, the one holding it stays', () => {
  const plan = planRetention(
    segments([100, 100, 100]),
    { retentionMs: -1, retentionBytes: -1 },
    { nowMs: 0, logStartOffset: 15, highWatermark: 30 },
  );
  assert.deepEqual(plan, { count: 1, reason: 'log-start' });
});

/** A log of 40 batches of 2 records, 161 bytes each, 6 to a 1 KiB segment, timestamps 1000 + i. */
function filledLog(dir: string, o: { retentionMs?: number; retentionBytes?: number }): SegmentLog {
  const log = SegmentLog.open(dir, { segmentBytes: 1024, ...o });
  for (let i = 0; i < 40; i++) {
    log.append(
      batch({
        baseOffset: i * 2,
        count: 2,
        body: 100,
        maxTimestamp: 1_000 + i,
        epoch: i < 20 ? 1 : 2,
      }),
    );
  }
  return log;
}

test('a log deletes its oldest segments by size and moves its log start', async (t) => {
  const dir = tempDir(t);
  const log = filledLog(dir, { retentionBytes: 2000 });
  assert.deepEqual(log.segmentBases(), [0, 12, 24, 36, 48, 60, 72]);
  const plan = log.deleteOldSegments(0);
  assert.deepEqual(plan, { count: 4, reason: 'size' });
  assert.deepEqual(log.segmentBases(), [48, 60, 72]);
  assert.ok(log.sizeInBytes() >= 2000);
  assert.equal(log.logStartOffset, 48);
  assert.equal(existsSync(join(dir, segmentFileName(0, '.log'))), false);
  assert.equal(existsSync(join(dir, segmentFileName(0, '.index'))), false);
  assert.throws(
    () => log.read(47, 100),
    (e: unknown) => e instanceof SegmentLogError && e.code === 'offset-out-of-range',
  );
  assert.deepEqual(baseOffsetsIn(log.read(48, 200).bytes), [48]);
  assert.deepEqual(log.epochs.list(), [{ epoch: 2, startOffset: 48 }]);
  await log.close();
  const again = SegmentLog.open(dir, { segmentBytes: 1024 });
  assert.equal(again.logStartOffset, 48);
  await again.close();
});

test('a log deletes segments by time, from their largest timestamp, never the active one', async (t) => {
  const dir = tempDir(t);
  const log = filledLog(dir, { retentionMs: 100 });
  // Segment 12 holds timestamps 1006..1011: at now = 1111 it is 100 ms old, not more.
  assert.deepEqual(log.deleteOldSegments(1_111), { count: 1, reason: 'time' });
  assert.deepEqual(log.segmentBases(), [12, 24, 36, 48, 60, 72]);
  assert.deepEqual(log.deleteOldSegments(1_000_000, 50), { count: 3, reason: 'time' });
  assert.deepEqual(log.segmentBases(), [48, 60, 72], 'not past the high watermark 50');
  log.deleteOldSegments(1_000_000);
  assert.deepEqual(log.segmentBases(), [72]);
  assert.equal(log.logStartOffset, 72);
  await log.close();
});

test('DeleteRecords moves the log start inside a segment; retention then drops what lies below', async (t) => {
  const dir = tempDir(t);
  const log = filledLog(dir, {});
  log.advanceLogStart(30);
  assert.equal(log.logStartOffset, 30);
  assert.deepEqual(baseOffsetsIn(log.read(30, 10).bytes), [30]);
  assert.throws(() => log.advanceLogStart(81), SegmentLogError);
  assert.deepEqual(log.deleteOldSegments(0), { count: 2, reason: 'log-start' });
  assert.deepEqual(log.segmentBases(), [24, 36, 48, 60, 72]);
  assert.equal(log.logStartOffset, 30);
  await log.close();
});

test('a crash after the log start moved but before the files went: they go on open', async (t) => {
  const dir = tempDir(t);
  const log = filledLog(dir, {});
  await log.close();
  writeFileSync(join(dir, LOG_START_FILE), '0\n1\n40\n');
  const again = SegmentLog.open(dir, { segmentBytes: 1024 });
  assert.deepEqual(again.segmentBases(), [36, 48, 60, 72]);
  assert.equal(again.logStartOffset, 40);
  assert.equal(existsSync(join(dir, segmentFileName(24, '.log'))), false);
  await again.close();
});
