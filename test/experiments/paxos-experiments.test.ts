/** The Paxos experiments, run quick: shape, determinism and that the rows are the runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DUEL_VARIANTS, LIVELOCK_RATIO, runDuel } from '../../src/experiments/dueling-proposers.js';
import { getExperiment } from '../../src/experiments/registry.js';
import { roundMs } from '../../src/sim/stats.js';

interface Row {
  variant: string;
  system: string;
  seeds: number[];
  ballots: number;
  instances: number;
  decided: number;
  undecided: number;
  roundsPerInstance: number;
  decideMsMean: number;
  decideMsP50: number;
  decideMsP99: number;
  virtualMs: number;
}

interface Measured {
  roundsNoBackoff: number;
  roundsBackoff: number;
  roundsLeader: number;
  ratioToBackoff: number;
  ratioToLeader: number;
  undecidedNoBackoff: number;
}

test('dueling-proposers: rows per variant, measured numbers match the rows and the runs', () => {
  const e = getExperiment('dueling-proposers');
  assert.ok(e);
  const quick = { seed: 1, quick: true };
  const r = e.run(quick);
  assert.deepEqual(Object.keys(r).sort(), ['measured', 'rows', 'verdict']);
  const rows = r.rows as unknown as Row[];
  assert.deepEqual(
    rows.map((x) => x.variant),
    DUEL_VARIANTS.map((v) => v.variant),
  );
  for (const row of rows) {
    assert.deepEqual(row.seeds, [1, 2]);
    assert.equal(row.undecided, row.instances - row.decided);
    assert.equal(row.roundsPerInstance, roundMs(row.ballots / row.decided));
    assert.ok(row.decideMsP50 <= row.decideMsP99);
    assert.ok(row.decided > 0 && row.virtualMs > 0);
  }
  const [off, on, leader] = rows as [Row, Row, Row];
  const m = r.measured as unknown as Measured;
  assert.equal(m.roundsNoBackoff, off.roundsPerInstance);
  assert.equal(m.roundsBackoff, on.roundsPerInstance);
  assert.equal(m.roundsLeader, leader.roundsPerInstance);
  assert.equal(m.undecidedNoBackoff, off.undecided);
  assert.equal(m.ratioToBackoff, roundMs(off.ballots / off.decided / (on.ballots / on.decided)));
  // The rows are what the runs measure: redo the no-backoff runs and add them up.
  const again = off.seeds.map((s) => runDuel(DUEL_VARIANTS[0]!, s, 100));
  assert.equal(
    off.ballots,
    again.reduce((a, x) => a + x.ballots, 0),
  );
  assert.equal(
    off.decided,
    again.reduce((a, x) => a + x.decided, 0),
  );
  // The verdict follows the stated rule.
  const livelock = off.undecided > 0 || m.ratioToBackoff >= LIVELOCK_RATIO;
  assert.equal(r.verdict, livelock ? 'supported' : 'refuted');
  // A stable leader runs phase 1 about once per run, not once per instance.
  assert.ok(leader.roundsPerInstance < 0.1);
  assert.deepEqual(e.run(quick), r, 'same seed, same numbers');
});

test('paxos --param backoff accepts on/off only', async () => {
  const { paxosSystem } = await import('../../src/systems/paxos/paxos.js');
  assert.ok(paxosSystem.params?.some((p) => p.name === 'backoff'));
  assert.throws(() => paxosSystem.createNode({ params: { backoff: 'maybe' } }), /on' or 'off/);
  assert.throws(() => paxosSystem.createNode({ params: { other: '1' } }), /no parameter/);
});
