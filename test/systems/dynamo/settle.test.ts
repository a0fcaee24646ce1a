/**
 * Strong eventual consistency, judged on the replicas themselves: a dynamo run goes on for
 * settleMs after its last operation, every fault healed, and is judged then (Session.settle,
 * SystemDefinition.settleMs). The replicas of every key must hold the same state by then.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChecked } from '../../../src/sim/checked-run.js';
import { dynamoSystem } from '../../../src/systems/dynamo/dynamo.js';
import { settleMs } from '../../../src/systems/dynamo/dynamo-judge.js';
import { dynamoParamsFrom } from '../../../src/systems/dynamo/dynamo-params.js';

test('a run is judged settleMs after its last operation, and its replicas have converged', () => {
  const settle = settleMs(dynamoParamsFrom({}));
  for (const seed of [1, 2, 3]) {
    const r = runChecked({
      system: dynamoSystem,
      seed,
      nemesis: 'partition-halves',
      faultFraction: 1,
    });
    const last = Math.max(...r.history.map((op) => op.complete));
    assert.ok(
      r.virtualMs >= last + settle - 1,
      `seed ${seed}: judged at ${r.virtualMs} ms, last operation ${last} ms, settle ${settle} ms`,
    );
    assert.equal(r.judgement?.verdict, 'valid', `seed ${seed}: ${r.judgement?.message}`);
  }
});

test('judged before anti-entropy has run, partitioned replicas are found not converged', () => {
  // Faults until the last operation and 1 ms to settle: the halves' writes are still apart.
  const hasty = { ...dynamoSystem, configure: undefined, settleMs: () => 1 };
  const verdicts = [1, 2, 3, 4, 5, 6].map(
    (seed) =>
      runChecked({ system: hasty, seed, nemesis: 'partition-halves', faultFraction: 1 }).judgement,
  );
  const unconverged = verdicts.filter(
    (j) => j?.verdict === 'invalid' && /not converged/.test(j.message),
  );
  assert.ok(unconverged.length > 0, verdicts.map((j) => j?.message).join('\n'));
});
