/** The proof-of-work experiments, run quick: shape, determinism and what they conclude. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { getExperiment } from '../../src/experiments/registry.js';

const quick = { seed: 1, quick: true };

test('confirmations: measured beside computed, the quoted figures hold only up to some q', () => {
  const e = getExperiment('confirmations');
  assert.ok(e);
  const r = e.run(quick);
  assert.equal(r.verdict, 'not measurable as stated');
  assert.equal(r.rows.length, 5 * 8);
  const m = r.measured as {
    holdsForAttackerSharesUpTo: Record<string, number | null>;
    monteCarloAgreesWithExactFormula: boolean;
  };
  assert.equal(m.monteCarloAgreesWithExactFormula, true);
  // "6 confirmations ≈ 99.9 %" holds against a 10 % attacker and fails at 15 %.
  assert.equal(m.holdsForAttackerSharesUpTo['6'], 0.1);
  // Deeper confirmation protects against larger attackers, never smaller ones.
  assert.ok(
    (m.holdsForAttackerSharesUpTo['1'] as number) > (m.holdsForAttackerSharesUpTo['6'] as number),
  );
  assert.deepEqual(e.run(quick), r, 'same seed, same numbers');
});

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

test('experiment NAME --json prints {name, claim, rows, measured, verdict}', async () => {
  let out = '';
  const code = await main(['experiment', 'selfish-mining', '--quick', '--json'], {
    out: (t) => (out += t),
    err: () => {},
    interactive: false,
  });
  assert.equal(code, 0);
  const j = JSON.parse(out);
  assert.deepEqual(Object.keys(j), ['name', 'claim', 'rows', 'measured', 'verdict']);
});
