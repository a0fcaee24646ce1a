/**
 * The zero-confirmation race of two transactions: who hears what first decides it, the
 * first-seen rule is what makes "all miners heard A first" safe, and replace-by-fee is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../../src/core/random.js';
import {
  DEFAULT_TX_RACE,
  txRaceMany,
  validateTxRace,
  type TxRaceOptions,
} from '../../../src/protocols/nakamoto/tx-race.js';

const run = (o: Partial<TxRaceOptions>, label: string, trials = 400) =>
  txRaceMany(streamFor(5, label), { ...DEFAULT_TX_RACE, ...o }, trials);

test('all miners hear A first: B is never mined', () => {
  const r = run({ bLeadS: -30 }, 'late');
  assert.equal(r.successes, 0);
  assert.equal(r.meanBShare, 0);
});

test('success is the share of hash power holding B, and grows as B reaches more miners', () => {
  let last = -1;
  for (const d of [0, 5, 10]) {
    const r = run({ bDirectMiners: d }, `direct:${d}`);
    const rate = r.successes / r.trials;
    const se = Math.sqrt((r.meanBShare * (1 - r.meanBShare)) / r.trials);
    assert.ok(Math.abs(rate - r.meanBShare) < 4 * se + 0.01, `d=${d}: ${rate} vs ${r.meanBShare}`);
    assert.ok(r.meanBShare > last);
    last = r.meanBShare;
  }
  // Released together with no direct links the two transactions split the miners about evenly.
  const even = run({ bDirectMiners: 0 }, 'even', 1000);
  assert.ok(Math.abs(even.meanBShare - 0.5) < 0.06, `${even.meanBShare}`);
});

test('B released well before A reaches the merchant first: the payment is refused', () => {
  const r = run({ bDirectMiners: 10, bLeadS: 5 }, 'early');
  assert.equal(r.merchantSawBFirst, r.trials);
  assert.equal(r.successes, 0);
});

test('replace-by-fee (A signals BIP 125, B pays more): every miner ends with B', () => {
  const r = run({ policy: 'replace-by-fee' }, 'rbf');
  assert.equal(r.meanBShare, 1);
  assert.ok(r.successes / r.trials > 0.98);
});

test('mutant no-first-seen (nodes take the last conflicting tx heard) is caught', () => {
  const r = run({ bLeadS: -30, policy: 'no-first-seen' }, 'late');
  assert.ok(r.successes / r.trials > 0.5, `mutant success ${r.successes / r.trials}`);
});

test('same seed, same race; bad options are RangeErrors', () => {
  assert.deepEqual(run({ bDirectMiners: 3 }, 'det', 50), run({ bDirectMiners: 3 }, 'det', 50));
  for (const bad of [
    { miners: 0 },
    { bDirectMiners: 11 },
    { miners: 59 },
    { meanHopS: 0 },
    { bLeadS: Infinity },
    { degree: 60 },
  ]) {
    assert.throws(
      () => validateTxRace({ ...DEFAULT_TX_RACE, ...bad }),
      RangeError,
      JSON.stringify(bad),
    );
  }
});
