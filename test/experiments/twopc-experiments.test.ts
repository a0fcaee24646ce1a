/** The two-phase commit experiment, run quick: shape, the rule, and that rows are the runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getExperiment } from '../../src/experiments/registry.js';
import { DOWN_MS, runBlocking } from '../../src/experiments/twopc-blocking.js';
import { twoPcReplicatedSystem } from '../../src/systems/twopc/twopc.js';

interface Row {
  system: string;
  seed: number;
  downMs: number;
  verdict: string;
  maxDoubtMs: number;
  recovered: number;
}

test('2pc-blocking: twopc blocks for the outage, twopc-replicated does not', () => {
  const e = getExperiment('2pc-blocking');
  assert.ok(e);
  const r = e.run({ seed: 1, quick: true });
  const rows = r.rows as unknown as Row[];
  assert.equal(rows.length, 8);
  assert.deepEqual(
    rows.map((x) => x.system),
    [...Array(4).fill('twopc'), ...Array(4).fill('twopc-replicated')],
  );
  assert.ok(rows.every((x) => x.verdict === 'valid' && x.downMs === DOWN_MS));
  const m = r.measured as { worstDoubtMsTwopc: number; worstDoubtMsReplicated: number };
  const worst = (system: string): number =>
    Math.max(...rows.filter((x) => x.system === system).map((x) => x.maxDoubtMs));
  assert.equal(m.worstDoubtMsTwopc, worst('twopc'));
  assert.equal(m.worstDoubtMsReplicated, worst('twopc-replicated'));
  assert.ok(m.worstDoubtMsTwopc >= 0.9 * DOWN_MS);
  assert.ok(m.worstDoubtMsReplicated < DOWN_MS / 2);
  assert.equal(r.verdict, 'supported');
  // A row is its run.
  const row = rows.find((x) => x.system === 'twopc-replicated' && x.seed === 2)!;
  const again = runBlocking(twoPcReplicatedSystem, 2);
  assert.equal(again.maxDoubtMs, row.maxDoubtMs);
  assert.equal(again.recovered, row.recovered);
});
