/** What the checker accepts and rejects, on small hand-written histories. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory, HistoryError, kvModel, registerModel } from '../../src/check/index.js';
import { history } from './helpers.js';

const register = (...ops: Parameters<typeof history>) =>
  checkHistory(history(...ops), registerModel);

describe('register: real-time order', () => {
  test('a read must see the latest completed write', () => {
    const ok = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'write', value: 2, invoke: 2, complete: 3 },
      { process: 2, f: 'read', result: 2, invoke: 4, complete: 5 },
    );
    assert.equal(ok.verdict, 'valid');
    const stale = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'write', value: 2, invoke: 2, complete: 3 },
      { process: 2, f: 'read', result: 1, invoke: 4, complete: 5 },
    );
    assert.equal(stale.verdict, 'invalid');
  });

  test('a read concurrent with a write may see either value', () => {
    for (const result of [1, 2]) {
      const r = register(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
        { process: 1, f: 'write', value: 2, invoke: 2, complete: 6 },
        { process: 2, f: 'read', result, invoke: 3, complete: 5 },
      );
      assert.equal(r.verdict, 'valid', `read → ${result}`);
    }
  });

  test('values never go back once a newer one was read', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'write', value: 2, invoke: 2, complete: 10 },
      { process: 2, f: 'read', result: 2, invoke: 3, complete: 4 },
      { process: 3, f: 'read', result: 1, invoke: 5, complete: 6 },
    );
    assert.equal(r.verdict, 'invalid');
  });

  test('events at the same instant are treated as concurrent', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 5 },
      { process: 1, f: 'read', result: null, invoke: 5, complete: 6 },
    );
    assert.equal(r.verdict, 'valid');
  });

  test('the register starts absent: reading a value nobody wrote is invalid', () => {
    assert.equal(
      register({ process: 0, f: 'read', result: null, invoke: 0, complete: 1 }).verdict,
      'valid',
    );
    assert.equal(
      register({ process: 0, f: 'read', result: 0, invoke: 0, complete: 1 }).verdict,
      'invalid',
    );
  });
});

describe('register: compare-and-set', () => {
  test('a cas that swapped needs the expected value', () => {
    const ops = (from: number) =>
      register(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
        { process: 1, f: 'cas', value: [from, 2], result: true, invoke: 2, complete: 3 },
        { process: 2, f: 'read', result: 2, invoke: 4, complete: 5 },
      );
    assert.equal(ops(1).verdict, 'valid');
    assert.equal(ops(7).verdict, 'invalid');
  });

  test('a cas that did not swap still constrains: the value was not `from`', () => {
    const alone = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'cas', value: [1, 2], result: false, invoke: 2, complete: 3 },
    );
    assert.equal(alone.verdict, 'invalid');
    const withConcurrentWrite = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'cas', value: [1, 2], result: false, invoke: 2, complete: 5 },
      { process: 2, f: 'write', value: 3, invoke: 3, complete: 4 },
    );
    assert.equal(withConcurrentWrite.verdict, 'valid');
  });
});

describe('unknown and failed outcomes', () => {
  test('a timed-out write that later shows up in a read is valid', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1, outcome: 'unknown' },
      { process: 1, f: 'read', result: 1, invoke: 5, complete: 6 },
    );
    assert.equal(r.verdict, 'valid');
  });

  test('a failed write that shows up in a read is invalid', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1, outcome: 'fail' },
      { process: 1, f: 'read', result: 1, invoke: 5, complete: 6 },
    );
    assert.equal(r.verdict, 'invalid');
  });

  test('an unknown write may never take effect', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1, outcome: 'unknown' },
      { process: 1, f: 'read', result: null, invoke: 5, complete: 6 },
      { process: 1, f: 'read', result: null, invoke: 7, complete: 8 },
    );
    assert.equal(r.verdict, 'valid');
  });

  test('an unknown write takes effect after its invocation, not before', () => {
    const r = register(
      { process: 1, f: 'read', result: 1, invoke: 0, complete: 1 },
      { process: 0, f: 'write', value: 1, invoke: 5, complete: 6, outcome: 'unknown' },
    );
    assert.equal(r.verdict, 'invalid');
  });

  test('an unknown write may take effect long after its client gave up, but only once', () => {
    const base = [
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'write', value: 2, invoke: 2, complete: 3, outcome: 'unknown' as const },
      { process: 2, f: 'read', result: 1, invoke: 10, complete: 11 },
      { process: 2, f: 'read', result: 2, invoke: 20, complete: 21 },
    ];
    assert.equal(register(...base).verdict, 'valid');
    const flipBack = [...base, { process: 2, f: 'read', result: 1, invoke: 30, complete: 31 }];
    assert.equal(register(...flipBack).verdict, 'invalid');
  });

  test('an unknown read constrains nothing', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'read', result: 99, invoke: 2, complete: 3, outcome: 'unknown' },
    );
    assert.equal(r.verdict, 'valid');
  });

  test('an unknown cas swaps if it takes effect on the expected value', () => {
    const r = register(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'cas', value: [1, 2], invoke: 2, complete: 3, outcome: 'unknown' },
      { process: 2, f: 'read', result: 2, invoke: 4, complete: 5 },
    );
    assert.equal(r.verdict, 'valid');
  });
});

describe('kv semantics', () => {
  const kv = (initialValue: string | null, ...ops: Parameters<typeof history>) =>
    checkHistory(history(...ops), kvModel, { initialValue }).verdict;

  test('absent and "" are different states', () => {
    const getEmpty = { process: 0, f: 'get', key: 'k', result: '', invoke: 0, complete: 1 };
    const getNull = { process: 0, f: 'get', key: 'k', result: null, invoke: 0, complete: 1 };
    assert.equal(kv(null, getNull), 'valid');
    assert.equal(kv(null, getEmpty), 'invalid');
    assert.equal(kv('', getEmpty), 'valid');
    assert.equal(kv('', getNull), 'invalid');
  });

  test('append to an absent key starts from ""', () => {
    const r = kv(
      null,
      { process: 0, f: 'append', key: 'k', value: 'a', invoke: 0, complete: 1 },
      { process: 0, f: 'append', key: 'k', value: 'b', invoke: 2, complete: 3 },
      { process: 1, f: 'get', key: 'k', result: 'ab', invoke: 4, complete: 5 },
    );
    assert.equal(r, 'valid');
  });

  test('a string built by appends equals the same string put whole', () => {
    const r = kv(
      null,
      { process: 0, f: 'append', key: 'k', value: 'ab', invoke: 0, complete: 1 },
      { process: 0, f: 'append', key: 'k', value: 'c', invoke: 2, complete: 3 },
      { process: 1, f: 'cas', key: 'k', value: ['abc', 'x'], result: true, invoke: 4, complete: 5 },
      { process: 1, f: 'put', key: 'k', value: 'a', invoke: 6, complete: 7 },
      { process: 1, f: 'append', key: 'k', value: 'bc', invoke: 8, complete: 9 },
      {
        process: 1,
        f: 'cas',
        key: 'k',
        value: ['abc', 'y'],
        result: true,
        invoke: 10,
        complete: 11,
      },
    );
    assert.equal(r, 'valid');
  });

  test('delete makes a key absent again', () => {
    const ops = (result: string | null) => [
      { process: 0, f: 'put', key: 'k', value: 'a', invoke: 0, complete: 1 },
      { process: 0, f: 'delete', key: 'k', invoke: 2, complete: 3 },
      { process: 1, f: 'get', key: 'k', result, invoke: 4, complete: 5 },
    ];
    assert.equal(kv(null, ...ops(null)), 'valid');
    assert.equal(kv(null, ...ops('a')), 'invalid');
  });

  test('cas from null matches only an absent key', () => {
    const casNull = (result: boolean) => ({
      process: 1,
      f: 'cas',
      key: 'k',
      value: [null, 'x'],
      result,
      invoke: 4,
      complete: 5,
    });
    assert.equal(kv(null, casNull(true)), 'valid');
    assert.equal(kv(null, casNull(false)), 'invalid');
    assert.equal(kv('', casNull(false)), 'valid');
  });

  test('partitioned and unpartitioned checks agree on a multi-key history', () => {
    const ops = (staleB: boolean) =>
      history(
        { process: 0, f: 'put', key: 'a', value: '1', invoke: 0, complete: 10 },
        { process: 1, f: 'put', key: 'b', value: '1', invoke: 0, complete: 4 },
        { process: 2, f: 'get', key: 'a', result: '1', invoke: 1, complete: 2 },
        { process: 2, f: 'get', key: 'a', result: '1', invoke: 3, complete: 4 },
        { process: 3, f: 'get', key: 'a', result: null, invoke: 0, complete: 1 },
        { process: 3, f: 'get', key: 'b', result: staleB ? null : '1', invoke: 5, complete: 6 },
      );
    for (const stale of [false, true]) {
      const split = checkHistory(ops(stale), kvModel);
      const whole = checkHistory(ops(stale), kvModel, { partition: false });
      assert.equal(split.partitions, 2);
      assert.equal(whole.partitions, 1);
      assert.equal(split.verdict, stale ? 'invalid' : 'valid');
      assert.equal(whole.verdict, split.verdict);
    }
  });

  test('unpartitioned checking handles many keys (a multi-level keyed state)', () => {
    const spec = [];
    for (let k = 0; k < 100; k++) {
      spec.push({
        process: k % 7,
        f: 'put',
        key: `k${k}`,
        value: `v${k}`,
        invoke: 3 * k,
        complete: 3 * k + 4,
      });
    }
    for (let k = 0; k < 100; k++)
      spec.push({
        process: 8,
        f: 'get',
        key: `k${k}`,
        result: `v${k}`,
        invoke: 400 + k,
        complete: 400 + k,
      });
    assert.equal(checkHistory(history(...spec), kvModel, { partition: false }).verdict, 'valid');
    const wrong = spec.map((s) => (s.key === 'k77' && s.f === 'get' ? { ...s, result: 'v76' } : s));
    const r = checkHistory(history(...wrong), kvModel, { partition: false });
    assert.equal(r.verdict, 'invalid');
    assert.equal(r.evidence?.partition, null);
    assert.match(r.evidence?.blocked[0]?.description ?? '', /get "k77" → "v76"/);
  });
});

describe('search budget', () => {
  // Many concurrent writes and a read nothing wrote: refuting it takes a long search.
  const hard = () => {
    const spec = [];
    for (let p = 0; p < 14; p++)
      spec.push({ process: p, f: 'write', value: p, invoke: 0, complete: 100 });
    spec.push({ process: 20, f: 'read', result: 99, invoke: 50, complete: 60 });
    return history(...spec);
  };

  test('running out of steps answers unknown', () => {
    const r = checkHistory(hard(), registerModel, { maxSteps: 500 });
    assert.equal(r.verdict, 'unknown');
    assert.deepEqual(r.undecided, [null]);
    assert.ok(r.steps <= 500);
  });

  test('running out of time answers unknown', () => {
    const r = checkHistory(hard(), registerModel, { timeoutMs: 0 });
    assert.equal(r.verdict, 'unknown');
  });

  test('a history with nothing to search is valid even with no budget', () => {
    const ops = history(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1, outcome: 'fail' },
      { process: 1, f: 'read', result: 5, invoke: 0, complete: 1, outcome: 'unknown' },
    );
    assert.equal(checkHistory(ops, registerModel, { timeoutMs: 0 }).verdict, 'valid');
  });

  test('with enough budget the same history is decided', () => {
    assert.equal(checkHistory(hard(), registerModel).verdict, 'invalid');
  });

  test('a violation in one partition is found even when another exhausts the budget', () => {
    const easyBad = history(...hard().map((op) => ({ ...op, key: 'hard' })), {
      process: 30,
      f: 'read',
      key: 'easy',
      result: 5,
      invoke: 0,
      complete: 1,
    });
    const r = checkHistory(easyBad, registerModel, { maxSteps: 20_000 });
    assert.equal(r.verdict, 'invalid');
    assert.equal(r.evidence?.partition, 'easy');
  });
});

describe('validation', () => {
  test('operations the model does not know are rejected with their id', () => {
    const ops = history({ process: 0, f: 'frobnicate', invoke: 0, complete: 1 });
    assert.throws(() => checkHistory(ops, registerModel), {
      name: 'HistoryError',
      message: /operation 0: register has no operation "frobnicate"/,
    });
  });

  test('malformed values are rejected', () => {
    const cases: [Parameters<typeof history>[0], RegExp][] = [
      [
        { process: 0, f: 'put', key: 'k', value: 3, invoke: 0, complete: 1 },
        /put needs a string value/,
      ],
      [{ process: 0, f: 'get', invoke: 0, complete: 1 }, /get needs a string key/],
      [
        { process: 0, f: 'cas', key: 'k', value: ['a'], invoke: 0, complete: 1 },
        /cas needs a value/,
      ],
      [
        { process: 0, f: 'cas', key: 'k', value: ['a', 'b'], invoke: 0, complete: 1 },
        /ok cas needs a result/,
      ],
      [
        { process: 0, f: 'put', key: 'k', value: 'a', invoke: 5, complete: 1 },
        /completes before it is invoked/,
      ],
    ];
    for (const [spec, message] of cases)
      assert.throws(
        () => checkHistory(history(spec), kvModel),
        (e: unknown) => {
          assert.ok(e instanceof HistoryError);
          assert.match(e.message, message);
          return true;
        },
      );
  });
});
