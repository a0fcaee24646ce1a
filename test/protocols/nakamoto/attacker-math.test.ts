/**
 * The double-spend odds against the tables the Bitcoin whitepaper (section 11) publishes, the
 * exact formula against Monte Carlo races, and the selfish-mining threshold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../../src/core/random.js';
import {
  ATTACKER_MODELS,
  exactCatchUp,
  leastSafeZ,
  nakamotoCatchUp,
  reversalProbability,
  shareForRisk,
} from '../../../src/protocols/nakamoto/attacker-math.js';
import { modelRaceMany, raceMany } from '../../../src/protocols/nakamoto/race.js';
import {
  selfishRevenue,
  selfishThreshold,
  simulateSelfish,
} from '../../../src/protocols/nakamoto/selfish-mining.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import type { chainReport } from '../../../src/systems/chain/nakamoto.js';
import { createNakamotoSystem, DEFAULT_NAKAMOTO } from '../../../src/systems/chain/nakamoto.js';

// Whitepaper §11 tables (P printed to 7 decimals).
const Q01 = [
  1.0, 0.2045873, 0.0509779, 0.0131722, 0.0034552, 0.0009137, 0.0002428, 0.0000647, 0.0000173,
  0.0000046, 0.0000012,
];
const Q03: [number, number][] = [
  [0, 1.0],
  [5, 0.1773523],
  [10, 0.0416605],
  [15, 0.0101008],
  [20, 0.0024804],
  [25, 0.0006132],
  [30, 0.0001522],
  [35, 0.0000379],
  [40, 0.0000095],
  [45, 0.0000024],
  [50, 0.0000006],
];
const SAFE_Z: [number, number][] = [
  [0.1, 5],
  [0.15, 8],
  [0.2, 11],
  [0.25, 15],
  [0.3, 24],
  [0.35, 41],
  [0.4, 89],
  [0.45, 340],
];

test('whitepaper table q = 0.1, z = 0..10', () => {
  Q01.forEach((p, z) => assert.equal(nakamotoCatchUp(0.1, z).toFixed(7), p.toFixed(7), `z=${z}`));
});

test('whitepaper table q = 0.3, z = 0..50 by 5', () => {
  for (const [z, p] of Q03)
    assert.equal(nakamotoCatchUp(0.3, z).toFixed(7), p.toFixed(7), `z=${z}`);
});

test('whitepaper table: least z with P < 0.001', () => {
  for (const [q, z] of SAFE_Z) assert.equal(leastSafeZ(q, 0.001), z, `q=${q}`);
  assert.equal(leastSafeZ(0.5, 0.001), undefined);
});

test('the exact formula: closed values and the gap to the Poisson approximation', () => {
  // One confirmation, catch-up: 1 − (p − q) = 2q.
  assert.ok(Math.abs(exactCatchUp(0.1, 1) - 0.2) < 1e-12);
  assert.ok(Math.abs(exactCatchUp(0.3, 0, 1) - 0.3 / 0.7) < 1e-12);
  assert.equal(exactCatchUp(0.5, 3), 1);
  // The whitepaper overstates the risk a little at small z (0.2046 vs 0.2000).
  assert.ok(nakamotoCatchUp(0.1, 1) > exactCatchUp(0.1, 1));
  for (let z = 1; z <= 10; z++) assert.ok(exactCatchUp(0.2, z, 1) < exactCatchUp(0.2, z, 0));
});

test('Monte Carlo races agree with the exact formula within their sampling error', () => {
  for (const [q, z, lead] of [
    [0.1, 1, 0],
    [0.3, 2, 1],
    [0.3, 5, 0],
    [0.45, 3, 1],
  ] as const) {
    const m = raceMany(streamFor(7, `race:${q}:${z}`), { q, z, lead }, 8000);
    const exact = exactCatchUp(q, z, lead);
    assert.ok(
      Math.abs(m.rate - exact) < 4 * m.stderr + 1e-3,
      `q=${q} z=${z} lead=${lead}: measured ${m.rate} ± ${m.stderr}, exact ${exact}`,
    );
  }
});

/** Rosenfeld's closed form as his paper writes it, computed here independently of the module. */
function rosenfeldAsPrinted(q: number, n: number): number {
  const p = 1 - q;
  let sum = 0;
  let binom = 1; // C(m + n − 1, m), starting at m = 0
  for (let m = 0; m <= n; m++) {
    if (m > 0) binom = (binom * (m + n - 1)) / m;
    sum += binom * (p ** n * q ** m - p ** m * q ** n);
  }
  return 1 - sum;
}

