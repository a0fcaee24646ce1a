import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyJson, copyJsonHashed, deepFreeze, NotPlainDataError } from '../../src/core/json.js';

test('copies are deep: mutating the copy leaves the original alone', () => {
  const original = { type: 'append', entries: [{ term: 1, cmd: ['a', 1] }], meta: { n: null } };
  const copy = copyJson(original);
  assert.deepEqual(copy, original);
  copy.entries[0]!.term = 9;
  (copy.entries[0]!.cmd as unknown[]).push('x');
  assert.equal(original.entries[0]!.term, 1);
  assert.deepEqual(original.entries[0]!.cmd, ['a', 1]);
});

test('anything that is not plain data is refused, with where it was', () => {
  assert.throws(() => copyJson({ when: new Date(0) } as unknown), NotPlainDataError);
  assert.throws(() => copyJson({ m: new Map() } as unknown), /instance of Map/);
  assert.throws(() => copyJson({ f: () => 1 } as unknown), /function/);
  assert.throws(() => copyJson({ x: NaN }), /non-finite/);
  assert.throws(() => copyJson({ x: 1n } as unknown), /bigint/);
});

test('undefined fields are dropped, as JSON would', () => {
  assert.deepEqual(copyJson({ a: 1, b: undefined }), { a: 1 });
});

test('the content hash depends on content, not identity', () => {
  const a = copyJsonHashed({ type: 'vote', term: 3, granted: true });
  const b = copyJsonHashed({ type: 'vote', term: 3, granted: true });
  const c = copyJsonHashed({ type: 'vote', term: 4, granted: true });
  assert.equal(a.hashLo, b.hashLo);
  assert.equal(a.hashHi, b.hashHi);
  assert.ok(a.hashLo !== c.hashLo || a.hashHi !== c.hashHi);
  const d = copyJsonHashed(['ab', 'c']);
  const e = copyJsonHashed(['a', 'bc']);
  assert.ok(d.hashLo !== e.hashLo || d.hashHi !== e.hashHi);
});

test('deepFreeze makes stored values immutable', () => {
  const v = deepFreeze({ a: { b: [1] } });
  assert.throws(() => {
    (v.a.b as number[]).push(2);
  }, TypeError);
});
