/** The confirmations experiment, run quick: shape, determinism and what it concludes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