test('the three attacker models, by name: Rosenfeld as printed, and how far apart they are', () => {
  for (const q of [0.05, 0.1, 0.25, 0.4])
    for (const z of [1, 2, 3, 6, 10]) {
      const r = reversalProbability('rosenfeld-catch-up', q, z);
      assert.ok(Math.abs(r - rosenfeldAsPrinted(q, z)) < 1e-12, `q=${q} z=${z}`);
      assert.equal(reversalProbability('nakamoto-poisson', q, z), nakamotoCatchUp(q, z));
      assert.equal(reversalProbability('overtake-no-head-start', q, z), exactCatchUp(q, z, 1));
    }
  // One confirmation: Rosenfeld gives 2q; overtaking without a head start about half that at
  // q = 0.3 and far less at q = 0.1.
  assert.ok(Math.abs(reversalProbability('rosenfeld-catch-up', 0.3, 1) - 0.6) < 1e-12);
  const ratio =
    reversalProbability('rosenfeld-catch-up', 0.3, 1) /
    reversalProbability('overtake-no-head-start', 0.3, 1);
  assert.ok(ratio > 1.9 && ratio < 2.0, `ratio ${ratio}`);
});

test('shareForRisk inverts each model, and rises with the confidence asked for', () => {
  for (const model of ATTACKER_MODELS)
    for (const z of [1, 2, 6])
      for (const risk of [0.4, 0.1, 0.001]) {
        const q = shareForRisk(model, z, risk);
        assert.ok(q > 0 && q < 0.5);
        assert.ok(
          Math.abs(reversalProbability(model, q, z) - risk) < 1e-9,
          `${model} ${z} ${risk}`,
        );
      }
  assert.equal(shareForRisk('rosenfeld-catch-up', 1, 0.4).toFixed(12), '0.200000000000');
  assert.throws(() => shareForRisk('nakamoto-poisson', 0, 0.5), RangeError);
  assert.throws(() => shareForRisk('nakamoto-poisson', 1, 1), RangeError);
});

test("each model's own race agrees with its closed form; a race without the pre-mined block does not", () => {
  for (const model of ATTACKER_MODELS)
    for (const [q, z] of [
      [0.1, 1],
      [0.3, 2],
      [0.25, 6],
    ] as const) {
      const m = modelRaceMany(streamFor(11, `model-race:${model}:${q}:${z}`), model, q, z, 6000);
      const closed = reversalProbability(model, q, z);
      assert.ok(
        Math.abs(m.rate - closed) < 4 * m.stderr + 1e-3,
        `${model} q=${q} z=${z}: ${m.rate} ± ${m.stderr} vs ${closed}`,
      );
      assert.ok(m.lo <= m.rate && m.rate <= m.hi);
    }
  // Mutant: Rosenfeld's attacker without his pre-mined block (everything else the same).
  const mutant = raceMany(streamFor(11, 'mutant'), { q: 0.3, z: 2, lead: 1, headStart: 0 }, 6000);
  const closed = reversalProbability('rosenfeld-catch-up', 0.3, 2);
  assert.ok(closed - mutant.rate > 8 * mutant.stderr, `mutant ${mutant.rate} vs ${closed}`);
});

test('the double spend in the simulator succeeds as often as the exact formula says', () => {
  // The last of 4 nodes holds 30 % and attacks a merchant who waits for 2 confirmations.
  const q = 0.3;
  const z = 2;
  const system = createNakamotoSystem({
    ...DEFAULT_NAKAMOTO,
    attacker: 'double-spend',
    attackerShare: q,
    merchantConfirmations: z,
    txIntervalMs: 0,
  });
  let wins = 0;
  let attempts = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const run = runChecked({ system, seed, nodes: 4, workload: { durationMs: 300_000 } });
    const r = run.judgement?.details as unknown as ReturnType<typeof chainReport>;
    wins += r.attacks.wins;
    attempts += r.attacks.attempts;
  }
  const rate = wins / attempts;
  const exact = exactCatchUp(q, z, 1); // must overtake: ties go to the block seen first
  const stderr = Math.sqrt((exact * (1 - exact)) / attempts);
  assert.ok(attempts > 200, `attempts ${attempts}`);
  assert.ok(
    Math.abs(rate - exact) < 3.5 * stderr,
    `simulated ${rate} over ${attempts}, exact ${exact} ± ${stderr}`,
  );
  // And it is far from the whitepaper's catch-up figure, which counts a tie as a win.
  assert.ok(nakamotoCatchUp(q, z) - rate > 5 * stderr);
});

test('selfish mining: the Eyal–Sirer closed form, its threshold, and the state machine', () => {
  assert.ok(Math.abs(selfishRevenue(1 / 3, 0) - 1 / 3) < 1e-12);
  assert.equal(selfishThreshold(0), 1 / 3);
  assert.equal(selfishThreshold(0.5), 0.25);
  assert.ok(selfishRevenue(0.3, 0) < 0.3 && selfishRevenue(0.4, 0) > 0.4);
  for (const [alpha, gamma] of [
    [0.2, 0],
    [0.35, 0],
    [0.3, 0.5],
    [0.25, 1],
  ] as const) {
    const out = simulateSelfish(streamFor(3, `selfish:${alpha}:${gamma}`), alpha, gamma, 100_000);
    assert.ok(
      Math.abs(out.share - selfishRevenue(alpha, gamma)) < 0.006,
      `α=${alpha} γ=${gamma}: ${out.share} vs ${selfishRevenue(alpha, gamma)}`,
    );
  }
});
