import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../../src/sim/checked-run.js';
import { cockroachSystem, spannerSystem } from '../../../src/systems/txndb/txndb.js';

for (const system of [spannerSystem, cockroachSystem]) {
  test(`${system.name}: list-append transactions across three ranges stay ${system.consistencyModel} under every nemesis`, () => {
    for (let seed = 1; seed <= 3; seed++) {
      const r = runChecked(
        { system, seed, nemesis: 'all', workload: { ops: 150 } },
        { checkTimeoutMs: 20_000 },
      );
      assert.equal(
        r.verdict,
        'valid',
        `seed ${seed}: ${r.judgement?.message ?? ''} ${JSON.stringify(r.failure)}`,
      );
      assert.ok(r.ops.ok >= 120, `seed ${seed}: only ${r.ops.ok} transactions committed`);
      assert.ok(
        (r.metrics['txn.push']?.count ?? 0) > 0,
        `seed ${seed}: no conflicts met, the workload is too easy`,
      );
      // The default split size splits ranges in an ordinary run, and leaseholders answer reads
      // from memory, faults or not.
      assert.ok((r.metrics['txndb.split']?.count ?? 0) >= 3, `seed ${seed}: no range split`);
      assert.ok((r.metrics['txndb.lease-read']?.count ?? 0) > 0, `seed ${seed}: no lease read`);
    }
  });

  test(`${system.name}: swarm seeds stay valid`, () => {
    for (let seed = 1; seed <= 3; seed++) {
      const r = runChecked(
        { system, seed, swarm: true, workload: { ops: 150 } },
        { checkTimeoutMs: 20_000 },
      );
      assert.notEqual(
        r.verdict,
        'invalid',
        `seed ${seed}: ${r.judgement?.message ?? ''} ${JSON.stringify(r.failure)}`,
      );
    }
  });
}

test('txndb params: unknown parameters and bad values are one-line usage errors', () => {
  assert.throws(
    () => spannerSystem.createNode({ params: { epsilon: '-1' } }),
    /--param epsilon wants a number of ms/,
  );
  assert.throws(
    () => cockroachSystem.createNode({ params: { nope: '1' } }),
    /cockroach has no parameter 'nope'/,
  );
  assert.throws(() => cockroachSystem.configure?.({ workload: 'bank' }), /--param workload wants/);
  for (const bad of ['0', '2.5', 'x', ' 3'])
    assert.throws(
      () => cockroachSystem.createNode({ params: { 'split-size': bad } }),
      /--param split-size wants a whole number of keys ≥ 1/,
    );
  assert.equal(spannerSystem.clockBoundMs?.({ epsilon: '4' }), 4);
  assert.equal(cockroachSystem.clockBoundMs?.({}), 250);
});
