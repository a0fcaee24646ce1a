import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisTicks, tickFormat } from '../../lab/src/lamport/axis.js';

test('tick labels never repeat, at any zoom', () => {
  // Spans from a fraction of a millisecond to minutes, at windows that start anywhere.
  for (const span of [0.5, 0.8, 3, 7.5, 42, 130, 999, 1500, 4500, 12_000, 60_000, 180_000]) {
    for (const t0 of [0, 9.7, 1003.3, 10_040]) {
      for (const width of [300, 808, 1400]) {
        const ticks = axisTicks({ t0, t1: t0 + span }, width);
        assert.ok(
          ticks.length >= (width >= 800 ? 3 : 1),
          `ticks for ${span} ms at ${t0} in ${width} px`,
        );
        const labels = ticks.map((t) => t.label);
        assert.equal(new Set(labels).size, labels.length, `repeated: ${labels.join(', ')}`);
        // And they leave room for a label between ticks.
        if (ticks.length < 2) continue;
        const pxPerTick = ((ticks[1]!.t - ticks[0]!.t) / span) * width;
        assert.ok(pxPerTick >= 95, `${pxPerTick} px between ticks`);
      }
    }
  }
});

test('ticks are exact multiples of the step and print with the step’s precision', () => {
  const ticks = axisTicks({ t0: 10, t1: 11 }, 1000);
  assert.deepEqual(
    ticks.map((t) => t.label),
    [
      '10.0 ms',
      '10.1 ms',
      '10.2 ms',
      '10.3 ms',
      '10.4 ms',
      '10.5 ms',
      '10.6 ms',
      '10.7 ms',
      '10.8 ms',
      '10.9 ms',
      '11.0 ms',
    ],
  );
  assert.equal(tickFormat(0.05)(0.3), '0.30 ms');
  assert.equal(tickFormat(2000)(14_000), '14 s');
  assert.equal(tickFormat(500)(1500), '1500 ms');
  assert.equal(tickFormat(5000)(0), '0 s');
  assert.equal(tickFormat(200)(-0), '0 ms');
});
