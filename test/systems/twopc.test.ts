import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp } from '../../src/core/history.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { nemesisNames } from '../../src/sim/nemesis.js';
import { getSystem } from '../../src/systems/index.js';
import { judgeConservation } from '../../src/systems/twopc/twopc.js';

const twopc = getSystem('twopc')!;

test('twopc: atomicity and conservation hold under every nemesis plan', () => {
  for (const nemesis of nemesisNames()) {
    for (let seed = 1; seed <= 3; seed++) {
      const run = runChecked({ system: twopc, seed, nemesis, workload: { ops: 300 } });
      assert.equal(
        run.verdict,
        'valid',
        `twopc --nemesis ${nemesis} --seed ${seed}: ${run.failure?.message ?? run.judgement?.message}`,
      );
    }
  }
});

test('twopc: audits succeed and see the whole balance without faults', () => {
  const run = runChecked({ system: twopc, seed: 1, workload: { ops: 300 } });
  assert.equal(run.verdict, 'valid');
  assert.match(run.judgement!.message, /^[1-9]\d* successful audit\(s\) all saw 800$/);
});

test('twopc: the commit-before-all-prepared mutant breaks atomicity', () => {
  let caught = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const run = runChecked({
      system: twopc,
      mutant: 'commit-before-all-prepared',
      seed,
      workload: { ops: 200 },
    });
    if (run.verdict === 'invalid' && /atomicity/.test(run.failure?.message ?? '')) caught++;
  }
  assert.ok(caught >= 3, `caught in only ${caught}/5 seeds`);
});

const audit = (id: number, result: number): HistoryOp => ({
  id,
  process: 0,
  f: 'audit',
  invoke: id,
  complete: id + 1,
  outcome: 'ok',
  result,
});

test('the conservation judge rejects an audit that saw money appear', () => {
  assert.equal(judgeConservation([audit(0, 800), audit(1, 800)]).verdict, 'valid');
  assert.match(judgeConservation([audit(0, 800), audit(1, 840)]).message, /^conservation/);
});
