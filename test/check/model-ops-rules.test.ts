/**
 * The checker's models, one operation at a time (issue 27 item 2). For each operation of each
 * model: its step function on the states that decide it (a unit test of the rule), and a
 * history that is not linearizable only because of that rule — the checker rejects it, and the
 * same model with that one operation's step broken accepts it (so the rule is what catches it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkHistory,
  kvModel,
  registerModel,
  ValueTable,
  type AnyModel,
} from '../../src/check/index.js';
import { mutexModel, mutexModelWith } from '../../src/check/models/mutex.js';
import { znodeModel } from '../../src/check/models/znode.js';
import type { HistoryOp } from '../../src/core/history.js';
import type { Json } from '../../src/core/json.js';
import { history } from './helpers.js';

type Spec = Parameters<typeof history>[0];

/** Sequential ops of one client, each completing before the next is invoked. */
function seq(...specs: Omit<Spec, 'process' | 'invoke' | 'complete'>[]): HistoryOp[] {
  return history(
    ...specs.map((s, i) => ({ process: 0, invoke: 2 * i, complete: 2 * i + 1, ...s })),
  );
}

/**
 * `model` with the step of operation `f` replaced by `broken` (which sees the model's own
 * prepared input): exactly that one rule removed.
 */
function without(
  model: AnyModel,
  f: string,
  broken: (state: unknown, input: unknown, values: ValueTable) => unknown,
): AnyModel {
  return {
    ...model,
    prepare: (op: HistoryOp, values: ValueTable) => ({ f: op.f, inner: model.prepare(op, values) }),
    step: (state: unknown, input: { f: string; inner: unknown }, values: ValueTable) =>
      input.f === f ? broken(state, input.inner, values) : model.step(state, input.inner, values),
  };
}

/** The anomaly: `h` is rejected by `model` and accepted once `broken` replaces `f`'s step. */
function pinned(model: AnyModel, h: HistoryOp[], f: string, broken: Parameters<typeof without>[2]) {
  assert.equal(checkHistory(h, model).verdict, 'invalid', 'the model rejects the history');
  assert.equal(
    checkHistory(h, without(model, f, broken)).verdict,
    'valid',
    `without the ${f} rule the history passes: the rule is what rejects it`,
  );
}

/** One step of `model` from `state` by the single op `spec`. */
function step(model: AnyModel, values: ValueTable, state: unknown, spec: Spec): unknown {
  const [op] = history(spec);
  assert.ok(op !== undefined);
  assert.equal(model.validate(op), undefined);
  return model.step(state, model.prepare(op, values), values);
}

const op = (f: string, extra: Omit<Spec, 'process' | 'invoke' | 'complete' | 'f'> = {}): Spec => ({
  process: 0,
  invoke: 0,
  complete: 1,
  f,
  ...extra,
});

// ---- kv ----------------------------------------------------------------------------------------

test('kv get: a read returns the current value (absent is null); an unknown read any', () => {
  const v = new ValueTable();
  const a = v.intern('a');
  assert.equal(step(kvModel, v, a, op('get', { key: 'k', result: 'a' })), a);
  assert.equal(step(kvModel, v, a, op('get', { key: 'k', result: 'b' })), undefined);
  assert.equal(step(kvModel, v, a, op('get', { key: 'k', result: null })), undefined);
  assert.equal(
    step(kvModel, v, v.intern(null), op('get', { key: 'k', result: null })),
    v.intern(null),
  );
  assert.equal(step(kvModel, v, a, op('get', { key: 'k', outcome: 'unknown' })), a);
  pinned(
    kvModel,
    seq({ f: 'put', key: 'k', value: 'a' }, { f: 'get', key: 'k', result: 'b' }),
    'get',
    (s) => s,
  );
});

test('kv put: the value written is the state after, whatever was before', () => {
  const v = new ValueTable();
  assert.equal(step(kvModel, v, v.intern('x'), op('put', { key: 'k', value: 'a' })), v.intern('a'));
  assert.equal(
    step(kvModel, v, v.intern(null), op('put', { key: 'k', value: 'a' })),
    v.intern('a'),
  );
  pinned(
    kvModel,
    seq({ f: 'put', key: 'k', value: 'a' }, { f: 'get', key: 'k', result: null }),
    'put',
    (s) => s,
  );
});

