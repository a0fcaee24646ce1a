/**
 * The checker's register and kv models, operation by operation, on the step function itself
 * (cell-ops.ts): each test is named for the rule of the sequential specification that a
 * mutant of `stepCell` or of a model's validation would break.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import { checkHistory } from '../../../src/check/index.js';
import { kvModel } from '../../../src/check/models/kv.js';
import { MUTEX_MUTANTS, mutexModel } from '../../../src/check/models/mutex.js';
import { registerModel } from '../../../src/check/models/register.js';
import { ABSENT, ValueTable } from '../../../src/check/value-table.js';

function op(f: string, fields: Partial<HistoryOp> = {}): HistoryOp {
  return { id: 0, process: 0, f, invoke: 0, complete: 1, outcome: 'ok', ...fields };
}

/** The state after `o` from a cell holding `from` (undefined: impossible), as a value. */
function after(model: typeof kvModel, from: Json, o: HistoryOp): Json | undefined {
  const values = new ValueTable();
  const state = values.intern(from);
  const next = model.step(state, model.prepare(o, values), values);
  return next === undefined ? undefined : values.value(next);
}

test('read: an ok read must return the current value, absent reads as null', () => {
  assert.equal(after(registerModel, 'a', op('read', { result: 'a' })), 'a');
  assert.equal(after(registerModel, 'a', op('read', { result: 'b' })), undefined);
  assert.equal(after(registerModel, null, op('read', { result: null })), null);
  assert.equal(
    after(registerModel, null, op('read', { result: '' })),
    undefined,
    '"" is not absent',
  );
  assert.equal(after(kvModel, 'x', op('get', { key: 'k', result: 'x' })), 'x');
  assert.equal(after(kvModel, 'x', op('get', { key: 'k', result: null })), undefined);
});

test('read: an unknown read constrains nothing and changes nothing', () => {
  assert.equal(after(registerModel, 'a', op('read', { outcome: 'unknown' })), 'a');
  assert.equal(after(kvModel, null, op('get', { key: 'k', outcome: 'unknown' })), null);
});

test('write replaces the value whatever it was', () => {
  assert.equal(after(registerModel, 'a', op('write', { value: 'b' })), 'b');
  assert.equal(after(registerModel, null, op('write', { value: 3 })), 3);
  assert.equal(after(kvModel, 'a', op('put', { key: 'k', value: 'c' })), 'c');
  assert.equal(after(kvModel, 'a', op('put', { key: 'k', value: 'c', outcome: 'unknown' })), 'c');
});

test('append concatenates, and an absent key starts from ""', () => {
  assert.equal(after(kvModel, 'ab', op('append', { key: 'k', value: 'c' })), 'abc');
  assert.equal(after(kvModel, null, op('append', { key: 'k', value: 'c' })), 'c');
});

test('delete makes the key absent', () => {
  assert.equal(after(kvModel, 'ab', op('delete', { key: 'k' })), null);
  assert.equal(after(kvModel, null, op('delete', { key: 'k' })), null);
});

test('cas that swapped: only from the compared value, to the new one', () => {
  assert.equal(after(registerModel, 1, op('cas', { value: [1, 2], result: true })), 2);
  assert.equal(after(registerModel, 3, op('cas', { value: [1, 2], result: true })), undefined);
  assert.equal(
    after(kvModel, null, op('cas', { key: 'k', value: [null, 'v'], result: true })),
    'v',
  );
  assert.equal(
    after(kvModel, '', op('cas', { key: 'k', value: [null, 'v'], result: true })),
    undefined,
    'null compares with absent only, not ""',
  );
});

test('cas that did not swap: the value was not `from` then, and stays', () => {
  assert.equal(after(registerModel, 3, op('cas', { value: [1, 2], result: false })), 3);
  assert.equal(after(registerModel, 1, op('cas', { value: [1, 2], result: false })), undefined);
});

test('cas with an unknown outcome: swaps if it could, otherwise leaves the value', () => {
  assert.equal(after(registerModel, 1, op('cas', { value: [1, 2], outcome: 'unknown' })), 2);
  assert.equal(after(registerModel, 3, op('cas', { value: [1, 2], outcome: 'unknown' })), 3);
});

test('model states: equal by id, hashed consistently, initial value absent unless given', () => {
  const values = new ValueTable();
  assert.equal(registerModel.init(values, {}), ABSENT);
  assert.equal(kvModel.init(values, { initialValue: '' }), values.intern(''));
  assert.notEqual(kvModel.init(values, { initialValue: '' }), ABSENT);
  const a = values.intern('a');
  assert.equal(registerModel.equal(a, values.intern('a')), true);
  assert.equal(registerModel.equal(a, values.intern('b')), false);
  assert.equal(kvModel.hash(a), registerModel.hash(values.intern('a')));
});

test('read-only operations: register read and kv get only', () => {
  assert.equal(registerModel.isReadOnly(op('read')), true);
  assert.equal(registerModel.isReadOnly(op('write')), false);
  assert.equal(registerModel.isReadOnly(op('cas')), false);
  assert.equal(kvModel.isReadOnly(op('get', { key: 'k' })), true);
  for (const f of ['put', 'append', 'cas', 'delete']) {
    assert.equal(kvModel.isReadOnly(op(f, { key: 'k' })), false, f);
  }
  assert.equal(kvModel.partitionKey?.(op('get', { key: 'k7' })), 'k7');
  assert.equal(registerModel.partitionKey?.(op('read')), undefined);
});

