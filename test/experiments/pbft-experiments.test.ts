/** The PBFT bound experiment, run quick: its rows, the rule, the sources and the plots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BELOW_BOUND_FS,
  BOUND_NS,
  runBound,
  SEED_RULE_NS,
} from '../../src/experiments/pbft-bound.js';
import { getExperiment } from '../../src/experiments/registry.js';
import { quorums } from '../../src/protocols/pbft/quorums.js';

interface Row {
  part: 'any-n' | '2f+1-at-any-n' | 'n=3f';
  n: number;
  f: number;
  Q: number;
  breaksAt: number;
  K: number;
  quorum: 'safe' | 'live' | '2f+1';
  strategy: string;
  predicted: 'safe' | 'unsafe' | 'stalled';
  runs: number;
  safetyViolations: number;
  stalledRuns: number;
  okOps: number;
  example: string | null;
  asPredicted: boolean;
}

test('pbft-bound: any n breaks at K = 2Q − n, 2f + 1 breaks at n ≠ 3f + 1, n = 3f is stuck', () => {
  const e = getExperiment('pbft-bound');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  const rows = r.rows as unknown as Row[];

  // Part 1: K = f, f + 1 and (n = 5, 8) 2Q − n, for every n.
  const anyN = rows.filter((x) => x.part === 'any-n');
  const expected = BOUND_NS.flatMap((n) => {
    const { f, quorum } = quorums(n);
    return [...new Set([f, f + 1, 2 * quorum - n])].map((k) => [n, k]);
  });
  assert.deepEqual(
    anyN.map((x) => [x.n, x.K]),
    expected,
  );
  for (const row of anyN) {
    const what = `n=${row.n} K=${row.K}`;
    assert.equal(row.runs, 2);
    assert.equal(row.quorum, 'safe');
    assert.equal(row.strategy, 'collude');
    if (row.K < 2 * row.Q - row.n) {
      assert.equal(row.safetyViolations, 0, `${what} violated safety`);
      assert.equal(row.stalledRuns, 0, `${what} made no progress`);
      assert.equal(row.example, null);
    } else {
      assert.equal(row.safetyViolations, row.runs, `${what} stayed safe`);
      assert.match(row.example ?? '', /seq \d+: n\d+ executed \w+, n\d+ executed \w+/);
    }
  }
  // n = 5 and 8: f + 1 colluders cannot break safety, f + 2 can.
  for (const n of [5, 8]) {
    const f = quorums(n).f;
    assert.equal(anyN.find((x) => x.n === n && x.K === f + 1)?.safetyViolations, 0);
    assert.equal(anyN.find((x) => x.n === n && x.K === f + 2)?.safetyViolations, 2);
  }

  // Part 2: the textbook 2f + 1 at n ≠ 3f + 1 lets f colluders through.
  const textbook = rows.filter((x) => x.part === '2f+1-at-any-n');
  assert.deepEqual(
    textbook.map((x) => x.n),
    SEED_RULE_NS,
  );
  for (const row of textbook) {
    assert.equal(row.K, row.f);
    assert.equal(row.quorum, '2f+1');
    assert.equal(row.safetyViolations, row.runs, `2f + 1 at n=${row.n} stayed safe`);
  }

  // Part 3: n = 3f. Live quorum: progresses with f silent, unsafe with f colluding. Safe
  // quorum: no operation at all with f silent.
  const below = rows.filter((x) => x.part === 'n=3f');
  assert.deepEqual(
    below.map((x) => [x.n, x.quorum, x.strategy]),
    BELOW_BOUND_FS.flatMap((f) => [
      [3 * f, 'live', 'silent'],
      [3 * f, 'live', 'collude'],
      [3 * f, 'safe', 'silent'],
    ]),
  );
  for (const row of below) {
    const what = `n=${row.n} Q=${row.Q} ${row.strategy}`;
    assert.equal(row.K, row.f);
    if (row.quorum === 'live') assert.equal(row.Q, 2 * row.f);
    else assert.equal(row.Q, 2 * row.f + 1);
    if (row.strategy === 'collude') {
      assert.equal(row.safetyViolations, row.runs, `${what} stayed safe`);
    } else {
      assert.equal(row.safetyViolations, 0, `${what} violated safety`);
      const stalled = row.quorum === 'safe' ? row.runs : 0;
      assert.equal(row.stalledRuns, stalled, what);
      if (row.quorum === 'safe') assert.equal(row.okOps, 0);
    }
  }

  assert.ok(rows.every((x) => x.asPredicted));
  const m = r.measured as { rule: string; mismatches: string[]; rows: number };
  assert.match(m.rule, /2Q − n/);
  assert.deepEqual(m.mismatches, []);
  assert.equal(m.rows, rows.length);
  assert.equal(r.verdict, 'supported');

  // Sources: the seed quoted verbatim, and the papers.
  const seedSource = e.sources?.find((s) => s.kind === 'seed');
  assert.deepEqual(seedSource, {
    kind: 'seed',
    section: 'Byzantine Consensus: When Nodes Lie',
    quote: 'Need 2f+1 = 3 prepares, 2f+1 = 3 commits',
  });
  assert.ok(e.sources?.some((s) => s.kind === 'paper' && s.cite.includes('Castro')));
  assert.ok(e.sources?.some((s) => s.kind === 'paper' && s.cite.includes('Bracha')));

  // Plot 1: the measured largest safe K is the arithmetic's, and above f at n = 5 and 8.
  const [byN, dilemma] = r.plots ?? [];
  assert.ok(byN && dilemma);
  const series = (name: string) => byN.series.find((s) => s.role === name)?.points ?? [];
  assert.deepEqual(series('measured'), series('model'));
  assert.deepEqual(
    series('claimed').map((p) => p.y),
    BOUND_NS.map((n) => quorums(n).f),
  );
  assert.deepEqual(
    series('measured').map((p) => p.y),
    [1, 2, 1, 2, 3, 2, 3],
  );
  // Plot 2: every n = 3f run was either unsafe (live quorum) or stalled (safe quorum).
  for (const s of dilemma.series)
    assert.deepEqual(
      s.points.map((p) => p.y),
      [1, 1, 1],
      s.name,
    );

  // A row is its runs: redo n = 6, K = 2 (the first seed breaks at sequence number 1).
  const row = anyN.find((x) => x.n === 6 && x.K === 2);
  const again = runBound({ nodes: 6, k: 2, strategy: 'collude' }, 1, 16);
  assert.equal(again.violated, true);
  assert.equal(again.failure, row?.example);
});