test('kv append: the value is the old one (absent as "") with the argument after it', () => {
  const v = new ValueTable();
  assert.equal(
    step(kvModel, v, v.intern('x'), op('append', { key: 'k', value: 'y' })),
    v.intern('xy'),
  );
  assert.equal(
    step(kvModel, v, v.intern(null), op('append', { key: 'k', value: 'y' })),
    v.intern('y'),
  );
  pinned(
    kvModel,
    seq(
      { f: 'put', key: 'k', value: 'x' },
      { f: 'append', key: 'k', value: 'y' },
      { f: 'get', key: 'k', result: 'y' },
    ),
    'append',
    // Broken: an append that overwrites.
    (_s, input) => (input as { a: number }).a,
  );
});

test('kv cas: swaps only from the expected value; a reported failure means it differed', () => {
  const v = new ValueTable();
  const [a, b, c] = [v.intern('a'), v.intern('b'), v.intern('c')];
  const cas = (result: Json | undefined, outcome: HistoryOp['outcome'] = 'ok') =>
    op('cas', {
      key: 'k',
      value: ['a', 'b'],
      outcome,
      ...(result !== undefined ? { result } : {}),
    });
  assert.equal(step(kvModel, v, a, cas(true)), b, 'swapped from a');
  assert.equal(step(kvModel, v, c, cas(true)), undefined, 'cannot have swapped from c');
  assert.equal(step(kvModel, v, c, cas(false)), c, 'did not swap: c stays');
  assert.equal(step(kvModel, v, a, cas(false)), undefined, 'must have swapped from a');
  assert.equal(step(kvModel, v, a, cas(undefined, 'unknown')), b, 'unknown, took effect: swaps');
  assert.equal(step(kvModel, v, c, cas(undefined, 'unknown')), c, 'unknown, took effect: no swap');
  // A successful cas from a value the key did not hold.
  pinned(
    kvModel,
    seq(
      { f: 'put', key: 'k', value: 'c' },
      { f: 'cas', key: 'k', value: ['a', 'b'], result: true },
    ),
    'cas',
    (_s, input) => (input as { b: number }).b,
  );
  // A failed cas from the value the key held.
  pinned(
    kvModel,
    seq(
      { f: 'put', key: 'k', value: 'a' },
      { f: 'cas', key: 'k', value: ['a', 'b'], result: false },
    ),
    'cas',
    (s) => s,
  );
});

test('kv delete: the key is absent after', () => {
  const v = new ValueTable();
  assert.equal(step(kvModel, v, v.intern('a'), op('delete', { key: 'k' })), v.intern(null));
  pinned(
    kvModel,
    seq(
      { f: 'put', key: 'k', value: 'a' },
      { f: 'delete', key: 'k' },
      { f: 'get', key: 'k', result: 'a' },
    ),
    'delete',
    (s) => s,
  );
});

// ---- register ----------------------------------------------------------------------------------

test('register read: returns the current value', () => {
  const v = new ValueTable();
  assert.equal(step(registerModel, v, v.intern(1), op('read', { result: 1 })), v.intern(1));
  assert.equal(step(registerModel, v, v.intern(1), op('read', { result: 2 })), undefined);
  pinned(registerModel, seq({ f: 'write', value: 1 }, { f: 'read', result: 2 }), 'read', (s) => s);
});

test('register write: the value written is the state after', () => {
  const v = new ValueTable();
  assert.equal(step(registerModel, v, v.intern(1), op('write', { value: 2 })), v.intern(2));
  pinned(
    registerModel,
    seq({ f: 'write', value: 1 }, { f: 'read', result: null }),
    'write',
    (s) => s,
  );
});

test('register cas: swaps only from the expected value; a reported failure means it differed', () => {
  const v = new ValueTable();
  const [one, two, three] = [v.intern(1), v.intern(2), v.intern(3)];
  assert.equal(step(registerModel, v, one, op('cas', { value: [1, 2], result: true })), two);
  assert.equal(
    step(registerModel, v, three, op('cas', { value: [1, 2], result: true })),
    undefined,
  );
  assert.equal(step(registerModel, v, three, op('cas', { value: [1, 2], result: false })), three);
  assert.equal(step(registerModel, v, one, op('cas', { value: [1, 2], result: false })), undefined);
  pinned(
    registerModel,
    seq({ f: 'write', value: 3 }, { f: 'cas', value: [1, 2], result: true }),
    'cas',
    (_s, input) => (input as { b: number }).b,
  );
  pinned(
    registerModel,
    seq({ f: 'write', value: 1 }, { f: 'cas', value: [1, 2], result: false }),
    'cas',
    (s) => s,
  );
});

