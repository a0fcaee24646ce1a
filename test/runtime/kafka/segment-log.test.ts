import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  SEGMENT_LOG_MUTANTS,
  SegmentLog,
  type SegmentLogOptions,
} from '../../../src/runtime/kafka/segment-log.js';
import { SegmentLogError } from '../../../src/runtime/kafka/segment-error.js';
import { baseOffsetsIn, batch, tempDir } from './segment-batches.js';
import { CATCHES, SCENARIOS, type ScenarioName } from './segment-scenarios.js';

const code = (c: string) => (e: unknown) => e instanceof SegmentLogError && e.code === c;

for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
  test(`segment log: ${name}`, async (t) => {
    await SCENARIOS[name](tempDir(t));
  });
}

// The same scenario passes on the real log (the tests above), so any failure here is the mutant's.
test('every mutant of the segment log fails its scenario', async (t) => {
  assert.deepEqual(Object.keys(CATCHES).sort(), [...SEGMENT_LOG_MUTANTS].sort());
  for (const mutant of SEGMENT_LOG_MUTANTS) {
    let failed = false;
    await SCENARIOS[CATCHES[mutant]](tempDir(t), mutant).catch(() => {
      failed = true;
    });
    assert.ok(failed, `mutant ${mutant} passed scenario ${CATCHES[mutant]}`);
  }
});

test('a segment rolls when a batch is segment.ms newer than its first; files are named by base offset', async (t) => {
  const dir = tempDir(t);
  const log = SegmentLog.open(dir, { segmentMs: 1000 });
  const times = [5_000, 5_600, 6_000, 6_001, 7_500];
  times.forEach((ts, i) => log.append(batch({ baseOffset: i, count: 1, maxTimestamp: ts })));
  assert.deepEqual(log.segmentBases(), [0, 3, 4]);
  assert.deepEqual(
    readdirSync(dir)
      .filter((n) => /^\d{20}\.(log|index)$/.test(n))
      .sort(),
    [
      '00000000000000000000.index',
      '00000000000000000000.log',
      '00000000000000000003.index',
      '00000000000000000003.log',
      '00000000000000000004.index',
      '00000000000000000004.log',
    ],
  );
  await log.close();
});

test('flush.messages starts a flush by itself; close writes the recovery point', async (t) => {
  const dir = tempDir(t);
  const log = SegmentLog.open(dir, { flushMessages: 5 });
  log.append(batch({ baseOffset: 0, count: 3 }));
  log.append(batch({ baseOffset: 3, count: 3 }));
  await log.flush(); // joins the round the second append started
  assert.equal(log.syncedOffset, 6);
  log.append(batch({ baseOffset: 6, count: 1 }));
  await log.close();
  assert.equal(readFileSync(join(dir, 'recovery-point'), 'latin1'), '0\n1\n7\n');
  assert.throws(() => log.read(0, 10), code('closed'));
  await assert.rejects(log.flush(), code('closed'));
});

test('the leader-epoch file follows appends, truncation and the log start', async (t) => {
  const dir = tempDir(t);
  let log = SegmentLog.open(dir);
  log.append(batch({ baseOffset: 0, count: 5, epoch: 1 }));
  log.append(batch({ baseOffset: 5, count: 5, epoch: 1 }));
  log.append(batch({ baseOffset: 10, count: 5, epoch: 3 }));
  log.append(batch({ baseOffset: 15, count: 5, epoch: 4 }));
  assert.deepEqual(log.epochs.list(), [
    { epoch: 1, startOffset: 0 },
    { epoch: 3, startOffset: 10 },
    { epoch: 4, startOffset: 15 },
  ]);
  assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 10 });
  assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 20 });
  log.truncateTo(12);
  assert.deepEqual(log.epochs.list(), [{ epoch: 1, startOffset: 0 }]);
  assert.deepEqual(log.endOffsetForEpoch(3), { epoch: -1, endOffset: -1 });
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 10 });
  log.append(batch({ baseOffset: 10, count: 5, epoch: 5 }));
  log.advanceLogStart(7);
  assert.deepEqual(log.epochs.list(), [
    { epoch: 1, startOffset: 7 },
    { epoch: 5, startOffset: 10 },
  ]);
  await log.close();
  log = SegmentLog.open(dir);
  assert.equal(log.logStartOffset, 7);
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 10 });
  assert.throws(() => log.read(6, 100), code('offset-out-of-range'));
  assert.deepEqual(baseOffsetsIn(log.read(7, 1000).bytes), [5, 10]);
  await log.close();
});

