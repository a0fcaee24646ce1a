/** The two-phase commit experiment, run quick: shape, the rule, and that rows are the runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getExperiment } from '../../src/experiments/registry.js';
import { DOWN_MS, paxosCommitMessages, runBlocking } from '../../src/experiments/twopc-blocking.js';
import { paxosCommitSystem } from '../../src/systems/twopc/paxos-commit.js';

interface Row {
  system: string;
  what: string;
  seed: number;
  downMs: number;
  verdict: string;
  maxDoubtMs: number;
  recovered: number;
}

interface Measured {
  worstDoubtMsTwopc: number;
  worstDoubtMsReplicated: number;
  worstDoubtMsPaxosCommit: number;
  recoveredReplicated: number;
  recoveredPaxosCommit: number;
  paxosCommitMessages: {
    participants: number;
    minMessages: number;
    maxMessages: number;
    paperFormula: number;
  }[];
}

test('2pc-blocking: twopc blocks for the outage; twopc-replicated and paxos-commit do not', () => {
  const e = getExperiment('2pc-blocking');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  const rows = r.rows as unknown as Row[];
  assert.equal(rows.length, 12);
  assert.deepEqual(
    rows.map((x) => x.system),
    [
      ...Array(4).fill('twopc'),
      ...Array(4).fill('twopc-replicated'),
      ...Array(4).fill('paxos-commit'),
    ],
  );
  // Each row says what its system is: the replicated one is not called Paxos Commit.
  assert.match(rows[4]!.what, /one Paxos instance per transaction/);
  assert.match(rows[8]!.what, /^Paxos Commit: one Paxos instance per participant/);
  assert.ok(rows.every((x) => x.verdict === 'valid' && x.downMs === DOWN_MS));
  const m = r.measured as unknown as Measured;
  const worst = (system: string): number =>
    Math.max(...rows.filter((x) => x.system === system).map((x) => x.maxDoubtMs));
  assert.equal(m.worstDoubtMsTwopc, worst('twopc'));
  assert.equal(m.worstDoubtMsReplicated, worst('twopc-replicated'));
  assert.equal(m.worstDoubtMsPaxosCommit, worst('paxos-commit'));
  assert.ok(m.worstDoubtMsTwopc >= 0.9 * DOWN_MS);
  assert.ok(m.worstDoubtMsReplicated < DOWN_MS / 2);
  assert.ok(m.worstDoubtMsPaxosCommit < DOWN_MS / 2);
  assert.ok(m.recoveredReplicated > 0 && m.recoveredPaxosCommit > 0);
  // Every committed transaction of the normal case cost exactly the paper's count.
  assert.deepEqual(
    m.paxosCommitMessages.map((c) => c.participants),
    [1, 2, 3],
  );
  for (const c of m.paxosCommitMessages) {
    assert.equal(c.paperFormula, paxosCommitMessages(c.participants, 1));
    assert.equal(c.minMessages, c.paperFormula);
    assert.equal(c.maxMessages, c.paperFormula);
  }
  assert.equal(r.verdict, 'supported');
  assert.ok((e.sources ?? []).some((s) => s.kind === 'seed' && s.quote.startsWith('2PC ')));
  assert.equal(r.plots?.length, 2);
  // A row is its run.
  const row = rows.find((x) => x.system === 'paxos-commit' && x.seed === 2)!;
  const again = runBlocking(paxosCommitSystem, 2);
  assert.equal(again.maxDoubtMs, row.maxDoubtMs);
  assert.equal(again.recovered, row.recovered);
});
