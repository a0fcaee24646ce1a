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

// Its verdict over ten seed ranges is verdict-stability.test.ts's (stale-rate asks for ten).
test('stale-rate (full): supported, and the same rule rejects the fork probability as the stale share', () => {
  const e = getExperiment('stale-rate');
  assert.ok(e);
  assert.equal(e.stabilitySeeds, 10);
  const r = e.run({ seed: 1, quick: false });
  assert.equal(r.verdict, 'supported');
  const m = r.measured as { forkProbabilityFitsEveryDelay: boolean };
  assert.equal(m.forkProbabilityFitsEveryDelay, false);
});

interface NetworkRow {
  alpha: number;
  beforeBelowHonest: boolean;
  afterBeatsHonest: boolean;
  afterBelowHonest: boolean;
  gainPerT: { before: { mean: number }; after: { mean: number } };
}

test('selfish-mining: a 40 % withholder loses before the retarget and gains after it', () => {
  const e = getExperiment('selfish-mining');
  const r = e?.run({ seed: 1, quick: false });
  assert.ok(e && r);
  assert.equal(r.verdict, 'refuted');
  const m = r.measured as { thresholds: { gamma: number; firstProfitableAlpha: number }[] };
  assert.deepEqual(
    m.thresholds.map((t) => t.firstProfitableAlpha),
    [0.35, 0.3, 0.1], // theory: 1/3, 1/4, 0
  );
  const net = r.rows.filter((x) => (x as { source: string }).source.startsWith('nakamoto'));
  const [low, high] = net as unknown as [NetworkRow, NetworkRow];
  assert.equal(low.alpha, 0.25);
  assert.ok(low.beforeBelowHonest && low.afterBelowHonest, 'below the threshold it never pays');
  assert.equal(high.alpha, 0.4);
  assert.ok(high.gainPerT.before.mean < 0, 'before the retarget withholding costs the attacker');
  assert.ok(high.afterBeatsHonest, 'after the retarget it earns more per unit of time');
  assert.ok(e.sources?.some((s) => s.kind === 'seed' && s.quote.startsWith('51% attack')));
  assert.equal(r.plots?.[0]?.series.filter((s) => s.role === 'measured').length, 3);
});
