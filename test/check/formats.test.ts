/** The three history formats, format detection, and errors for malformed input. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectFormat, HistoryError, loadHistory } from '../../src/check/index.js';
import { readEdn, Keyword } from '../../src/check/formats/edn-reader.js';

/** Asserts that `f` throws a HistoryError whose message matches `message`. */
function throwsHistoryError(f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof HistoryError, `expected a HistoryError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('truthkit JSON lines', () => {
  const line = (o: object) => JSON.stringify(o);
  const write = {
    id: 0,
    process: 1,
    f: 'put',
    key: 'k',
    value: 'v',
    invoke: 3,
    complete: 9,
    outcome: 'ok',
  };

  test('one HistoryOp per line, blank lines ignored', () => {
    const text = `${line(write)}\n\n${line({ ...write, id: 1, f: 'get', result: null, value: undefined })}\n`;
    const { ops, format } = loadHistory(text, 'jsonl', 'h.jsonl');
    assert.equal(format, 'jsonl');
    assert.deepEqual(ops[0], write);
    assert.equal(ops[1]?.result, null);
  });

  test('invalid JSON names the file and line', () => {
    throwsHistoryError(
      () => loadHistory(`${line(write)}\n{"id": 1,`, 'jsonl', 'h.jsonl'),
      /^h\.jsonl:2: not JSON/,
    );
  });

  test('a line that is not a HistoryOp names the field', () => {
    throwsHistoryError(
      () => loadHistory(line({ ...write, outcome: 'maybe' }), 'jsonl', 'h.jsonl'),
      /^h\.jsonl:1: not a history operation: outcome: /,
    );
    throwsHistoryError(
      () => loadHistory(line({ ...write, invoke: 'soon' }), 'jsonl', 'h.jsonl'),
      /^h\.jsonl:1: not a history operation: invoke: /,
    );
    throwsHistoryError(
      () => loadHistory('[1, 2]', 'jsonl', 'h.jsonl'),
      /^h\.jsonl:1: not a history operation/,
    );
  });

  test('duplicate ids are rejected', () => {
    throwsHistoryError(
      () => loadHistory(`${line(write)}\n${line(write)}`, 'jsonl', 'h.jsonl'),
      /^h\.jsonl:2: operation id 0 already used on line 1/,
    );
  });
});

describe('Jepsen etcd logs', () => {
  const log = [
    'INFO  jepsen.util - 0\t:invoke\t:write\t3',
    'INFO  jepsen.util - 1\t:invoke\t:read\tnil',
    'INFO  jepsen.util - 0\t:ok\t:write\t3',
    'INFO  jepsen.util - 1\t:ok\t:read\t3',
    'INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]',
    'INFO  jepsen.util - 3   :invoke :cas    [1 2]',
    'INFO  jepsen.util - 2\t:ok\t:cas\t[3 4]',
    'INFO  jepsen.util - 3   :fail   :cas    [1 2]',
    'INFO  jepsen.util - 4\t:invoke\t:read\tnil',
    'INFO  jepsen.util - 4\t:fail\t:read\t:timed-out',
    'INFO  jepsen.util - 5\t:invoke\t:write\t1',
    'INFO  jepsen.util - 5\t:info\t:write\t:timed-out',
    'INFO  jepsen.util - 6\t:invoke\t:write\t0',
  ].join('\n');

  test('events pair into operations with Jepsen semantics', () => {
    const { ops, suggestedModel } = loadHistory(log, 'jepsen-log', 'etcd.log');
    assert.equal(suggestedModel, 'register');
    const byProcess = new Map(ops.map((op) => [op.process, op]));
    assert.deepEqual(byProcess.get(0), {
      id: 0,
      process: 0,
      f: 'write',
      value: 3,
      invoke: 1,
      complete: 3,
      outcome: 'ok',
    });
    assert.equal(byProcess.get(1)?.result, 3);
    assert.equal(byProcess.get(1)?.value, undefined);
    assert.deepEqual(byProcess.get(2)?.value, [3, 4]);
    assert.equal(byProcess.get(2)?.result, true);
    // `:fail :cas` means the cas ran and found another value: ok, did not swap.
    assert.equal(byProcess.get(3)?.outcome, 'ok');
    assert.equal(byProcess.get(3)?.result, false);
    // A timed-out read and an :info write have unknown outcomes, as does a call never completed.
    assert.equal(byProcess.get(4)?.outcome, 'unknown');
    assert.equal(byProcess.get(5)?.outcome, 'unknown');
    assert.equal(byProcess.get(6)?.outcome, 'unknown');
    assert.deepEqual(
      ops.map((op) => op.id),
      [0, 1, 2, 3, 4, 5, 6],
    );
  });

  test('lines from other loggers are skipped', () => {
    const text = `INFO  jepsen.core - Running test\n${log}\nINFO  jepsen.core - done`;
    assert.equal(loadHistory(text, 'auto', 'jepsen.log').ops.length, 7);
  });

  test('malformed event lines name the file and line', () => {
    throwsHistoryError(
      () => loadHistory('INFO  jepsen.util - 0\t:invoke', 'jepsen-log', 'e.log'),
      /^e\.log:1: expected "<process> :<type> :<f> <value>"/,
    );
    throwsHistoryError(
      () => loadHistory('INFO  jepsen.util - 0\t:begin\t:read\tnil', 'jepsen-log', 'e.log'),
      /^e\.log:1: unknown event type :begin/,
    );
    throwsHistoryError(
      () => loadHistory('INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2', 'jepsen-log', 'e.log'),
      /^e\.log:1: bad value "\[1 2": missing "\]"/,
    );
    throwsHistoryError(
      () => loadHistory('INFO  jepsen.util - 0\t:ok\t:read\t1', 'jepsen-log', 'e.log'),
      /^e\.log:1: :ok from process 0, which has no pending call/,
    );
    throwsHistoryError(
      () =>
        loadHistory(
          'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil',
          'jepsen-log',
          'e.log',
        ),
      /^e\.log:2: process 0 invokes again while its call on line 1 is pending/,
    );
    throwsHistoryError(
      () => loadHistory('hello\nworld', 'jepsen-log', 'e.log'),
      /no "jepsen\.util" event lines/,
    );
  });
});

describe('EDN key-value histories', () => {
  const edn = [
    '{:process 0, :type :invoke, :f :append, :key "k", :value "x 0 0 y"}',
    '{:process 1, :type :invoke, :f :get, :key "k", :value nil}',
    '{:process 0, :type :ok, :f :append, :key "k", :value "x 0 0 y"}',
    '{:process 1, :type :ok, :f :get, :key "k", :value ""}',
    '{:process 2, :type :invoke, :f :put, :key 3, :value "a"}',
    '{:process 2, :type :fail, :f :put, :key 3, :value "a"}',
  ].join('\n');

  test('events pair into kv operations; keys start as ""', () => {
    const { ops, format, suggestedModel, initialValue } = loadHistory(edn, 'auto', 'kv.edn');
    assert.equal(format, 'edn');
    assert.equal(suggestedModel, 'kv');
    assert.equal(initialValue, '');
    assert.deepEqual(ops[0], {
      id: 0,
      process: 0,
      f: 'append',
      key: 'k',
      value: 'x 0 0 y',
      invoke: 1,
      complete: 3,
      outcome: 'ok',
    });
    assert.equal(ops[1]?.result, '');
    assert.equal(ops[2]?.key, '3');
    assert.equal(ops[2]?.outcome, 'fail');
  });

  test('malformed lines name the file and line', () => {
    throwsHistoryError(
      () => loadHistory('{:process 0, :type', 'edn', 'kv.edn'),
      /^kv\.edn:1: not EDN/,
    );
    throwsHistoryError(
      () => loadHistory('[1 2]', 'edn', 'kv.edn'),
      /^kv\.edn:1: expected an event map/,
    );
    throwsHistoryError(
      () => loadHistory('{:process "p", :type :invoke, :f :get}', 'edn', 'kv.edn'),
      /^kv\.edn:1: :process must be an integer/,
    );
    throwsHistoryError(
      () => loadHistory('{:process 0, :type :done, :f :get}', 'edn', 'kv.edn'),
      /^kv\.edn:1: :type must be :invoke, :ok, :fail or :info/,
    );
    throwsHistoryError(
      () =>
        loadHistory(
          '{:process 0, :type :invoke, :f :get, :key "k"}\n{:process 0, :type :ok, :f :put, :key "k"}',
          'edn',
          'kv.edn',
        ),
      /^kv\.edn:2: :ok :put completes a :get call \(line 1\)/,
    );
    throwsHistoryError(
      () =>
        loadHistory(
          '{:process 0, :type :invoke, :f :put, :key "k", :value {:a 1}}',
          'edn',
          'kv.edn',
        ),
      /^kv\.edn:1: unsupported value \{:a 1\}/,
    );
  });

  test('the EDN reader handles the forms Jepsen writes', () => {
    const v = readEdn('{:a [1 -2 3.5 nil true "s\\"\\n"], :b #{:x}, :c (1 2) ; comment\n}');
    assert.ok(v instanceof Map);
    assert.deepEqual(v.get(':a'), [1, -2, 3.5, null, true, 's"\n']);
    assert.deepEqual(v.get(':b'), [new Keyword('x')]);
    assert.deepEqual(v.get(':c'), [1, 2]);
  });
});

describe('format detection', () => {
  test('by the first line, or any Jepsen event line', () => {
    assert.equal(detectFormat('{"id": 0}'), 'jsonl');
    assert.equal(detectFormat('\n  {:process 0}'), 'edn');
    assert.equal(detectFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil'), 'jepsen-log');
    assert.equal(
      detectFormat('INFO  jepsen.core - start\nINFO  jepsen.util - 0 :invoke :read nil'),
      'jepsen-log',
    );
    assert.equal(detectFormat(''), 'jsonl');
    assert.equal(detectFormat('hello'), undefined);
  });

  test('an unrecognisable file is a clear error', () => {
    throwsHistoryError(
      () => loadHistory('hello', 'auto', 'x.txt'),
      /^x\.txt: cannot tell the history format/,
    );
  });
});
