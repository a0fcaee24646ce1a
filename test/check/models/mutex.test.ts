/** The mutex model: a lock is held or free; acquiring a held lock or releasing a free one is
 * impossible. Each deliberately broken variant (one rule removed) is caught here. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { checkCommand } from '../../../src/cli/commands/check.js';
import { EXIT, UsageError } from '../../../src/cli/usage-error.js';
import { checkHistory, getModel, loadHistory, type AnyModel } from '../../../src/check/index.js';
import { MUTEX_MUTANTS, mutexModel, mutexModelWith } from '../../../src/check/models/mutex.js';
import type { HistoryOp } from '../../../src/core/history.js';
import { history } from '../helpers.js';

const acquire = (process: number, invoke: number, complete: number, rest = {}) => ({
  process,
  f: 'acquire',
  invoke,
  complete,
  ...rest,
});
const release = (process: number, invoke: number, complete: number, rest = {}) => ({
  process,
  f: 'release',
  invoke,
  complete,
  ...rest,
});

const verdict = (ops: HistoryOp[], model: AnyModel = mutexModel) =>
  checkHistory(ops, model, { timeoutMs: 5_000 }).verdict;

const linearizable: [string, HistoryOp[]][] = [
  ['acquire, release, acquire', history(acquire(0, 0, 1), release(0, 2, 3), acquire(1, 4, 5))],
  [
    'two acquires overlapping a release: the release goes between them',
    history(acquire(0, 0, 1), acquire(1, 2, 6), release(0, 3, 4)),
  ],
  [
    'a failed acquire of a held lock did nothing',
    history(acquire(0, 0, 1), acquire(1, 2, 3, { outcome: 'fail' }), release(0, 4, 5)),
  ],
  [
    'an unknown acquire may never have happened',
    history(acquire(0, 0, 1, { outcome: 'unknown' }), acquire(1, 2, 3)),
  ],
  [
    'an unknown release may have happened',
    history(acquire(0, 0, 1), release(0, 2, 3, { outcome: 'unknown' }), acquire(1, 4, 5)),
  ],
  [
    'locks with different keys are independent',
    history(acquire(0, 0, 1, { key: 'a' }), acquire(1, 2, 3, { key: 'b' })),
  ],
];

const notLinearizable: [string, HistoryOp[]][] = [
  ['two acquires with no release between them', history(acquire(0, 0, 1), acquire(1, 2, 3))],
  ['a release of a lock never acquired', history(release(0, 0, 1))],
  [
    'a second release of a released lock',
    history(acquire(0, 0, 1), release(0, 2, 3), release(1, 4, 5)),
  ],
  [
    'two holders at once on one key',
    history(
      acquire(0, 0, 1, { key: 'a' }),
      acquire(1, 2, 3, { key: 'a' }),
      acquire(2, 2, 3, { key: 'b' }),
    ),
  ],
];

describe('mutex model', () => {
  test('is registered as `mutex`', () => {
    assert.equal(getModel('mutex'), mutexModel);
  });

  for (const [name, ops] of linearizable)
    test(`linearizable: ${name}`, () => assert.equal(verdict(ops), 'valid'));
  for (const [name, ops] of notLinearizable)
    test(`not linearizable: ${name}`, () => assert.equal(verdict(ops), 'invalid'));

  test('each mutant (one rule removed) passes a history the model rejects', () => {
    for (const mutant of MUTEX_MUTANTS) {
      const broken = mutexModelWith(mutant);
      const missed = notLinearizable.filter(([, ops]) => verdict(ops, broken) === 'valid');
      assert.ok(missed.length > 0, `mutant ${mutant} is caught by no history`);
      // And it still accepts what the model accepts: it is broken in one rule only.
      for (const [name, ops] of linearizable) assert.equal(verdict(ops, broken), 'valid', name);
    }
  });

  test('the evidence names the impossible acquire and the state', () => {
    const result = checkHistory(history(acquire(0, 0, 1), acquire(1, 2, 3)), mutexModel, {});
    assert.equal(result.evidence?.deadline?.description, 'acquire');
    assert.match(result.evidence?.blocked[0]?.reason ?? '', /held/);
  });

  test('validates operation names; describes ops and states', () => {
    const [op] = history({ process: 0, f: 'lock', invoke: 0, complete: 1 });
    assert.equal(mutexModel.validate(op!), 'mutex has no operation "lock" (acquire, release)');
    const [r] = history(release(0, 0, 1, { key: 'k', outcome: 'unknown' }));
    assert.equal(mutexModel.describeOp(r!), 'release [k] → ?');
    assert.deepEqual(
      [
        mutexModel.describeState(0, undefined as never),
        mutexModel.describeState(1, undefined as never),
      ],
      ['free', 'held'],
    );
  });
});

describe('truthkit check --model mutex', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'truthkit-mutex-'));

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    let code: number = EXIT.ok;
    const program = new Command('truthkit').exitOverride().configureOutput({
      writeOut: (t) => (out += t),
      writeErr: () => {},
    });
    checkCommand(program, { out: (t) => (out += t), err: (t) => (err += t) }, (c) => {
      code = Math.max(code, c);
    });
    try {
      await program.parseAsync(['check', ...args], { from: 'user' });
    } catch (e) {
      if (!(e instanceof CommanderError || e instanceof UsageError)) throw e;
      err += `truthkit: ${e.message}\n`;
      code = EXIT.usage;
    }
    return { code, out, err };
  }

  // Jepsen's lock tests write their histories like this (one vector, maps over lines).
  const edn = (second: string) => `[{:process 0, :type :invoke, :f :acquire, :value nil}
 {:process 0, :type :ok, :f :acquire, :value nil}
 {:process 1, :type :invoke, :f :${second}, :value nil}
 {:process 1, :type :ok, :f :${second}, :value nil}]`;

  test('an EDN lock history is a mutex history; a double acquire exits 1', async () => {
    const bad = join(tmp, 'bad.edn');
    writeFileSync(bad, edn('acquire'));
    assert.equal(loadHistory(edn('acquire'), 'auto', bad).suggestedModel, 'mutex');
    const auto = await run(bad);
    assert.equal(auto.code, EXIT.invalid, auto.err);
    assert.match(auto.out, /NOT linearizable — mutex model/);
    const good = join(tmp, 'good.edn');
    writeFileSync(good, edn('release'));
    const ok = await run(good, '--model', 'mutex');
    assert.equal(ok.code, EXIT.ok, ok.err);
  });
});
