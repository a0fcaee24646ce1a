/**
 * The time index behind ListOffsets by timestamp (src/runtime/kafka/time-index.ts): against a
 * model (the linear scan it replaces) over seeded random batches whose timestamps go back and
 * forth, with truncations and log-start moves; the `own-max` mutant (each entry its batch's own
 * largest timestamp, not the running maximum) is caught by the same run. Then the replicated
 * broker's index over a partition log (replicated-time-index.ts), which must notice a truncation
 * and re-append under it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { streamFor, type Random } from '../../../src/core/random.js';
import { OpLogStore } from '../../../src/core/storage.js';
import { PartitionLog } from '../../../src/protocols/isr/partition-log.js';
import { ReplicatedTimeIndexes } from '../../../src/runtime/kafka/broker/replicated-time-index.js';
import {
  TimeIndex,
  TimeIndexError,
  type TimeIndexMutant,
} from '../../../src/runtime/kafka/time-index.js';

interface Batch {
  readonly base: number;
  readonly count: number;
  readonly maxTs: number;
}

/** A timestamp that mostly rises, sometimes falls back (clients' clocks differ), or is absent. */
function nextTs(r: Random, now: number): number {
  const u = r.next();
  if (u < 0.05) return -1;
  if (u < 0.3) return now - r.int(5000);
  return now + r.int(100);
}

/**
 * Random appends, truncations and log-start moves; after each, lookups of random times must
 * find a batch no later than the model's first qualifying one and, without log-start moves in
 * between, exactly it. Returns the first disagreement.
 */
function modelRun(seed: number, mutant?: TimeIndexMutant): string | undefined {
  const r = streamFor(seed, 'time-index-model');
  const index = new TimeIndex(mutant);
  let log: Batch[] = [];
  let start = 0;
  let moved = false;
  let now = 1_000_000;
  for (let step = 0; step < 400; step++) {
    const u = r.next();
    if (u < 0.7) {
      const base =
        log.length === 0 ? start : (log.at(-1) as Batch).base + (log.at(-1) as Batch).count;
      now += r.int(50);
      const b = { base, count: 1 + r.int(5), maxTs: nextTs(r, now) };
      log.push(b);
      index.append(b.base, b.maxTs);
    } else if (u < 0.85 && log.length > 0) {
      const cut = (log[r.int(log.length)] as Batch).base;
      log = log.filter((b) => b.base < cut);
      index.truncateTo(cut);
    } else if (log.length > 1) {
      const last = log.at(-1) as Batch;
      start = (log[r.int(log.length)] as Batch).base;
      start = Math.min(start, last.base);
      log = log.filter((b) => b.base + b.count > start);
      index.dropBefore(start);
      moved = true;
    }
    for (let q = 0; q < 5; q++) {
      const t = now - r.int(8000) + r.int(200);
      const want = log.find((b) => b.maxTs >= t)?.base;
      const got = index.lookup(t);
      const ok = moved
        ? want === undefined
          ? got === undefined || log.every((b) => b.base < got || b.maxTs < t)
          : got !== undefined && got <= want
        : got === want;
      if (!ok) return `seed ${seed} step ${step}: lookup(${t}) = ${got}, the log says ${want}`;
    }
  }
  return undefined;
}

test('the time index agrees with a linear scan over 20 seeds of random batches', () => {
  for (let seed = 1; seed <= 20; seed++) assert.equal(modelRun(seed), undefined);
});

test('mutant own-max is caught: a binary search over unordered maxima misses batches', () => {
  const caught = Array.from({ length: 20 }, (_, i) => modelRun(i + 1, 'own-max')).filter(
    (x) => x !== undefined,
  );
  assert.ok(caught.length > 0, 'no seed told the mutant apart');
});

test('batches out of order are refused', () => {
  const i = new TimeIndex();
  i.append(5, 100);
  assert.throws(() => i.append(5, 200), TimeIndexError);
});

class MemStore extends OpLogStore {
  readonly unsyncedWrites = 0;
  protected keep(): void {}
  sync(onDurable: () => void): void {
    onDurable();
  }
}

function batch(baseOffset: number, count: number, maxTimestamp: number, epoch = 0) {
  return {
    baseOffset,
    count,
    leaderEpoch: epoch,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    maxTimestamp,
    payload: null as Json,
  };
}

test('the replicated broker’s index follows its partition log, truncations included', () => {
  const log = new PartitionLog(new MemStore(), 'p-0');
  const idx = new ReplicatedTimeIndexes();
  [100, 300, 200, 500, 400].forEach((ts, i) => log.append(batch(i * 2, 2, ts)));
  log.setHw(10);
  assert.deepEqual(idx.offsetForTime(log, 10, 250), { offset: 2, timestamp: 300 });
  assert.deepEqual(idx.offsetForTime(log, 10, 450), { offset: 6, timestamp: 500 });
  assert.equal(idx.offsetForTime(log, 6, 450), undefined, 'not past the end given (the HW)');
  assert.equal(idx.offsetForTime(log, 10, 501), undefined);
  // Cut back to offset 4 and written again with other timestamps: the index is built anew.
  log.truncateTo(4);
  log.append(batch(4, 2, 900, 1));
  log.append(batch(6, 2, 50, 1));
  assert.deepEqual(idx.offsetForTime(log, 8, 450), { offset: 4, timestamp: 900 });
  assert.deepEqual(idx.offsetForTime(log, 8, 250), { offset: 2, timestamp: 300 });
  log.append(batch(8, 1, 1000, 1));
  assert.deepEqual(idx.offsetForTime(log, 9, 950), { offset: 8, timestamp: 1000 });
});