// ---- mutex -------------------------------------------------------------------------------------

test('mutex acquire: only a free lock is acquired', () => {
  const v = new ValueTable();
  const free = mutexModel.init(v, {});
  const held = step(mutexModel, v, free, op('acquire'));
  assert.notEqual(held, undefined);
  assert.notEqual(held, free);
  assert.equal(step(mutexModel, v, held, op('acquire')), undefined);
  const twice = seq({ f: 'acquire' }, { f: 'acquire' });
  pinned(mutexModel, twice, 'acquire', () => held);
  // The model's own mutant that removes this rule accepts it too.
  assert.equal(checkHistory(twice, mutexModelWith('acquire-held')).verdict, 'valid');
});

test('mutex release: only a held lock is released', () => {
  const v = new ValueTable();
  const free = mutexModel.init(v, {});
  const held = step(mutexModel, v, free, op('acquire'));
  assert.equal(step(mutexModel, v, held, op('release')), free);
  assert.equal(step(mutexModel, v, free, op('release')), undefined);
  const unheld = seq({ f: 'release' });
  pinned(mutexModel, unheld, 'release', () => free);
  assert.equal(checkHistory(unheld, mutexModelWith('release-free')).verdict, 'valid');
});

// ---- znode -------------------------------------------------------------------------------------

const ZOK = 0;
const NONODE = -101;
const BADVERSION = -103;
const NODEEXISTS = -110;

test('znode create: an absent node is created at version 0; a present one is NODEEXISTS', () => {
  const v = new ValueTable();
  const absent = znodeModel.init(v, {});
  const made = step(znodeModel, v, absent, op('create', { key: '/a', result: { code: ZOK } }));
  assert.equal(made, 0);
  assert.equal(
    step(znodeModel, v, made, op('create', { key: '/a', result: { code: ZOK } })),
    undefined,
  );
  assert.equal(
    step(znodeModel, v, made, op('create', { key: '/a', result: { code: NODEEXISTS } })),
    0,
  );
  pinned(
    znodeModel,
    seq(
      { f: 'create', key: '/a', result: { code: ZOK } },
      { f: 'create', key: '/a', result: { code: ZOK } },
    ),
    'create',
    () => 0,
  );
});

test('znode setData: only at the version asked (or -1), which it raises by one', () => {
  const v = new ValueTable();
  const set = (version: number, result: Json) =>
    op('setData', { key: '/a', value: ['x', version], result });
  assert.equal(step(znodeModel, v, 0, set(0, { code: ZOK, version: 1 })), 1);
  assert.equal(step(znodeModel, v, 0, set(-1, { code: ZOK, version: 1 })), 1);
  assert.equal(step(znodeModel, v, 0, set(0, { code: ZOK, version: 5 })), undefined, 'new version');
  assert.equal(
    step(znodeModel, v, 1, set(0, { code: ZOK, version: 1 })),
    undefined,
    'stale version',
  );
  assert.equal(step(znodeModel, v, 1, set(0, { code: BADVERSION })), 1);
  assert.equal(step(znodeModel, v, -1, set(0, { code: NONODE })), -1);
  pinned(
    znodeModel,
    seq(
      { f: 'create', key: '/a', result: { code: ZOK } },
      { f: 'setData', key: '/a', value: ['x', 0], result: { code: ZOK, version: 1 } },
      { f: 'setData', key: '/a', value: ['y', 0], result: { code: ZOK, version: 2 } },
    ),
    'setData',
    (s) => (s as number) + 1,
  );
});

test('znode delete: only at the version asked (or -1); the node is absent after', () => {
  const v = new ValueTable();
  const del = (version: number, code: number) =>
    op('delete', { key: '/a', value: version, result: { code } });
  assert.equal(step(znodeModel, v, 0, del(0, ZOK)), -1);
  assert.equal(step(znodeModel, v, 1, del(0, ZOK)), undefined);
  assert.equal(step(znodeModel, v, 1, del(0, BADVERSION)), 1);
  assert.equal(step(znodeModel, v, -1, del(-1, ZOK)), undefined);
  pinned(
    znodeModel,
    seq(
      { f: 'create', key: '/a', result: { code: ZOK } },
      { f: 'delete', key: '/a', value: -1, result: { code: ZOK } },
      { f: 'create', key: '/a', result: { code: NODEEXISTS } },
    ),
    'delete',
    (s) => s,
  );
});
