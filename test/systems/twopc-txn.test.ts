/**
 * The 2PC systems under `--param workload=list-append`: multi-key transactions, judged by the
 * transactional checker at strict serializability, valid under every nemesis; the default
 * workload is untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../src/core/node.js';
import type { SystemDefinition } from '../../src/core/system.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { cli } from '../cli/run-cli.js';
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

test('regression: a commit still being synced is not re-sent by the retry timer (swarm seed 13)', () => {
  // The coordinator resumed from a pause, its overdue retry re-sent a commit whose record was
  // still syncing, a reboot lost the record, and the restarted coordinator presumed abort for
  // the participants still in doubt: "txn 21.57 aborted at n2 but committed at n3".
  const options = {
    system: system('twopc'),
    params: LIST_APPEND,
    seed: 13,
    swarm: true,
    workload: { ops: 1000 },
  } as const;
  const run = runChecked(options);
  assert.equal(run.verdict, 'valid', run.failure?.message ?? run.judgement?.message);
  const mutant = runChecked({ ...options, mutant: 'resend-before-durable' });
  assert.equal(mutant.verdict, 'invalid');
  assert.match(mutant.failure?.message ?? '', /atomicity/);
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

test("list-append: every message the nodes send passes the system's schema; a malformed field does not", () => {
  for (const name of NAMES) {
    const s = system(name).configure?.(LIST_APPEND);
    assert.ok(s?.checkMessage !== undefined, name);
    const check = s.checkMessage.bind(s);
    const bad: string[] = [];
    let sent = 0;
    const checking: SystemDefinition = {
      ...s,
      createNode(options) {
        const make = s.createNode(options);
        return (env: NodeEnv) => {
          const checked = Object.create(env) as NodeEnv;
          checked.send = (to, msg) => {
            sent++;
            const problem = check(msg, env.cluster);
            if (problem !== undefined) bad.push(`${JSON.stringify(msg).slice(0, 200)}: ${problem}`);
            env.send(to, msg);
          };
          return make(checked);
        };
      },
    };
    runChecked({ system: checking, seed: 2, nemesis: 'all', workload: { ops: 100 } });
    assert.ok(sent > 500, `${name}: ${sent} messages`);
    assert.deepEqual(bad.slice(0, 3), [], name);
    const cluster = ['n1', 'n2', 'n3', 'n4'];
    const prepare = { type: 'prepare', txn: '1.1', changes: { A: 0 }, mops: [[0, 'r', 'A', 0]] };
    assert.equal(check(prepare, cluster), undefined, name);
    assert.match(
      check({ ...prepare, mops: [[0, 'w', 'A', 0]] }, cluster) ?? '',
      /malformed micro-op/,
    );
    assert.match(
      check({ type: 'vote', txn: '1.1', yes: true, balances: {}, reads: [[0, ['x']]] }, cluster) ??
        '',
      /non-values/,
    );
  }
});

test('truthkit sim: --param workload=list-append, its mutant, and one-line errors', async () => {
  const caught = await cli(
    'sim',
    'twopc-replicated',
    '--param',
    'workload=list-append',
    '--mutant',
    'read-without-lock',
    '--seed',
    '1',
    '--ops',
    '300',
    '--no-progress',
  );
  assert.equal(caught.code, 1, caught.err);
  assert.match(
    caught.out,
    /judge: not strict-serializable: G-single, G2-item — G-single: op \d+ -rw B-> /,
  );
  const bad = await cli('sim', 'twopc', '--param', 'workload=bank');
  assert.deepEqual(
    [bad.code, bad.err],
    [2, 'truthkit: workload must be one of transfer, list-append, rw-register, got "bank"\n'],
  );
  const unlisted = await cli('sim', 'twopc', '--mutant', 'read-without-lock');
  assert.equal(unlisted.code, 2);
  assert.match(
    unlisted.err,
    /^truthkit: twopc has no mutant 'read-without-lock' \(choose from [^\n]*\)\n$/,
  );
});

test('the default schema takes a prepare without micro-ops; the list-append one does not', () => {
  const cluster = ['n1', 'n2', 'n3', 'n4'];
  const prepare = { type: 'prepare', txn: '1.1', changes: { A: 0 } };
  for (const name of NAMES) {
    const s = system(name);
    assert.equal(s.checkMessage?.(prepare, cluster), undefined, name);
    assert.match(
      s.configure?.(LIST_APPEND)?.checkMessage?.(prepare, cluster) ?? '',
      /^list-append: a prepare without its micro-ops$/,
      name,
    );
  }
});
