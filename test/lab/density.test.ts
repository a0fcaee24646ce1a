import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arrowsWouldFill,
  binDensity,
  densityAlpha,
  DENSITY_ABOVE_PER_PX,
} from '../../lab/src/lamport/density.js';
import type { DiagramMessage } from '../../lab/src/lamport/layout.js';

const msg = (
  from: number,
  to: number,
  sent: number,
  end: number,
  fate: DiagramMessage['fate'] = 'delivered',
): DiagramMessage => ({ id: 0, from, to, type: 'x', sent, end, fate, duplicate: false });

test('arrows give way to density when there are more messages than pixels can show', () => {
  assert.equal(arrowsWouldFill(100, 900), false);
  assert.equal(arrowsWouldFill(DENSITY_ABOVE_PER_PX * 900, 900), false);
  assert.equal(arrowsWouldFill(DENSITY_ABOVE_PER_PX * 900 + 1, 900), true);
});

test('a message counts in every gap its arrow crosses, at the midpoint of its flight', () => {
  const grid = binDensity(
    [
      msg(0, 2, 0, 4), // midpoint 2: bin 0, gaps 0 and 1
      msg(2, 1, 10, 14), // midpoint 12: bin 1, gap 1
      msg(1, 0, 15, 15, 'partition'), // dropped at send: bin 1, gap 0, as a drop
      msg(0, 3, 35, Infinity, 'in-flight'), // in flight: at its send, bin 3
      msg(1, 1, 5, 6), // to itself: crosses nothing
      msg(0, 1, 50, 52), // outside the window
    ],
    4,
    0,
    40,
    4,
  );
  assert.equal(grid.binMs, 10);
  assert.deepEqual(grid.crossing, [
    [1, 1, 0, 1],
    [1, 1, 0, 1],
    [0, 0, 0, 1],
  ]);
  assert.deepEqual(grid.dropped, [
    [0, 1, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  assert.equal(grid.maxCrossing, 1);
  assert.equal(grid.maxDropped, 1);
});

test('density opacity grows with the count and never reaches a solid fill', () => {
  assert.equal(densityAlpha(0, 10), 0);
  const a = [1, 3, 10, 100].map((c) => densityAlpha(c, 100));
  for (let i = 1; i < a.length; i++) assert.ok(a[i]! > a[i - 1]!);
  assert.ok(a[0]! > 0.1 && a[3]! <= 0.7);
});
