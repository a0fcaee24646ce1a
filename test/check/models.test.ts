/** The model registry and the models' own descriptions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getModel, kvModel, modelNames, registerModel, ValueTable } from '../../src/check/index.js';
import { history } from './helpers.js';

describe('models', () => {
  test('the registry lists kv, multi-register, mutex, register and znode', () => {
    assert.deepEqual(modelNames(), ['kv', 'multi-register', 'mutex', 'register', 'znode']);
    assert.equal(getModel('kv'), kvModel);
    assert.equal(getModel('register'), registerModel);
    assert.equal(getModel('queue'), undefined);
    assert.equal(getModel('toString'), undefined);
  });

  test('operations describe themselves readably', () => {
    const [w, r, c, u] = history(
      { process: 0, f: 'write', value: 3, invoke: 0, complete: 1 },
      { process: 0, f: 'read', result: null, invoke: 0, complete: 1 },
      { process: 0, f: 'cas', value: [1, 2], result: false, invoke: 0, complete: 1 },
      { process: 0, f: 'cas', value: [1, 2], invoke: 0, complete: 1, outcome: 'unknown' },
    );
    assert.deepEqual(
      [w, r, c, u].map((op) => registerModel.describeOp(op!)),
      ['write 3', 'read → null', 'cas 1→2 ✗ (did not swap)', 'cas 1→2 → ?'],
    );
    const [a] = history({ process: 0, f: 'append', key: 'k', value: 'x', invoke: 0, complete: 1 });
    assert.equal(kvModel.describeOp(a!), 'append "k" "x"');
  });

  test('states: absent is not ""', () => {
    const values = new ValueTable();
    const absent = kvModel.init(values, {});
    const empty = kvModel.init(values, { initialValue: '' });
    assert.equal(kvModel.equal(absent, empty), false);
    assert.equal(kvModel.describeState(absent, values), 'absent');
    assert.equal(kvModel.describeState(empty, values), '""');
  });

  test('the value table interns appended strings canonically', () => {
    const values = new ValueTable();
    const ab = values.concat(values.intern('a'), values.intern('b'));
    assert.equal(ab, values.intern('ab'));
    assert.equal(values.concat(values.intern(''), values.intern('ab')), ab);
    assert.equal(values.concat(0, values.intern('ab')), ab, 'absent + "ab" = "ab"');
    assert.notEqual(values.intern(''), values.intern(null));
    assert.notEqual(values.intern('1'), values.intern(1));
    assert.equal(values.intern([1, 'x']), values.intern([1, 'x']));
  });
});
