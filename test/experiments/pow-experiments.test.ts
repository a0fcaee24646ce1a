/** The proof-of-work network experiments, run quick: shape, determinism and what they conclude. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getExperiment } from '../../src/experiments/registry.js';

const quick = { seed: 1, quick: true };

test('stale-rate: stale blocks grow with delay / interval as the model says', () => {
  const r = getExperiment('stale-rate')?.run(quick);
  assert.ok(r);
  const rates = r.rows.map((x) => (x as { rate: number }).rate);
  assert.ok((rates[rates.length - 1] as number) > 5 * (rates[1] as number));
  assert.ok(['supported', 'refuted'].includes(r.verdict));
});

test('selfish-mining: withholding pays well below 50 %, so the 51 % claim is refuted', () => {
  const r = getExperiment('selfish-mining')?.run(quick);
  assert.ok(r);
  assert.equal(r.verdict, 'refuted');
  const t = (r.measured as { thresholds: { gamma: number; firstProfitableAlpha: number }[] })
    .thresholds;
  assert.equal(t[0]?.firstProfitableAlpha, 0.35); // theory: 1/3 at γ = 0
});