test('truncating below the log start empties the log and starts it there', async (t) => {
  const dir = tempDir(t);
  let log = SegmentLog.open(dir, { segmentBytes: 1024 });
  for (let i = 0; i < 20; i++)
    log.append(batch({ baseOffset: i * 2, count: 2, body: 100, epoch: 2 }));
  log.advanceLogStart(30);
  assert.equal(log.truncateTo(10), 10);
  assert.deepEqual(log.segmentBases(), [10]);
  assert.equal(log.logStartOffset, 10);
  assert.deepEqual(log.epochs.list(), []);
  log.append(batch({ baseOffset: 10, count: 2, epoch: 3 }));
  await log.close();
  log = SegmentLog.open(dir, { segmentBytes: 1024 });
  assert.equal(log.logStartOffset, 10);
  assert.equal(log.logEndOffset, 12);
  await log.close();
});

test('bad options are refused with a typed error', (t) => {
  const dir = tempDir(t);
  const bad: SegmentLogOptions[] = [
    { segmentBytes: 10 },
    { segmentBytes: 2 ** 31 },
    { indexIntervalBytes: -1 },
    { flushMessages: 0 },
    { flushMs: 1.5 },
    { retentionMs: -2 },
  ];
  for (const o of bad)
    assert.throws(() => SegmentLog.open(dir, o), code('bad-option'), JSON.stringify(o));
});

test('a batch larger than a segment is refused; one bigger than the rest gets a segment of its own', async (t) => {
  const dir = tempDir(t);
  const log = SegmentLog.open(dir, { segmentBytes: 1024 });
  assert.throws(
    () => log.append(batch({ baseOffset: 0, count: 1, body: 1000 })),
    code('batch-too-large'),
  );
  log.append(batch({ baseOffset: 0, count: 1, body: 100 }));
  log.append(batch({ baseOffset: 1, count: 1, body: 900 }));
  assert.deepEqual(log.segmentBases(), [0, 1]);
  const twoBatches = new Uint8Array(
    Buffer.concat([batch({ baseOffset: 2, count: 1 }), batch({ baseOffset: 3, count: 1 })]),
  );
  assert.throws(() => log.append(twoBatches), code('corrupt-batch'));
  await log.close();
});

test('truncating away the batch that holds the log start brings the log start down to the end', async (t) => {
  const dir = tempDir(t);
  const log = SegmentLog.open(dir);
  log.append(batch({ baseOffset: 0, count: 5 }));
  log.append(batch({ baseOffset: 5, count: 5 }));
  log.advanceLogStart(7);
  assert.equal(log.truncateTo(8), 5);
  assert.equal(log.logStartOffset, 5);
  assert.equal(log.read(5, 100).bytes.length, 0);
  log.append(batch({ baseOffset: 5, count: 1 }));
  await log.close();
  const again = SegmentLog.open(dir);
  assert.deepEqual([again.logStartOffset, again.logEndOffset], [5, 6]);
  await again.close();
});

test('a flush that completes a segment moves the recovery point on disk', async (t) => {
  const dir = tempDir(t);
  const log = SegmentLog.open(dir, { segmentBytes: 1024 });
  const rp = () => readFileSync(join(dir, 'recovery-point'), 'latin1');
  for (let i = 0; i < 5; i++) log.append(batch({ baseOffset: i, count: 1, body: 100 }));
  await log.flush();
  assert.equal(rp(), '0\n1\n0\n', 'the first segment is still the active one');
  for (let i = 5; i < 8; i++) log.append(batch({ baseOffset: i, count: 1, body: 100 }));
  assert.deepEqual(log.segmentBases(), [0, 6]);
  await log.flush();
  assert.equal(rp(), '0\n1\n8\n');
  assert.equal(log.recoveryPoint, 8);
  await log.close();
});

test('a file change that fails fails the log: every later call is refused, onFatal hears of it', async (t) => {
  const dir = join(tempDir(t), 'partition');
  const fatal: Error[] = [];
  const log = SegmentLog.open(dir, { segmentBytes: 1024, onFatal: (e) => fatal.push(e) });
  for (let i = 0; i < 6; i++) log.append(batch({ baseOffset: i, count: 1, body: 100 }));
  rmSync(dir, { recursive: true }); // the next roll cannot create its segment
  assert.throws(
    () => log.append(batch({ baseOffset: 6, count: 1, body: 100 })),
    code('storage-failed'),
  );
  assert.equal(fatal.length, 1);
  assert.throws(() => log.read(0, 100), code('storage-failed'));
  assert.throws(() => log.truncateTo(2), code('storage-failed'));
  await assert.rejects(log.flush());
  await log.close();
});
