import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32, streamFor } from '../../src/core/random.js';

test('the same seed and label give the same stream', () => {
  const a = streamFor(42, 'network');
  const b = streamFor(42, 'network');
  for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
});

test('streams for different concerns or seeds are independent', () => {
  const net = new Sfc32(7, 'network');
  const work = new Sfc32(7, 'workload');
  const other = new Sfc32(8, 'network');
  const n = Array.from({ length: 8 }, () => net.next());
  assert.notDeepEqual(
    n,
    Array.from({ length: 8 }, () => work.next()),
  );
  assert.notDeepEqual(
    n,
    Array.from({ length: 8 }, () => other.next()),
  );
});

test('draws stay in range and are roughly uniform', () => {
  const r = new Sfc32(1, 'uniformity');
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]!++;
    const k = r.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
  }
  for (const b of buckets) assert.ok(b > 9_000 && b < 11_000, `bucket ${b}`);
});

test('exponential draws have the requested mean', () => {
  const r = new Sfc32(3, 'exp');
  let sum = 0;
  for (let i = 0; i < 50_000; i++) sum += r.exponential(5);
  assert.ok(Math.abs(sum / 50_000 - 5) < 0.15);
});

test('shuffle is a permutation', () => {
  const r = new Sfc32(9);
  const xs = r.shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...xs].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => r.pick([]), /empty/);
});