test('register validation: operations, a write value, a cas pair and its result, a read result', () => {
  const v = (o: HistoryOp): string | undefined => registerModel.validate(o);
  assert.equal(v(op('read', { result: 1 })), undefined);
  assert.equal(v(op('read', { result: null })), undefined);
  assert.match(v(op('read')) ?? '', /an ok read needs a result/);
  assert.equal(v(op('read', { outcome: 'unknown' })), undefined);
  assert.equal(v(op('write', { value: 1 })), undefined);
  assert.match(v(op('write')) ?? '', /write needs a value/);
  assert.equal(v(op('cas', { value: [1, 2], result: false })), undefined);
  assert.match(v(op('cas', { value: [1], result: true })) ?? '', /cas needs a value \[from, to\]/);
  assert.match(v(op('cas', { value: [1, 2] })) ?? '', /an ok cas needs a result/);
  assert.equal(v(op('cas', { value: [1, 2], outcome: 'unknown' })), undefined);
  assert.match(v(op('put', { value: 1 })) ?? '', /register has no operation "put"/);
  assert.match(v(op('toString')) ?? '', /no operation/, 'only own operation names');
});

test('kv validation: string keys and values, cas [string|null, string], get results', () => {
  const v = (o: HistoryOp): string | undefined => kvModel.validate(o);
  assert.equal(v(op('get', { key: 'k', result: 'x' })), undefined);
  assert.equal(v(op('get', { key: 'k', result: null })), undefined);
  assert.match(v(op('get', { key: 'k', result: 3 })) ?? '', /an ok get needs a result/);
  assert.match(v(op('get', { key: 'k' })) ?? '', /an ok get needs a result/);
  assert.equal(v(op('get', { key: 'k', outcome: 'unknown' })), undefined);
  assert.match(v(op('get', { result: 'x' })) ?? '', /get needs a string key/);
  assert.equal(v(op('put', { key: 'k', value: 'x' })), undefined);
  assert.match(v(op('put', { key: 'k', value: 1 })) ?? '', /put needs a string value/);
  assert.match(v(op('append', { key: 'k' })) ?? '', /append needs a string value/);
  assert.equal(v(op('delete', { key: 'k' })), undefined);
  assert.equal(v(op('cas', { key: 'k', value: [null, 'b'], result: true })), undefined);
  assert.equal(v(op('cas', { key: 'k', value: ['a', 'b'], result: false })), undefined);
  assert.match(
    v(op('cas', { key: 'k', value: [1, 'b'], result: true })) ?? '',
    /cas needs a value/,
  );
  assert.match(v(op('cas', { key: 'k', value: ['a', null], result: true })) ?? '', /cas needs/);
  assert.match(v(op('cas', { key: 'k', value: ['a'], result: true })) ?? '', /cas needs/);
  assert.match(v(op('cas', { key: 'k', value: ['a', 'b'] })) ?? '', /an ok cas needs a result/);
  assert.equal(v(op('cas', { key: 'k', value: ['a', 'b'], outcome: 'unknown' })), undefined);
  assert.match(v(op('read', { key: 'k' })) ?? '', /kv has no operation "read"/);
});

test('operations described as the report prints them', () => {
  assert.equal(
    registerModel.describeOp(op('write', { value: 3, key: 'r' })).startsWith('write [r] 3'),
    true,
  );
  assert.equal(registerModel.describeOp(op('read', { result: null })).startsWith('read'), true);
  assert.match(registerModel.describeOp(op('cas', { value: [1, 2], result: true })), /1/);
  assert.match(kvModel.describeOp(op('put', { key: 'k', value: 'v' })), /^put "k" "?v/);
  assert.match(kvModel.describeOp(op('delete', { key: 'k' })), /^delete "k"/);
  assert.match(kvModel.describeOp(op('get', { key: 'k', result: 'v' })), /^get "k"/);
  assert.match(kvModel.describeOp(op('cas', { key: 'k', value: ['a', 'b'], result: true })), /"k"/);
  const values = new ValueTable();
  assert.equal(kvModel.describeState(ABSENT, values), registerModel.describeState(ABSENT, values));
});

test('kv operations described exactly as the report prints them', () => {
  const cas = op('cas', { key: 'k', value: ['a', 'b'], result: true });
  assert.equal(kvModel.describeOp(cas), 'cas "k" "a"→"b" ✓');
  assert.equal(kvModel.describeOp(op('delete', { key: 'k' })), 'delete "k"');
  assert.equal(kvModel.describeOp(op('append', { key: 'k', value: 'x' })), 'append "k" "x"');
});

test('mutex model: held and free are different states, and no operation is read-only', () => {
  assert.equal(mutexModel.equal(0, 0), true);
  assert.equal(mutexModel.equal(0, 1), false);
  assert.equal(mutexModel.isReadOnly(op('acquire')), false);
  assert.deepEqual(MUTEX_MUTANTS, ['acquire-held', 'release-free']);
});

test('an initial value other than "" is the state every key starts in', () => {
  const ops = [op('get', { key: 'a', result: 'x' })];
  assert.equal(checkHistory(ops, kvModel).verdict, 'invalid');
  assert.equal(checkHistory(ops, kvModel, { initialValue: 'x' }).verdict, 'valid');
  assert.equal(checkHistory(ops, kvModel, { initialValue: 'y' }).verdict, 'invalid');
  const values = new ValueTable();
  assert.equal(kvModel.init(values, { initialValue: 'x' }), values.intern('x'));
});
