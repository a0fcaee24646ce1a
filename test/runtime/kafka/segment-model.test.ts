/**
 * The segmented log against a model (an array of batches): seeded random appends, truncations,
 * log-start moves, retention passes, flushes and reopenings, with every read checked against
 * what the model says the log holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentLog, type SegmentLogOptions } from '../../../src/runtime/kafka/segment-log.js';
import { SegmentLogError } from '../../../src/runtime/kafka/segment-error.js';
import { batch, tempDir } from './segment-batches.js';

/** mulberry32: a small seeded generator, so a failing seed replays. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

interface ModelBatch {
  readonly base: number;
  readonly count: number;
  readonly bytes: Buffer;
}

/** What a fetch at `offset` of `maxBytes` must return: the batch holding it, then more that fit. */
function expected(model: ModelBatch[], offset: number, maxBytes: number): Buffer {
  const i = model.findIndex((b) => b.base + b.count > offset);
  if (i < 0) return Buffer.alloc(0);
  const out: Buffer[] = [];
  let size = 0;
  for (let j = i; j < model.length; j++) {
    const b = model[j] as ModelBatch;
    if (out.length > 0 && size + b.bytes.length > maxBytes) break;
    out.push(b.bytes);
    size += b.bytes.length;
  }
  return Buffer.concat(out);
}

async function run(dir: string, seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const o: SegmentLogOptions = {
    segmentBytes: 1024,
    indexIntervalBytes: 100,
    retentionBytes: 2500,
    retentionMs: -1,
  };
  let log = SegmentLog.open(dir, o);
  let model: ModelBatch[] = [];
  let start = 0;
  let end = 0;
  for (let step = 0; step < steps; step++) {
    const what = r(100);
    const where = `seed ${seed} step ${step}`;
    if (what < 55) {
      const b = batch({ baseOffset: end, count: 1 + r(5), body: r(300), epoch: 1 + (step >> 6) });
      log.append(b);
      model.push({ base: end, count: b.readInt32BE(57), bytes: b });
      end += b.readInt32BE(57);
    } else if (what < 63) {
      const to = r(end + 1);
      log.truncateTo(to);
      if (to < start) {
        model = [];
        start = to;
        end = to;
      } else {
        // The whole batch holding `to` goes: the log ends where it began.
        const cut = model.find((b) => b.base + b.count > to);
        if (cut !== undefined) {
          end = cut.base;
          model = model.filter((b) => b.base < end);
          start = Math.min(start, end);
        }
      }
    } else if (what < 68) {
      const to = start + r(end - start + 1);
      log.advanceLogStart(to);
      start = to;
      model = model.filter((b) => b.base + b.count > start);
    } else if (what < 75) {
      log.deleteOldSegments(0);
      assert.ok(log.logStartOffset >= start, where);
      start = log.logStartOffset;
      model = model.filter((b) => b.base + b.count > start);
    } else if (what < 80) {
      await log.flush();
      assert.equal(log.syncedOffset, end, where);
    } else if (what < 84) {
      await log.close();
      log = SegmentLog.open(dir, o);
      assert.equal(log.recovery.problem, undefined, where);
    }
    assert.equal(log.logEndOffset, end, where);
    assert.equal(log.logStartOffset, start, where);
    for (let k = 0; k < 3 && end > start; k++) {
      const offset = start + r(end - start);
      const maxBytes = r(800);
      const got = log.read(offset, maxBytes);
      assert.deepEqual(
        got.bytes,
        expected(model, offset, maxBytes),
        `${where}: read(${offset}, ${maxBytes})`,
      );
    }
    assert.throws(
      () => log.read(end + 1, 10),
      (e: unknown) => e instanceof SegmentLogError && e.code === 'offset-out-of-range',
    );
  }
  await log.close();
}

test('the segmented log agrees with a model over random appends, truncations, retention and reopenings', async (t) => {
  for (const seed of [1, 2, 3]) await run(tempDir(t), seed, 300);
});
