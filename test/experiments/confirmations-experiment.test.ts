/** The confirmations experiment, run quick: models by name, fits per row, and the k = 0 race. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getExperiment } from '../../src/experiments/registry.js';

const quick = { seed: 1, quick: true };

interface Fit {
  shareForQuotedConfidence: Record<string, number>;
  oneShareFitsAll: boolean;
}

test('confirmations: every row names its model, no single share fits the table, k = 0 is a tx race', () => {
  const e = getExperiment('confirmations');
  assert.ok(e);
  const r = e.run(quick);
  assert.equal(r.verdict, 'not measurable as stated');
  const rows = r.rows as { k: number; model: string }[];
  const models = ['nakamoto-poisson', 'rosenfeld-catch-up', 'overtake-no-head-start'];
  for (const model of models) assert.equal(rows.filter((x) => x.model === model).length, 4 * 8);
  // Zero confirmations is never a mining race.
  assert.ok(rows.filter((x) => x.k === 0).every((x) => x.model === 'transaction-race'));
  const m = r.measured as unknown as {
    monteCarloAgreesWithClosedForm: Record<string, boolean>;
    shareThatGivesQuotedConfidence: Record<string, Fit>;
    zeroConfirmations: Record<string, number>;
  };
  for (const model of models) {
    assert.equal(m.monteCarloAgreesWithClosedForm[model], true, model);
    const fit = m.shareThatGivesQuotedConfidence[model] as Fit;
    assert.equal(fit.oneShareFitsAll, false, model);
    // The table asks more of deeper confirmations than any one attacker delivers: the share
    // that would make "60 % at 1" true is larger than the one for "99.9 % at 6".
    assert.ok(
      (fit.shareForQuotedConfidence['1'] as number) > (fit.shareForQuotedConfidence['6'] as number),
    );
  }
  // Rosenfeld at one confirmation is 2q: 60 % confidence means q = 0.2 exactly.
  assert.equal(
    m.shareThatGivesQuotedConfidence['rosenfeld-catch-up']?.shareForQuotedConfidence['1'],
    0.2,
  );
  assert.equal(m.zeroConfirmations.bThirtySecondsLate, 0);
  assert.ok((m.zeroConfirmations.replaceByFee as number) > 0.95);
  assert.ok(
    (m.zeroConfirmations.directToAllMiners as number) >
      (m.zeroConfirmations.releasedTogether as number),
  );
  // Sources quote the seed verbatim and the plots carry error bars.
  const seedQuotes = (e.sources ?? []).filter((s) => s.kind === 'seed');
  assert.equal(seedQuotes.length, 5);
  assert.ok(
    seedQuotes.some((s) => s.kind === 'seed' && s.quote.includes('99.9% "Bitcoin standard"')),
  );
  assert.ok((r.plots ?? []).length >= 3);
  for (const p of r.plots ?? [])
    assert.ok(
      p.series.some((s) => s.role === 'measured' && s.points.every((x) => x.lo !== undefined)),
    );
  assert.deepEqual(e.run(quick), r, 'same seed, same numbers');
});
