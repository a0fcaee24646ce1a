/**
 * The segmented log's behaviours, each a scenario that throws when the log gets it wrong. The
 * tests run each against the real log (it must pass) and against the mutants it is meant to catch
 * (it must fail): segment-log.test.ts.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  openSync,
  readdirSync,
  rmSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  SegmentLog,
  type SegmentLogMutant,
  type SegmentLogOptions,
} from '../../../src/runtime/kafka/segment-log.js';
import { SegmentLogError } from '../../../src/runtime/kafka/segment-error.js';
import { segmentFileName } from '../../../src/runtime/kafka/segment.js';
import { baseOffsetsIn, batch } from './segment-batches.js';

export type Scenario = (dir: string, mutant?: SegmentLogMutant) => Promise<void>;

const code = (c: string) => (e: unknown) => e instanceof SegmentLogError && e.code === c;

function open(
  dir: string,
  mutant: SegmentLogMutant | undefined,
  o: SegmentLogOptions = {},
): SegmentLog {
  return SegmentLog.open(dir, { ...o, ...(mutant !== undefined ? { mutant } : {}) });
}

/** Appends `n` batches of `count` records each (bodies of `body` bytes) from the log end. */
function fill(log: SegmentLog, n: number, count: number, body = 100, ts = 1_000): number[] {
  const bases: number[] = [];
  for (let i = 0; i < n; i++) {
    const baseOffset = log.logEndOffset;
    bases.push(baseOffset);
    log.append(batch({ baseOffset, count, body, maxTimestamp: ts + i }));
  }
  return bases;
}

/** Every offset read back one fetch at a time gives the batch holding it, first. */
function readsAll(log: SegmentLog, bases: number[], count: number): void {
  for (const base of bases) {
    for (const offset of [base, base + count - 1]) {
      const got = log.read(offset, 1);
      assert.deepEqual(baseOffsetsIn(got.bytes), [base], `read(${offset})`);
      assert.equal(got.nextOffset, base + count);
    }
  }
}

/** The files of a segment whose base offset is `base`. */
const logFile = (dir: string, base: number) => join(dir, segmentFileName(base, '.log'));
const indexFile = (dir: string, base: number) => join(dir, segmentFileName(base, '.index'));

