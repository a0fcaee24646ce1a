/**
 * The multi-register model (Knossos's): registers by key, read and written by transactions that
 * take effect at one instant. Knossos's own multi-register history gets Knossos's verdict through
 * `truthkit check --format knossos`, three histories derived from it get theirs (known by
 * construction: test/fixtures/knossos-derived/README.md), and each deliberately broken variant
 * (one rule removed) passes a history the model rejects.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { checkHistory, getModel, loadHistory, type AnyModel } from '../../../src/check/index.js';
import {
  MULTI_REGISTER_MUTANTS,
  multiRegisterModel,
  multiRegisterModelWith,
} from '../../../src/check/models/multi-register.js';
import type { HistoryOp } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import { cli } from '../../cli/run-cli.js';
import { history } from '../helpers.js';

const FIXTURES = new URL('../../../../test/fixtures/', import.meta.url);
const fixture = (path: string) => new URL(path, FIXTURES).pathname;

type Mop = [string, string, Json];

/** An ok transaction: `done` its micro-ops as completed; invoked, reads carry null. */
function txn(process: number, invoke: number, complete: number, done: Mop[], rest = {}) {
  return {
    process,
    f: 'txn',
    invoke,
    complete,
    value: done.map(([f, k, v]) => [f, k, f === 'r' ? null : v]),
    result: done,
    ...rest,
  };
}

const verdict = (ops: HistoryOp[], model: AnyModel = multiRegisterModel, initialValue?: Json) =>
  checkHistory(ops, model, {
    timeoutMs: 5_000,
    ...(initialValue !== undefined ? { initialValue } : {}),
  }).verdict;

const linearizable: [string, HistoryOp[]][] = [
  [
    'a transaction reads its own earlier write',
    history(
      txn(0, 0, 1, [
        ['w', 'x', 5],
        ['r', 'x', 5],
      ]),
    ),
  ],
  [
    'a read of both registers after a transaction wrote both',
    history(
      txn(0, 0, 1, [
        ['w', 'x', 1],
        ['w', 'y', 1],
      ]),
      txn(1, 2, 3, [
        ['r', 'x', 1],
        ['r', 'y', 1],
      ]),
    ),
  ],
  [
    'concurrent transactions order either way',
    history(
      txn(0, 0, 4, [['w', 'x', 1]]),
      txn(1, 1, 5, [
        ['r', 'x', null],
        ['w', 'x', 2],
      ]),
      txn(2, 6, 7, [['r', 'x', 1]]),
    ),
  ],
  [
    'an unknown write may land after it returned',
    history(
      txn(0, 0, 1, [['w', 'x', 1]], { outcome: 'unknown', result: undefined }),
      txn(1, 2, 3, [['r', 'x', null]]),
      txn(2, 4, 5, [['r', 'x', 1]]),
    ),
  ],
  [
    'a failed write never happened',
    history(
      txn(0, 0, 1, [['w', 'x', 1]], { outcome: 'fail', result: undefined }),
      txn(1, 2, 3, [['r', 'x', null]]),
    ),
  ],
];

const notLinearizable: [string, HistoryOp[]][] = [
  [
    'a torn read: one register from before a transaction, one from after',
    history(
      txn(0, 0, 1, [
        ['w', 'x', 1],
        ['w', 'y', 1],
      ]),
      txn(1, 2, 3, [
        ['r', 'x', 1],
        ['r', 'y', null],
      ]),
    ),
  ],
  [
    'a transaction misses its own earlier write',
    history(
      txn(0, 0, 1, [
        ['w', 'x', 5],
        ['r', 'x', null],
      ]),
    ),
  ],
  ['a read of a value never written', history(txn(0, 0, 1, [['r', 'x', 3]]))],
  [
    'a stale read after a later write completed',
    history(
      txn(0, 0, 1, [['w', 'x', 1]]),
      txn(1, 2, 3, [['w', 'x', 2]]),
      txn(2, 4, 5, [['r', 'x', 1]]),
    ),
  ],
];

describe('multi-register model', () => {
  test('is registered as `multi-register`', () => {
    assert.equal(getModel('multi-register'), multiRegisterModel);
  });

  for (const [name, ops] of linearizable)
    test(`linearizable: ${name}`, () => assert.equal(verdict(ops), 'valid'));
  for (const [name, ops] of notLinearizable)
    test(`not linearizable: ${name}`, () => assert.equal(verdict(ops), 'invalid'));

  test('each mutant (one rule removed) passes a history the model rejects', () => {
    for (const mutant of MULTI_REGISTER_MUTANTS) {
      const broken = multiRegisterModelWith(mutant);
      const missed = notLinearizable.filter(([, ops]) => verdict(ops, broken) === 'valid');
      assert.ok(missed.length > 0, `mutant ${mutant} is caught by no history`);
    }
  });

  test('registers start at initialValue; writing it back leaves the state as it began', () => {
    const ops = history(
      txn(0, 0, 1, [
        ['r', 'x', 0],
        ['w', 'x', 4],
        ['w', 'x', 0],
      ]),
      txn(1, 2, 3, [
        ['r', 'x', 0],
        ['r', 'y', 0],
      ]),
    );
    assert.equal(verdict(ops, multiRegisterModel, 0), 'valid');
    assert.equal(verdict(ops), 'invalid', 'absent is not 0');
  });

  test('validates transactions; describes ops and states', () => {
    const [bad] = history({ process: 0, f: 'read', invoke: 0, complete: 1 });
    assert.equal(multiRegisterModel.validate(bad!), 'multi-register has no operation "read" (txn)');
    const [append] = history(txn(0, 0, 1, [['append', 'x', 1]]));
    assert.match(multiRegisterModel.validate(append!) ?? '', /f "r" or "w"/);
    const [short] = history({ ...txn(0, 0, 1, [['w', 'x', 1]]), result: [] });
    assert.match(multiRegisterModel.validate(short!) ?? '', /needs a result/);
    const [ok] = history(
      txn(0, 0, 1, [
        ['w', 'x', 1],
        ['r', 'y', 2],
      ]),
    );
    assert.equal(multiRegisterModel.describeOp(ok!), 'txn [w x 1] [r y 2]');
    const result = checkHistory(
      history(
        txn(0, 0, 1, [
          ['w', 'x', 1],
          ['r', 'x', 2],
        ]),
      ),
      multiRegisterModel,
      {
        initialValue: 0,
      },
    );
    assert.equal(result.evidence?.blocked[0]?.reason, 'impossible when the state is {others 0}');
  });
});

