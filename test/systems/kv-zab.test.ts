/**
 * kv-zab under faults: every nemesis plan × seeds, each history checked for linearizability and
 * each run for serving again after the final heal; and a seed replays byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHealthy } from './healthy-run.js';
import { nemesisPlans } from '../../src/sim/nemesis.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { runSimulation } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';
import { kvZabSystem } from '../../src/systems/zab/kv-zab.js';

test('kv-zab is registered with its mutants', () => {
  const s = getSystem('kv-zab');
  assert.equal(s, kvZabSystem);
  assert.equal(s?.model, 'kv');
  assert.deepEqual(
    s?.mutants.map((m) => m.name),
    ['ack-before-sync', 'skip-truncate', 'commit-without-quorum'],
  );
});

test('a bad --param is a usage error naming it', () => {
  assert.throws(() => kvZabSystem.createNode({ params: { tick: '0' } }), /--param tick/);
  assert.throws(() => kvZabSystem.createNode({ params: { 'sync-limit': 'x' } }), /sync-limit/);
  assert.throws(() => kvZabSystem.createNode({ params: { nope: '1' } }), /no parameter 'nope'/);
  assert.throws(() => kvZabSystem.createNode({ mutant: 'nope' }), /unknown Zab mutant/);
});

for (const plan of nemesisPlans()) {
  test(`sweep: ${plan.name} × 5 seeds is linearizable and recovers after the heal`, () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = runChecked(
        { system: kvZabSystem, seed, nemesis: plan.name, workload: { ops: 300 } },
        { checkTimeoutMs: 10_000 },
      );
      assertHealthy(r);
    }
  });
}

test('the same seed gives the same run, byte for byte', () => {
  const a = runSimulation({ system: kvZabSystem, seed: 3, nemesis: 'all', keepTrace: true });
  const b = runSimulation({ system: kvZabSystem, seed: 3, nemesis: 'all', keepTrace: true });
  assert.equal(a.traceDigest, b.traceDigest);
});