const SCENARIO_BODIES = {
  /** Appends roll segments; reads find every batch through the index, inside batches too. */
  async appendAndRead(dir, mutant) {
    const log = open(dir, mutant, { segmentBytes: 4096, indexIntervalBytes: 300 });
    const bases = fill(log, 100, 5);
    assert.equal(log.logEndOffset, 500);
    assert.ok(log.segmentBases().length >= 3, `rolled into ${log.segmentBases().length} segments`);
    for (const b of log.segmentBases()) assert.ok(statSync(logFile(dir, b)).size <= 4096);
    readsAll(log, bases, 5);
    const all = log.read(0, 1 << 20);
    assert.deepEqual(baseOffsetsIn(all.bytes), bases);
    assert.equal(all.nextOffset, 500);
    const bounded = log.read(12, 400, 30);
    assert.deepEqual(baseOffsetsIn(bounded.bytes), [10, 15]);
    assert.equal(log.read(500, 100).bytes.length, 0);
    assert.throws(() => log.read(501, 100), code('offset-out-of-range'));
    await log.close();
  },

  /** A fetch smaller than the first batch still gets that whole batch, then no more. */
  async oversizedFirstBatch(dir, mutant) {
    const log = open(dir, mutant);
    fill(log, 3, 2, 500);
    const got = log.read(1, 10);
    assert.deepEqual(baseOffsetsIn(got.bytes), [0]);
    await log.close();
  },

  /** Appends must be whole, intact batches at the log end. */
  async appendChecks(dir, mutant) {
    const log = open(dir, mutant);
    fill(log, 2, 3);
    const flipped = batch({ baseOffset: 6, count: 1 });
    flipped[70] = (flipped[70] ?? 0) ^ 0x10;
    assert.throws(() => log.append(flipped), code('corrupt-batch'));
    assert.throws(() => log.append(batch({ baseOffset: 7, count: 1 })), code('bad-append-offset'));
    assert.throws(() => log.append(batch({ baseOffset: 5, count: 1 })), code('bad-append-offset'));
    assert.equal(log.logEndOffset, 6);
    await log.close();
  },

  /** Truncation drops whole batches: inside a batch, that batch goes too; durable at once. */
  async truncation(dir, mutant) {
    let log = open(dir, mutant, { segmentBytes: 2048 });
    fill(log, 40, 4);
    await log.flush();
    assert.equal(log.truncateTo(80), 80);
    assert.equal(log.truncateTo(61), 60, 'inside the batch [60, 63]: it goes');
    assert.equal(log.syncedOffset, 60);
    assert.equal(log.logEndOffset, 60);
    assert.throws(() => log.read(61, 100), code('offset-out-of-range'));
    fill(log, 1, 4);
    readsAll(log, [56, 60], 4);
    await log.close();
    log = open(dir, mutant, { segmentBytes: 2048 });
    assert.equal(log.logEndOffset, 64);
    assert.equal(log.recovery.problem, undefined);
    await log.close();
  },

  /** A torn tail after the recovery point is cut off, and the log goes on from there. */
  async tornTail(dir, mutant) {
    let log = open(dir, mutant);
    fill(log, 5, 2);
    await log.close(); // recovery point 10
    log = open(dir, mutant);
    fill(log, 3, 2); // 10..15, never fsync'd nor checkpointed
    await log.flush();
    await closeWithoutCheckpoint(log);
    const file = logFile(dir, 0);
    truncateSync(file, statSync(file).size - 30);
    log = open(dir, mutant);
    assert.equal(log.logEndOffset, 14);
    assert.equal(log.recovery.problem?.code, 'length');
    assert.equal(log.recovery.problem?.offset, 14);
    fill(log, 1, 2);
    assert.deepEqual(baseOffsetsIn(log.read(0, 1 << 20).bytes), [0, 2, 4, 6, 8, 10, 12, 14]);
    await log.close();
  },

  /** A flipped byte after the recovery point: the log is cut at that batch. */
  async flipAfterRecoveryPoint(dir, mutant) {
    let log = open(dir, mutant);
    fill(log, 4, 2, 50);
    await log.close(); // recovery point 8
    log = open(dir, mutant);
    fill(log, 3, 2, 50); // 8, 10, 12
    await closeWithoutCheckpoint(log);
    const batchBytes = 61 + 50;
    flipByte(logFile(dir, 0), 5 * batchBytes + 70); // inside batch 10's records
    log = open(dir, mutant);
    assert.equal(log.logEndOffset, 10);
    assert.equal(log.recovery.problem?.code, 'crc');
    assert.equal(log.recovery.truncatedBytes, 2 * batchBytes);
    await log.close();
  },

  /** A flipped byte below the recovery point is refused, not cut off. */
  async flipBelowRecoveryPoint(dir, mutant) {
    let log = open(dir, mutant, { segmentBytes: 1024 });
    fill(log, 30, 2, 50);
    await log.close();
    const bases = readdirSync(dir).filter((n) => n.endsWith('.log'));
    assert.ok(bases.length >= 3);
    flipByte(logFile(dir, 0), 61 + 50 + 65);
    // The first segment is wholly below the recovery point: trusted until its index needs a
    // rebuild, which reads every batch.
    writeFileSync(indexFile(dir, 0), 'garbage!');
    assert.throws(
      () => open(dir, mutant, { segmentBytes: 1024 }),
      code('corrupt-below-recovery-point'),
    );
    // In the segment holding the recovery point, a batch below it is read and refused too.
    flipByte(logFile(dir, 0), 61 + 50 + 65); // restore
    log = open(dir, mutant, { segmentBytes: 1024 });
    const last = log.segmentBases().at(-1) as number;
    await log.close();
    flipByte(logFile(dir, last), 70);
    assert.throws(
      () => open(dir, mutant, { segmentBytes: 1024 }),
      code('corrupt-below-recovery-point'),
    );
  },

  /** A log cut cleanly at a batch boundary before its recovery point is refused. */
  async shortLog(dir, mutant) {
    const log = open(dir, mutant);
    fill(log, 4, 2, 50);
    await log.close();
    truncateSync(logFile(dir, 0), 2 * (61 + 50));
    assert.throws(() => open(dir, mutant), code('shorter-than-recovery-point'));
  },

  /** A deleted or garbage index is rebuilt; reads are the same as before. */
  async indexRebuilt(dir, mutant) {
    const o = { segmentBytes: 4096, indexIntervalBytes: 200 };
    let log = open(dir, mutant, o);
    const bases = fill(log, 80, 3);
    await log.close();
    const segs = readdirSync(dir)
      .filter((n) => n.endsWith('.index'))
      .sort();
    assert.ok(segs.length >= 3);
    const [first, second] = segs as [string, string];
    const good = readFileSync(join(dir, second));
    assert.ok(good.length >= 16, 'the index has entries');
    rmSync(join(dir, first));
    // Garbage that still rises and stays inside the file: entries that point mid-batch.
    const garbage = Buffer.alloc(good.length);
    for (let i = 0; i < garbage.length; i += 8) {
      garbage.writeInt32BE(good.readInt32BE(i) + 1, i);
      garbage.writeInt32BE(good.readInt32BE(i + 4) + 7, i + 4);
    }
    writeFileSync(join(dir, second), garbage);
    log = open(dir, mutant, o);
    readsAll(log, bases, 3);
    await log.close();
    assert.deepEqual(readFileSync(join(dir, second)), good, 'rebuilt as it was written');
  },

  /** syncedOffset covers only what an fsync finished for. */
  async syncedOffset(dir, mutant) {
    const log = open(dir, mutant);
    fill(log, 2, 2);
    const fsyncs: Promise<number>[] = [];
    fsyncs.push(log.flush());
    assert.equal(log.syncedOffset, 0, 'not before the fsync completes');
    fill(log, 1, 2);
    fsyncs.push(log.flush());
    assert.equal(await fsyncs[0], 4);
    assert.equal(await fsyncs[1], 6);
    assert.equal(log.syncedOffset, 6);
    await log.close();
  },
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIO_BODIES;
export const SCENARIOS: Record<ScenarioName, Scenario> = SCENARIO_BODIES;

/** Which scenario catches each mutant of the log. */
export const CATCHES: Record<SegmentLogMutant, ScenarioName> = {
  'append-skips-crc': 'appendChecks',
  'append-skips-offset-check': 'appendChecks',
  'recovery-skips-crc': 'flipAfterRecoveryPoint',
  'recovery-cuts-below-recovery-point': 'flipBelowRecoveryPoint',
  'recovery-accepts-short-log': 'shortLog',
  'index-trusted': 'indexRebuilt',
  'truncate-keeps-straddling': 'truncation',
  'read-no-oversized-first': 'oversizedFirstBatch',
  'synced-before-fsync': 'syncedOffset',
};

/** Closes the log as a crash would leave it: files closed, the recovery point not moved. */
async function closeWithoutCheckpoint(log: SegmentLog): Promise<void> {
  const rp = readFileSync(join(log.dir, 'recovery-point'));
  await log.close();
  writeFileSync(join(log.dir, 'recovery-point'), rp);
}

function flipByte(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = readFileSync(file);
    writeSync(fd, Buffer.from([(b[at] ?? 0) ^ 0x01]), 0, 1, at);
  } finally {
    closeSync(fd);
  }
}
