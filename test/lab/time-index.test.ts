import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lastAtOrBefore,
  lowerBound,
  rangeWithin,
  TimeColumn,
  upperBound,
} from '../../lab/src/time-index.js';

const times = [0, 1, 1, 1, 2.5, 4, 4, 9];

test('lower and upper bounds find the first time at or after, and after, a given time', () => {
  assert.equal(lowerBound(times, 1), 1);
  assert.equal(upperBound(times, 1), 4);
  assert.equal(lowerBound(times, -5), 0);
  assert.equal(upperBound(times, 100), times.length);
  assert.equal(lowerBound(times, 3), 5);
  assert.equal(lowerBound([], 3), 0);
});

test('the latest entry at or before a time, or -1 when all are later', () => {
  assert.equal(lastAtOrBefore(times, 1), 3);
  assert.equal(lastAtOrBefore(times, 3.9), 4);
  assert.equal(lastAtOrBefore(times, -0.1), -1);
  assert.equal(lastAtOrBefore(times, 9), 7);
});

test('a window includes the events at both of its ends', () => {
  assert.deepEqual(rangeWithin(times, 1, 4), [1, 7]);
  assert.deepEqual(rangeWithin(times, 5, 8), [7, 7]);
  // Agrees with a scan on many random windows.
  for (let i = 0; i < 200; i++) {
    const a = (i * 37) % 11;
    const b = a + ((i * 13) % 5);
    const [s, e] = rangeWithin(times, a, b);
    assert.deepEqual(
      times.slice(s, e),
      times.filter((t) => t >= a && t <= b),
    );
  }
});

test('a time column grows past its first capacity and stays searchable', () => {
  const col = new TimeColumn();
  for (let i = 0; i < 5000; i++) col.push(i / 2);
  assert.equal(col.length, 5000);
  assert.equal(col.get(4999), 2499.5);
  assert.equal(lowerBound(col.view(), 1000), 2000);
});
