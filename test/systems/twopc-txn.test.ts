/**
 * The 2PC systems under `--param workload=list-append`: multi-key transactions, judged by the
 * transactional checker at strict serializability, valid under every nemesis; the default
 * workload is untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SystemDefinition } from '../../src/core/system.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { getSystem } from '../../src/systems/index.js';
import { TwoPcParamError } from '../../src/systems/twopc/txn-workload.js';

const NAMES = ['twopc', 'twopc-replicated', 'paxos-commit'] as const;
const LIST_APPEND = { workload: 'list-append' };

function system(name: string): SystemDefinition {
  const s = getSystem(name);
  assert.ok(s !== undefined, name);
  return s;
}

test('list-append: strict-serializable under every nemesis at once, with reads that see appends', () => {
  for (const name of NAMES) {
    for (let seed = 1; seed <= 3; seed++) {
      const run = runChecked({
        system: system(name),
        params: LIST_APPEND,
        seed,
        nemesis: 'all',
        workload: { ops: 200 },
      });
      const where = `${name} --nemesis all --seed ${seed}`;
      assert.equal(
        run.verdict,
        'valid',
        `${where}: ${run.failure?.message ?? run.judgement?.message}`,
      );
      assert.match(
        run.judgement?.message ?? '',
        /^strict-serializable: list-append, 200 transactions/,
      );
      // The history is transactions as the checker's contract has them, and reads saw appends.
      let seen = 0;
      for (const op of run.history) {
        assert.equal(op.f, 'txn', where);
        if (op.outcome !== 'ok') continue;
        for (const mop of op.result as [string, string, unknown][]) {
          if (mop[0] === 'r' && Array.isArray(mop[2]) && mop[2].length > 0) seen++;
        }
      }
      assert.ok(seen > 50, `${where}: only ${seen} non-empty reads`);
    }
  }
});

test('list-append: under --swarm too (a few seeds; the sweep is in docs/twopc.md)', () => {
  for (const name of NAMES) {
    for (const seed of [1, 7]) {
      const run = runChecked({
        system: system(name),
        params: LIST_APPEND,
        seed,
        swarm: true,
        workload: { ops: 200 },
      });
      assert.equal(
        run.verdict,
        'valid',
        `${name} --swarm --seed ${seed}: ${run.judgement?.message}`,
      );
    }
  }
});

test('the default workload is the transfer workload, judged by conservation as before', () => {
  for (const name of NAMES) {
    const s = system(name);
    assert.equal(s.configure?.({}), undefined, name);
    assert.equal(s.configure?.({ workload: 'transfer' }), undefined, name);
    const run = runChecked({ system: s, seed: 1, workload: { ops: 100 } });
    assert.equal(run.verdict, 'valid', name);
    assert.match(run.judgement?.message ?? '', /successful audit\(s\) all saw 800$/, name);
  }
});

test('a bad workload, or the list-append mutant without it, is a parameter error', () => {
  for (const name of NAMES) {
    const s = system(name);
    assert.throws(
      () => s.createNode({ params: { workload: 'bank' } }),
      (e: unknown) => e instanceof TwoPcParamError && e.code === 'bad-workload',
    );
    assert.throws(
      () => s.createNode({ mutant: 'read-without-lock' }),
      (e: unknown) =>
        e instanceof TwoPcParamError && /needs --param workload=list-append/.test(e.message),
    );
    const variant = s.configure?.(LIST_APPEND);
    assert.equal(variant?.model, 'list-append');
    assert.equal(variant?.consistencyModel, 'strict-serializable');
    assert.ok(variant?.mutants.some((m) => m.name === 'read-without-lock'));
    assert.equal(variant?.judge, undefined, 'conservation does not judge list-append');
  }
});
