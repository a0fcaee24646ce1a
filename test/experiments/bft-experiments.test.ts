/** The BFT experiments, run quick: shape, the rule, and that the rows are the runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COST_OPS,
  COST_SIZES,
  countingSystem,
  logLogSlope,
  PBFT_MIN_EXPONENT,
  RAFT_MAX_EXPONENT,
  runCost,
  theoryExponents,
  theoryPerOp,
} from '../../src/experiments/bft-cost.js';
import { getExperiment } from '../../src/experiments/registry.js';
import { runSimulation } from '../../src/sim/run.js';
import { roundMs } from '../../src/sim/stats.js';
import { kvRaftSystem } from '../../src/systems/kv/kv-raft.js';
import { pbftSystem } from '../../src/systems/pbft/pbft.js';

interface Row {
  n: number;
  pbftMsgsPerOp: number;
  raftMsgsPerOp: number;
  ratio: number;
  pbftAgreementPerOp: number;
  raftAgreementPerOp: number;
  pbftTheoryPerOp: number;
  raftTheoryPerOp: number;
  pbftOkOps: number;
  raftOkOps: number;
  pbftSent: number;
  raftSent: number;
  seeds: number[];
}

interface Measured {
  pbftExponent: number;
  raftExponent: number;
  pbftAgreementExponent: number;
  raftAgreementExponent: number;
  theoryPbftExponent: number;
  theoryRaftExponent: number;
}

test('the log-log fit recovers exponents, and the thresholds separate the textbook counts', () => {
  const xs = [4, 7, 10, 13];
  assert.ok(
    Math.abs(
      logLogSlope(
        xs,
        xs.map((x) => 3 * x * x),
      ) - 2,
    ) < 1e-12,
  );
  assert.ok(
    Math.abs(
      logLogSlope(
        xs,
        xs.map((x) => 5 * x),
      ) - 1,
    ) < 1e-12,
  );
  // The textbook counts between distinct nodes: PBFT 2n² − n (28 at n = 4); Raft 2(n − 1).
  assert.equal(theoryPerOp('pbft', 4), 28);
  assert.equal(theoryPerOp('pbft', 13), 2 * 13 * 13 - 13);
  assert.equal(theoryPerOp('kv-raft', 13), 24);
  const t = theoryExponents();
  assert.equal(roundMs(t.pbft), 2.081);
  assert.equal(roundMs(t.raft), 1.178);
  assert.ok(t.pbft >= PBFT_MIN_EXPONENT && t.raft <= RAFT_MAX_EXPONENT);
  // A cost linear in n that is non-negative at n = 1 stays under the Raft ceiling.
  for (const c of [0, 1, 10, 100]) {
    assert.ok(
      logLogSlope(
        xs,
        xs.map((n) => n - 1 + c),
      ) < RAFT_MAX_EXPONENT,
    );
  }
});

test('counting messages by kind changes nothing and adds up to what the simulator sent', () => {
  const counts = new Map<string, number>();
  const options = { seed: 3, nodes: 5, workload: { ops: 60 } };
  const plain = runSimulation({ system: kvRaftSystem, ...options });
  const counted = runSimulation({ system: countingSystem(kvRaftSystem, counts), ...options });
  assert.equal(counted.traceDigest, plain.traceDigest);
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    plain.messages.sent,
  );
  assert.ok((counts.get('append') ?? 0) > 0);
});

test('pbft messages are counted apart when sent to self or relayed for another signer', () => {
  const counts = new Map<string, number>();
  const run = runSimulation({
    system: countingSystem(pbftSystem, counts),
    seed: 2,
    nodes: 4,
    workload: { ops: 40 },
  });
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    run.messages.sent,
  );
  // Every commit is broadcast to all four replicas, the sender included: one in four to self.
  const commits = counts.get('commit') ?? 0;
  const toSelf = counts.get('commit (to self)') ?? 0;
  assert.ok(toSelf > 0 && commits >= 3 * toSelf, `${commits} commits, ${toSelf} to self`);
  assert.ok(
    [...counts.keys()].every((k) => !k.startsWith('pbft')),
    'signed bodies are read',
  );
});

test('bft-cost: pbft grows about as n², kv-raft about as n; the rows are the runs', () => {
  const e = getExperiment('bft-cost');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  const rows = r.rows as unknown as Row[];
  assert.deepEqual(
    rows.map((x) => x.n),
    COST_SIZES,
  );
  for (const row of rows) {
    assert.deepEqual(row.seeds, [1]);
    assert.ok(row.pbftOkOps > 0 && row.raftOkOps > 0);
    assert.equal(row.pbftMsgsPerOp, roundMs(row.pbftSent / row.pbftOkOps));
    assert.equal(row.raftMsgsPerOp, roundMs(row.raftSent / row.raftOkOps));
    assert.equal(row.ratio, roundMs(row.pbftSent / row.pbftOkOps / (row.raftSent / row.raftOkOps)));
    // Agreement messages are part of all messages, and what the textbook counts give or a
    // little more (resends, Raft's appends that only carry the commit index): within 20 %.
    assert.ok(row.pbftAgreementPerOp < row.pbftMsgsPerOp);
    assert.ok(row.raftAgreementPerOp < row.raftMsgsPerOp);
    const near = (x: number, theory: number): boolean => Math.abs(x / theory - 1) < 0.2;
    assert.ok(near(row.pbftAgreementPerOp, row.pbftTheoryPerOp), `pbft n=${row.n}`);
    assert.ok(near(row.raftAgreementPerOp, row.raftTheoryPerOp), `kv-raft n=${row.n}`);
  }
  const m = r.measured as unknown as Measured;
  // The exponents are the fit of the rows (which are rounded to 1e-3, hence the tolerance).
  const fit = (ys: number[]): number => logLogSlope(COST_SIZES, ys);
  assert.ok(Math.abs(m.pbftExponent - fit(rows.map((x) => x.pbftMsgsPerOp))) < 0.006);
  assert.ok(Math.abs(m.raftExponent - fit(rows.map((x) => x.raftMsgsPerOp))) < 0.006);
  assert.ok(Math.abs(m.pbftAgreementExponent - fit(rows.map((x) => x.pbftAgreementPerOp))) < 0.006);
  assert.ok(Math.abs(m.raftAgreementExponent - fit(rows.map((x) => x.raftAgreementPerOp))) < 0.006);
  // The verdict follows the stated rule, and the measurement is what theory predicts.
  const supported = m.pbftExponent >= PBFT_MIN_EXPONENT && m.raftExponent <= RAFT_MAX_EXPONENT;
  assert.equal(r.verdict, supported ? 'supported' : 'refuted');
  assert.equal(r.verdict, 'supported');
  assert.ok(rows.every((x) => x.ratio > 1));
  // A row is its runs: redo the smallest size.
  const row = rows[0]!;
  const p = runCost(pbftSystem, row.n, 1, COST_OPS.quick);
  const q = runCost(kvRaftSystem, row.n, 1, COST_OPS.quick);
  assert.equal(p.sent, row.pbftSent);
  assert.equal(p.okOps, row.pbftOkOps);
  assert.equal(q.sent, row.raftSent);
  assert.equal(q.okOps, row.raftOkOps);
});
