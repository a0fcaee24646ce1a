import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  centreOn,
  MIN_SPAN_MS,
  pan,
  ticks,
  tickStep,
  timeToX,
  xToTime,
  zoom,
} from '../../lab/src/lamport/viewport.js';

const v = { t0: 100, t1: 300 };

test('time and pixels map back and forth', () => {
  assert.equal(timeToX(v, 1000, 200), 500);
  assert.equal(xToTime(v, 1000, 250), 150);
});

test('zooming keeps the time under the pointer in place', () => {
  const z = zoom(v, 0.5, 150, 1000);
  assert.equal(z.t1 - z.t0, 100);
  assert.equal(timeToX(z, 1000, 150), timeToX(v, 1000, 150));
});

test('zoom and pan stay within the run and above the narrowest span', () => {
  assert.deepEqual(zoom(v, 100, 200, 1000), { t0: 0, t1: 1000 });
  const tiny = zoom(v, 1e-9, 200, 1000);
  assert.ok(Math.abs(tiny.t1 - tiny.t0 - MIN_SPAN_MS) < 1e-9);
  assert.deepEqual(pan(v, -500, 1000), { t0: 0, t1: 200 });
  assert.deepEqual(pan(v, 5000, 1000), { t0: 800, t1: 1000 });
  assert.deepEqual(centreOn(v, 950, 1000), { t0: 800, t1: 1000 });
});

test('ticks fall on round 1-2-5 steps', () => {
  assert.equal(tickStep(1000, 10), 100);
  assert.equal(tickStep(30, 10), 2);
  assert.equal(tickStep(0.9, 4), 0.2);
  assert.deepEqual(ticks({ t0: 95, t1: 260 }, 4), [100, 150, 200, 250]);
});
