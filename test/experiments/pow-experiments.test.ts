/** The proof-of-work network experiments: what they conclude, and that the seed cannot flip it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getExperiment } from '../../src/experiments/registry.js';
import { modelStaleRate } from '../../src/experiments/stale-rate.js';

interface StaleRow {
  ratio: number;
  rate: number;
  lo: number;
  hi: number;
  model: number;
  forkProbability: number;
}

test('stale-rate (quick): the derived model matches at every d/T, with intervals', () => {
  const r = getExperiment('stale-rate')?.run({ seed: 1, quick: true });
  assert.ok(r);
  assert.equal(r.verdict, 'supported');
  const rows = r.rows as unknown as StaleRow[];
  for (const row of rows) assert.ok(row.lo <= row.rate && row.rate <= row.hi);
  // To first order both are (1 − 1/n)·d/T; at d/T = 0.4 they are far apart.
  assert.ok(Math.abs(modelStaleRate(1, 1000, 5) - 0.0008) < 0.0001);
  assert.ok(r.plots?.[0]?.series.some((s) => s.role === 'measured'));
});

test('stale-rate: the full run gives the same verdict for ten seed ranges', () => {
  const verdicts = new Set<string>();
  for (let base = 1; base <= 9001; base += 1000) {
    const r = getExperiment('stale-rate')?.run({ seed: base, quick: false });
    assert.ok(r);
    verdicts.add(r.verdict);
    // The same rule rejects Decker–Wattenhofer's fork probability as the stale share.
    const m = r.measured as { forkProbabilityFitsEveryDelay: boolean };
    assert.equal(m.forkProbabilityFitsEveryDelay, false, `seed ${base}`);
  }
  assert.deepEqual([...verdicts], ['supported']);
});
