import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import { nemesisNames } from '../../src/sim/nemesis.js';
import { getSystem } from '../../src/systems/index.js';

const kvSingle = getSystem('kv-single')!;
const kvAsync = getSystem('kv-async')!;

test('kv-single is linearizable under every nemesis plan, over many seeds', () => {
  const plans = nemesisNames();
  for (const nemesis of plans) {
    for (let seed = 1; seed <= 6; seed++) {
      const run = runChecked({ system: kvSingle, nodes: 3, seed, nemesis, workload: { ops: 300 } });
      assert.equal(run.verdict, 'valid', `kv-single --nemesis ${nemesis} --seed ${seed} --ops 300`);
    }
  }
});

test('kv-single keeps serving after the final heal (liveness)', () => {
  for (const nemesis of ['crash', 'partition-halves', 'all']) {
    const run = runChecked({
      system: kvSingle,
      nodes: 3,
      seed: 2,
      nemesis,
      workload: { ops: 300 },
    });
    assert.ok(run.recovery.healedAt !== null && run.recovery.firstOkAt !== null, nemesis);
    assert.ok(run.recovery.firstOkAt! - run.recovery.healedAt! < 1000, `${nemesis}: slow recovery`);
  }
});

test('kv-async under partition-halves is caught within a few seeds', () => {
  const caught: number[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const run = runChecked({ system: kvAsync, seed, nemesis: 'partition-halves' });
    if (run.verdict === 'invalid') caught.push(seed);
  }
  assert.ok(caught.length > 0, 'kv-async was never caught');
});

test('the ack-before-sync mutant of kv-single loses acknowledged writes under crashes', () => {
  let caught = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const run = runChecked({
      system: kvSingle,
      mutant: 'ack-before-sync',
      seed,
      nemesis: 'crash',
      tornWrites: false,
      workload: { ops: 500 },
    });
    if (run.verdict === 'invalid') caught++;
  }
  assert.ok(caught > 0, 'the mutant was never caught');
});
