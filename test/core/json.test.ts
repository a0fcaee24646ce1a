import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyJson,
  copyJsonHashed,
  deepFreeze,
  jsonSizeBound,
  NotPlainDataError,
  type Json,
} from '../../src/core/json.js';
import { streamFor, type Random } from '../../src/core/random.js';

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

/** Random plain data whose strings draw on the characters JSON escapes or widens most. */
function randomJson(r: Random, depth: number): Json {
  const chars = ['a', '\u0007', '"', '\\', '\n', '\u00e9', '\u20ac', '\ud83d\ude00', '\ud800'];
  const str = (): string => Array.from({ length: r.int(20) }, () => r.pick(chars)).join('');
  switch (depth <= 0 ? r.int(4) : r.int(6)) {
    case 0:
      return str();
    case 1:
      return r.pick([0, -1, 1e21, -1.234567890123457e-300, Number.MAX_SAFE_INTEGER, 0.1]);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return '';
    case 4:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth - 1));
    default: {
      const o: Record<string, Json> = {};
      for (let i = r.int(5); i > 0; i--) o[str()] = randomJson(r, depth - 1);
      return o;
    }
  }
}

test('jsonSizeBound is never below the JSON text, in UTF-16 units or UTF-8 bytes', () => {
  const r = streamFor(7, 'json-size-bound');
  for (let i = 0; i < 2000; i++) {
    const v = randomJson(r, 4);
    const text = JSON.stringify(v);
    const bound = jsonSizeBound(v);
    assert.ok(bound >= text.length, `${bound} < ${text.length} units for ${text}`);
    assert.ok(bound >= Buffer.byteLength(text), `${bound} < bytes of ${text}`);
  }
  // The worst case is tight: each control character becomes six.
  assert.equal(jsonSizeBound('\u0007'.repeat(10)), JSON.stringify('\u0007'.repeat(10)).length);
});
