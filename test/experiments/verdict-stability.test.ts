/**
 * Issue 16, item 9: every registered experiment gives the same verdict, in full mode, at several
 * disjoint seed ranges (base seeds 1, 1001, 2001, … : an experiment runs trials on seed,
 * seed + 1, …, so ranges 1000 apart do not overlap). Three ranges each, or the experiment's own
 * `stabilitySeeds`. A verdict that flips with the seed is a result of noise, not of the claim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// The experiments run PBFT, which needs a signature scheme (the CLI installs the same one).
import '../../src/protocols/pbft/ed25519.js';
import { experiments } from '../../src/experiments/registry.js';

const DEFAULT_RANGES = 3;
const RANGE_STRIDE = 1000;

export function stabilityBases(ranges: number | undefined): number[] {
  return Array.from({ length: ranges ?? DEFAULT_RANGES }, (_, i) => 1 + i * RANGE_STRIDE);
}

test('a documented seed-range count is a whole number of at least 3', () => {
  for (const e of experiments()) {
    if (e.stabilitySeeds === undefined) continue;
    assert.ok(
      Number.isInteger(e.stabilitySeeds) && e.stabilitySeeds >= DEFAULT_RANGES,
      `${e.name}: stabilitySeeds ${e.stabilitySeeds}`,
    );
  }
  assert.deepEqual(stabilityBases(undefined), [1, 1001, 2001]);
});

for (const e of experiments()) {
  const bases = stabilityBases(e.stabilitySeeds);
  test(`${e.name}: the same verdict at base seeds ${bases.join(', ')} (full mode)`, () => {
    const verdicts: string[] = [];
    const seconds: string[] = [];
    for (const seed of bases) {
      const started = performance.now();
      verdicts.push(e.run({ seed, quick: false }).verdict);
      seconds.push(((performance.now() - started) / 1000).toFixed(1));
    }
    const at = bases.map((s, i) => `seed ${s}: ${verdicts[i]}`).join('; ');
    process.stdout.write(`# ${e.name}: ${at} (${seconds.join(' s, ')} s)\n`);
    assert.equal(
      new Set(verdicts).size,
      1,
      `experiment ${e.name} gives different verdicts over seed ranges: ${at}`,
    );
  });
}
