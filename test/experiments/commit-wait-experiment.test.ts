/**
 * commit-wait: under TrueTime a transaction is answered 2ε after it took its timestamp, so once
 * 2ε exceeds its own work its latency is 2ε plus the client's hops, and grows by 2 ms per ms of
 * ε; without commit wait (the `no-commit-wait` mutant) ε costs nothing at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EXPECTED_SLOPE,
  FAST_LINKS,
  FIT_FROM_MS,
  measureCommitWait,
  SLOPE_TOLERANCE,
} from '../../src/experiments/commit-wait.js';
import { getExperiment } from '../../src/experiments/registry.js';
import { fitLine } from '../../src/experiments/txn-measures.js';

const EPSILONS = [0, 2, 5, 10];
/** How far the median latency may stand from 2ε once the wait covers its work: the client's two
 * hops (0.2 ms mean each). The median, not the mean: the odd transaction waiting on a range's
 * new lease or split (ranges section of docs/transactions.md) adds a tail that is not the wait. */
const HOPS_TOLERANCE_MS = 1.5;

test('commit-wait: latency is 2ε (± the client hops) once 2ε covers the work, 2 ms per ms of ε', () => {
  const m = measureCommitWait({
    seed: 1,
    seeds: 2,
    ops: 120,
    latency: FAST_LINKS,
    epsilons: EPSILONS,
  });
  const means = m.points.map((p) => p.meanMs);
  for (let i = 1; i < means.length; i++)
    assert.ok(means[i]! > means[i - 1]! - 0.2, `latency fell with ε: ${means.join(', ')}`);
  for (const p of m.points) {
    assert.equal(p.invalidRuns, 0, `ε ${p.epsilonMs}: a run was not strict serializable`);
    if (p.epsilonMs < FIT_FROM_MS) continue;
    assert.ok(
      Math.abs(p.p50Ms - 2 * p.epsilonMs) <= HOPS_TOLERANCE_MS,
      `ε ${p.epsilonMs}: median latency ${p.p50Ms} ms, not 2ε ± ${HOPS_TOLERANCE_MS}`,
    );
    assert.ok(p.waited > 0.9 * p.txns, `ε ${p.epsilonMs}: only ${p.waited} of ${p.txns} waited`);
  }
  assert.ok(
    Math.abs(m.slope - EXPECTED_SLOPE) <= SLOPE_TOLERANCE,
    `slope ${m.slope} not ${EXPECTED_SLOPE} ± ${SLOPE_TOLERANCE}`,
  );
});

test('commit-wait: with the no-commit-wait mutant, ε adds nothing', () => {
  const m = measureCommitWait({
    seed: 1,
    seeds: 2,
    ops: 120,
    latency: FAST_LINKS,
    epsilons: EPSILONS,
    mutant: 'no-commit-wait',
  });
  // ε still sets the leases' length (1 s plus twice the clock offset), so the runs are not
  // identical; the median does not move, where the real system's grows by 2ε.
  const base = m.points[0]!.p50Ms;
  for (const p of m.points) {
    assert.equal(p.waited, 0, `ε ${p.epsilonMs}: the mutant waited`);
    assert.ok(Math.abs(p.p50Ms - base) < 0.5, `ε ${p.epsilonMs}: ${p.p50Ms} ms against ${base}`);
  }
  const line = fitLine(m.points.map((p) => ({ x: p.epsilonMs, y: p.meanMs })));
  assert.ok(Math.abs(line.slope) < 0.1, `the mutant's slope is ${line.slope}`);
});

test('commit-wait: the quick run is registered, supported, and plots measured beside claimed', () => {
  const e = getExperiment('commit-wait');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  assert.equal(r.verdict, 'supported', JSON.stringify(r.measured));
  const m = r.measured as { slopeDatacenterLinks: number; invalidRuns: number };
  assert.equal(m.invalidRuns, 0);
  assert.ok(Math.abs(m.slopeDatacenterLinks - EXPECTED_SLOPE) <= SLOPE_TOLERANCE);
  const roles = r.plots[0]!.series.map((s) => s.role);
  assert.ok(roles.includes('measured') && roles.includes('claimed') && roles.includes('model'));
});
