/** The PBFT bound experiment, run quick: shape, the rule, and that the rows are the runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND_FS, runBound } from '../../src/experiments/pbft-bound.js';
import { getExperiment } from '../../src/experiments/registry.js';

interface Row {
  f: number;
  n: number;
  K: number;
  runs: number;
  safetyViolations: number;
  okOps: number;
  example: string | null;
}

interface Measured {
  runsAtF: number;
  violationsAtF: number;
  runsAtF1: number;
  violationsAtF1: number;
}

test('pbft-bound: K = f is safe, K = f + 1 breaks safety, for f = 1, 2, 3', () => {
  const e = getExperiment('pbft-bound');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  assert.deepEqual(Object.keys(r).sort(), ['measured', 'rows', 'verdict']);
  const rows = r.rows as unknown as Row[];
  assert.deepEqual(
    rows.map((x) => [x.f, x.n, x.K]),
    BOUND_FS.flatMap((f) => [
      [f, 3 * f + 1, f],
      [f, 3 * f + 1, f + 1],
    ]),
  );
  for (const row of rows) {
    assert.equal(row.runs, 2);
    if (row.K === row.f) {
      assert.equal(row.safetyViolations, 0, `f=${row.f} K=f violated safety`);
      assert.equal(row.example, null);
      assert.ok(row.okOps > 0, `f=${row.f} K=f: no operation succeeded`);
    } else {
      assert.equal(row.safetyViolations, row.runs, `f=${row.f} K=f+1 stayed safe`);
      assert.match(row.example ?? '', /seq \d+: n\d+ executed \w+, n\d+ executed \w+/);
    }
  }
  const m = r.measured as unknown as Measured;
  const sum = (k: (x: Row) => boolean) =>
    rows.filter(k).reduce((a, x) => a + x.safetyViolations, 0);
  assert.equal(
    m.violationsAtF,
    sum((x) => x.K === x.f),
  );
  assert.equal(
    m.violationsAtF1,
    sum((x) => x.K === x.f + 1),
  );
  assert.equal(m.runsAtF, 6);
  assert.equal(r.verdict, 'supported');
  // A row is its runs: redo f = 2, K = f + 1.
  const row = rows.find((x) => x.f === 2 && x.K === 3)!;
  const again = [1, 2].map((s) => runBound(2, 3, s, 40));
  assert.equal(again.filter((x) => x.violated).length, row.safetyViolations);
  assert.equal(again[0]!.failure, row.example);
});
