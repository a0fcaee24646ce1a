/** EDN histories in any layout, Jepsen transactions, and Knossos's reading of its own files. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectFormat, HistoryError, loadHistory } from '../../../src/check/index.js';
import {
  EdnSymbol,
  EdnSyntaxError,
  Keyword,
  readEdn,
  readEdnForms,
} from '../../../src/check/formats/edn-reader.js';
import { isTxnHistoryOp } from './txn-shape.js';

function throwsHistoryError(f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof HistoryError, `expected a HistoryError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

const write = (p: number, v: number) => `{:process ${p}, :type :invoke, :f :write, :value ${v}}`;
const wrote = (p: number, v: number) => `{:process ${p}, :type :ok, :f :write, :value ${v}}`;

describe('the EDN reader', () => {
  test('reads tags, discards, ratios, characters, big numbers and symbols', () => {
    const v = readEdn(
      '#jepsen.history.Op{:a 1/4, :b #_ :gone 2N, :c 1.5M, :d \\x, :e \\newline, ' +
        ':f #inst "2020-01-01", :g my.ns/sym, :h \\u00e9, :i -3e2}',
    );
    assert.ok(v instanceof Map);
    assert.equal(v.get(':a'), 0.25);
    assert.equal(v.get(':b'), 2);
    assert.equal(v.get(':c'), 1.5);
    assert.equal(v.get(':d'), 'x');
    assert.equal(v.get(':e'), '\n');
    assert.equal(v.get(':f'), '2020-01-01');
    assert.deepEqual(v.get(':g'), new EdnSymbol('my.ns/sym'));
    assert.equal(v.get(':h'), 'é');
    assert.equal(v.get(':i'), -300);
  });

  test('syntax errors carry the line where reading stopped', () => {
    assert.throws(
      () => readEdn('[1\n2\n"open'),
      (e: unknown) => e instanceof EdnSyntaxError && e.line === 3 && /unterminated/.test(e.message),
    );
    assert.throws(() => readEdn('1/0'), /bad number "1\/0"/);
    assert.throws(() => readEdn('12abc'), /bad number "12abc"/);
    assert.throws(() => readEdn('#?(:clj 1)'), /unsupported "#\?" form/);
    assert.throws(() => readEdn('\\bogus'), /bad character \\bogus/);
  });

  test('forms of a top-level vector or list come one by one, each with its line', () => {
    const forms = [...readEdnForms('; header\n[{:a 1}\n ; note\n {:a 2}\n\n {:a\n  3}]\n{:a 4}')];
    assert.deepEqual(
      forms.map((f) => [(f.value as Map<string, unknown>).get(':a'), f.line]),
      [
        [1, 2],
        [2, 4],
        [3, 6],
        [4, 8],
      ],
    );
    assert.throws(() => [...readEdnForms('[{:a 1}\n{:a 2}')], /missing "\]"/);
  });
});

describe('EDN histories in any layout', () => {
  const lines = [write(0, 1), write(1, 2), wrote(0, 1), wrote(1, 2)];
  const expected = loadHistory(lines.join('\n'), 'edn', 'h.edn').ops;

  test('one vector, one list, maps spread over lines and one line all read alike', () => {
    const layouts = [
      `[${lines.join('\n ')}]`,
      `(${lines.join(' ')})`,
      `; a comment\n${lines.map((l) => l.replaceAll(', ', ',\n  ')).join('\n')}`,
      lines.join(' '),
      `[${lines.map((l) => `#jepsen.history.Op${l}`).join('\n')}]`,
    ];
    for (const text of layouts) {
      assert.equal(detectFormat(text), 'edn', text);
      assert.deepEqual(loadHistory(text, 'auto', 'h.edn').ops, expected, text);
    }
  });

  test('events are timed by their order, so two on one line stay ordered', () => {
    const { ops } = loadHistory(lines.join(' '), 'edn', 'h.edn');
    assert.deepEqual(
      ops.map((op) => [op.invoke, op.complete]),
      [
        [1, 3],
        [2, 4],
      ],
    );
  });

  test('errors name the line each event starts on', () => {
    throwsHistoryError(
      () =>
        loadHistory(
          `[${write(0, 1)}\n ${wrote(0, 1)}\n {:process 0,\n  :type :done}]`,
          'edn',
          'h.edn',
        ),
      /^h\.edn:3: :type must be :invoke, :ok, :fail or :info/,
    );
    throwsHistoryError(
      () => loadHistory(`[${write(0, 1)}\n  {:process 0 :type`, 'edn', 'h.edn'),
      /^h\.edn:2: not EDN: /,
    );
    throwsHistoryError(
      () => loadHistory('[1 2]', 'edn', 'h.edn'),
      /^h\.edn:1: expected an event map/,
    );
  });

  test('nemesis events are skipped; events without :process share one anonymous client', () => {
    const text = [
      '{:process :nemesis, :type :info, :f :start, :value "Cut off"}',
      '{:type :invoke, :f :write, :value 1}',
      '{:type :ok, :f :write, :value 1}',
    ].join('\n');
    const { ops, suggestedModel } = loadHistory(text, 'edn', 'h.edn');
    assert.equal(ops.length, 1);
    assert.equal(ops[0]?.process, -1);
    assert.equal(suggestedModel, 'register');
  });

  test('the model the operations imply is suggested', () => {
    const mutex = '{:process 0, :type :invoke, :f :acquire}\n{:process 0, :type :ok, :f :acquire}';
    assert.equal(loadHistory(mutex, 'edn', 'h.edn').suggestedModel, 'mutex');
    const kv = '{:process 0, :type :invoke, :f :get, :key "k"}';
    assert.deepEqual(
      [
        loadHistory(kv, 'edn', 'h.edn').suggestedModel,
        loadHistory(kv, 'edn', 'h.edn').initialValue,
      ],
      ['kv', ''],
    );
    const keyed = '{:process 0, :type :invoke, :f :read, :key 3}';
    assert.equal(loadHistory(keyed, 'edn', 'h.edn').suggestedModel, 'kv');
  });
});

describe('Jepsen transactions', () => {
  test('invocations and completions become micro-operations as invoked and as completed', () => {
    const text = `[{:process 0, :type :invoke, :f :txn, :value [[:append :x 1] [:r 9 nil] [:w "k" "v"]]}
 {:process 1, :type :invoke, :f :txn, :value [[:read :y nil] [:write :y 2]]}
 {:process 0, :type :ok, :f :txn, :value [[:append :x 1] [:r 9 [1 2]] [:w "k" "v"]]}
 {:process 1, :type :info, :f :txn, :value [[:read :y nil] [:write :y 2]]}
 {:process 2, :type :invoke, :f :txn, :value [[:r :z]]}
 {:process 2, :type :fail, :f :txn, :value [[:r :z]]}]`;
    const { ops, suggestedModel } = loadHistory(text, 'auto', 't.edn');
    assert.equal(suggestedModel, 'list-append');
    assert.ok(ops.every(isTxnHistoryOp));
    assert.deepEqual(ops[0], {
      id: 0,
      process: 0,
      f: 'txn',
      invoke: 1,
      complete: 3,
      outcome: 'ok',
      value: [
        ['append', 'x', 1],
        ['r', '9', null],
        ['w', 'k', 'v'],
      ],
      result: [
        ['append', 'x', 1],
        ['r', '9', [1, 2]],
        ['w', 'k', 'v'],
      ],
    });
    assert.deepEqual(ops[1]?.value, [
      ['r', 'y', null],
      ['w', 'y', 2],
    ]);
    assert.equal(ops[1]?.outcome, 'unknown');
    assert.equal(ops[1]?.result, undefined);
    assert.deepEqual(ops[2]?.value, [['r', 'z', null]]);
    assert.equal(ops[2]?.outcome, 'fail');
  });

  test('a history with no appends is rw-register', () => {
    const text = '{:process 0, :type :ok, :value [[:w :x 1] [:r :y 1]]}';
    assert.equal(loadHistory(text, 'edn', 't.edn').suggestedModel, 'rw-register');
  });

  test('completions without invocations (as in Elle’s tests) are invoked at time 0', () => {
    const text = [
      '{:process 0, :type :invoke, :f :txn, :value [[:r :x nil]]}',
      '{:process 0, :type :ok, :f :txn, :value [[:r :x [1]]]}',
      '{:process 1, :type :ok, :value [[:append :x 1]]}',
    ].join('\n');
    const { ops } = loadHistory(text, 'edn', 't.edn');
    assert.deepEqual(
      ops.map((op) => [op.id, op.process, op.invoke, op.complete, op.outcome]),
      [
        [0, 1, 0, 3, 'ok'],
        [1, 0, 1, 2, 'ok'],
      ],
    );
    // Other operations still need their invocation.
    throwsHistoryError(
      () => loadHistory('{:process 0, :type :ok, :f :write, :value 1}', 'edn', 'h.edn'),
      /^h\.edn:1: :ok from process 0, which has no pending call/,
    );
  });

  test('malformed micro-operations name the line', () => {
    const bad: [string, RegExp][] = [
      [':r', /a :txn value must be a vector of \[f key value\], got :r/],
      ['[:r :x nil]', /a micro-operation must be \[f key value\], got :r/],
      [
        '[[:r :x nil] [:append :x]]',
        /a micro-operation must be \[f key value\], got \[:append :x\]/,
      ],
      ['[[:cas :x [1 2]]]', /a micro-operation is :r, :w or :append/],
      ['[[:w [1] 2]]', /a micro-operation's key is a keyword, number or string/],
      ['[[:w :x nil]]', /:w needs a number or string to write, got nil/],
      ['[[:append :x {:a 1}]]', /:append needs a number or string to write/],
    ];
    for (const [value, message] of bad) {
      throwsHistoryError(
        () =>
          loadHistory(`\n{:process 0, :type :invoke, :f :txn, :value ${value}}`, 'edn', 't.edn'),
        new RegExp(`^t\\.edn:2: ${message.source}`),
      );
    }
    throwsHistoryError(
      () =>
        loadHistory(
          '{:process 0, :type :invoke, :f :txn, :value [[:r :x nil]]}\n' +
            '{:process 0, :type :ok, :f :txn, :value [[:r :x {:a 1}]]}',
          'edn',
          't.edn',
        ),
      /^t\.edn:2: a read returns nil, a value or a list of values/,
    );
  });
});

describe('Knossos’s conventions (--format knossos)', () => {
  const text = [
    '[{:process 0, :type :invoke, :f :cas, :value [1 2]}',
    ' {:process 0, :type :fail, :f :cas, :value [1 2]}',
    ' {:process 1, :type :invoke, :f :read, :value nil}',
    ' {:process 1, :type :ok, :f :read, :value nil}',
    ' {:process 2, :type :invoke, :f :read, :value nil}',
    ' {:process 2, :type :fail, :f :read, :value :timed-out}]',
  ].join('\n');

  test('a failed cas did not happen, and an ok read of nil read nothing', () => {
    const knossos = loadHistory(text, 'knossos', 'k.edn');
    assert.equal(knossos.format, 'knossos');
    assert.equal(knossos.suggestedModel, 'register');
    assert.equal(knossos.initialValue, 0);
    assert.deepEqual(
      knossos.ops.map((op) => [op.outcome, op.result]),
      [
        ['fail', undefined],
        ['unknown', undefined],
        ['fail', undefined],
      ],
    );
    // Jepsen's etcd reading of the same events.
    const jepsen = loadHistory(text, 'edn', 'k.edn');
    assert.equal(jepsen.initialValue, undefined);
    assert.deepEqual(
      jepsen.ops.map((op) => [op.outcome, op.result]),
      [
        ['ok', false],
        ['ok', null],
        ['unknown', undefined],
      ],
    );
  });

  test('is never detected: it is asked for', () => {
    assert.equal(detectFormat(text), 'edn');
    assert.ok(readEdn(':x') instanceof Keyword);
  });
});