describe('--format knossos reads a transaction’s ok read of nil as reading nothing', () => {
  const edn = `[{:type :invoke, :f :txn, :value [[:write :x 1]], :process 0}
{:type :ok, :f :txn, :value [[:write :x 1]], :process 0}
{:type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]], :process 1}
{:type :ok, :f :txn, :value [[:read :x nil] [:read :y 0]], :process 1}
{:type :invoke, :f :txn, :value [[:read :x nil]], :process 2}
{:type :ok, :f :txn, :value [[:read :x nil]], :process 2}]`;

  test('the nil read is taken out; a transaction left empty did nothing', () => {
    const { ops } = loadHistory(edn, 'knossos', 'nil.edn');
    assert.deepEqual(
      ops.map((op) => [op.outcome, op.value, op.result]),
      [
        ['ok', [['w', 'x', 1]], [['w', 'x', 1]]],
        ['ok', [['r', 'y', null]], [['r', 'y', 0]]],
        ['fail', [['r', 'x', null]], undefined],
      ],
    );
    // Registers start at 0 and x was written 1: a nil read kept as "absent" would be impossible.
    assert.equal(checkHistory(ops, multiRegisterModel, { initialValue: 0 }).verdict, 'valid');
  });

  test('read as plain EDN, the nil reads stay (and x cannot be absent after the write)', () => {
    const { ops } = loadHistory(edn, 'edn', 'nil.edn');
    assert.deepEqual(ops[1]?.result, [
      ['r', 'x', null],
      ['r', 'y', 0],
    ]);
    assert.equal(checkHistory(ops, multiRegisterModel, {}).verdict, 'invalid');
  });
});

describe('Knossos’s multi-register history, and three derived from it', () => {
  const cases: [string, 'valid' | 'invalid'][] = [
    ['knossos/multi-register/good/multi-register.edn', 'valid'],
    ['knossos-derived/multi-register/whole-read.edn', 'valid'],
    ['knossos-derived/multi-register/torn-read.edn', 'invalid'],
    ['knossos-derived/multi-register/never-written.edn', 'invalid'],
  ];
  for (const [file, want] of cases) {
    test(`${file}: ${want}`, () => {
      const text = readFileSync(fixture(file), 'utf8');
      const loaded = loadHistory(text, 'knossos', file);
      assert.equal(loaded.suggestedModel, 'multi-register');
      assert.equal(loaded.initialValue, 0);
      const result = checkHistory(loaded.ops, multiRegisterModel, { initialValue: 0 });
      assert.equal(result.verdict, want);
      // The broken variant that ignores reads passes every one of them.
      const lax = checkHistory(loaded.ops, multiRegisterModelWith('unchecked-reads'), {
        initialValue: 0,
      });
      assert.equal(lax.verdict, 'valid');
    });
  }

  test('the torn read is named: the last transaction cannot follow the two before it', () => {
    const file = 'knossos-derived/multi-register/torn-read.edn';
    const loaded = loadHistory(readFileSync(fixture(file), 'utf8'), 'knossos', file);
    const result = checkHistory(loaded.ops, multiRegisterModel, { initialValue: 0 });
    assert.equal(result.evidence?.deadline?.description, 'txn [r x 7] [r y 8]');
    assert.equal(result.evidence?.stateAfterPrefix, '{x: 8, y: 8, others 0}');
  });

  test('truthkit check --format knossos answers them; rw-register says why it cannot', async () => {
    const good = await cli(
      'check',
      fixture('knossos/multi-register/good/multi-register.edn'),
      '--format',
      'knossos',
    );
    assert.equal(good.code, 0, good.err);
    assert.match(good.out, /: linearizable — multi-register model, 123 operations/);
    const torn = await cli(
      'check',
      fixture('knossos-derived/multi-register/torn-read.edn'),
      '--format',
      'knossos',
      '--json',
    );
    assert.equal(torn.code, 1, torn.err);
    assert.equal((JSON.parse(torn.out) as { verdict: string }).verdict, 'invalid');
    const rw = await cli(
      'check',
      fixture('knossos/multi-register/good/multi-register.edn'),
      '--format',
      'knossos',
      '--model',
      'rw-register',
    );
    assert.equal(rw.code, 2);
    assert.match(rw.err, /unique per key \(--model multi-register checks such transactions/);
  });
});
