/**
 * The key encoding keeps order: for random values (negatives, zero, the extremes, strings with
 * U+0000 and prefixes of one another, booleans, timestamps before 1970, composite keys), the
 * encoded keys sort exactly as the values do. Each KEY_MUTANTS variant breaks that, and the same
 * check catches it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor, type Random } from '../../../src/core/random.js';
import {
  KEY_MUTANTS,
  prefixEnd,
  rowKey,
  type KeyMutant,
} from '../../../src/systems/sql/key-encoding.js';
import {
  compareValues,
  INT8_MAX,
  INT8_MIN,
  Ts,
  type ColumnType,
  type Value,
} from '../../../src/systems/sql/values.js';

const TYPES: ColumnType[] = ['int8', 'text', 'bool', 'timestamp'];

function randomInt(r: Random): bigint {
  const specials = [INT8_MIN, INT8_MIN + 1n, -1n, 0n, 1n, INT8_MAX - 1n, INT8_MAX];
  if (r.chance(0.3)) return r.pick(specials);
  const hi = BigInt(r.int(0x100000000)) - 0x80000000n;
  return hi * BigInt(r.int(0x100000000)) + BigInt(r.int(1000));
}

function randomText(r: Random): string {
  const alphabet = ['', 'a', 'b', '\u0000', '\u0001', 'z', '\u00ff', 'é', '~'];
  let s = '';
  const n = r.int(4);
  for (let i = 0; i < n; i++) s += r.pick(alphabet);
  return s;
}

function randomValue(r: Random, t: ColumnType): Value {
  if (t === 'int8') return randomInt(r);
  if (t === 'text') return randomText(r);
  if (t === 'bool') return r.chance(0.5);
  return new Ts(randomInt(r) / 1000n);
}

function compareTuples(a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i] as Exclude<Value, null>, b[i] as Exclude<Value, null>);
    if (c !== 0) return c;
  }
  return 0;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** The first pair whose key order differs from its value order, or null. */
function orderViolation(mutant: KeyMutant | undefined, seed: number, pairs: number): string | null {
  const r = streamFor(seed, 'test:key-encoding');
  for (let i = 0; i < pairs; i++) {
    const width = 1 + r.int(3);
    const types = Array.from({ length: width }, () => r.pick(TYPES));
    const a = types.map((t) => randomValue(r, t));
    // Half the time b shares a's first columns, so later columns decide the order.
    const b = types.map((t, j) =>
      j < width - 1 && r.chance(0.5) ? (a[j] as Value) : randomValue(r, t),
    );
    const ka = rowKey(7, types, a, mutant);
    const kb = rowKey(7, types, b, mutant);
    const want = sign(compareTuples(a, b));
    const got = ka < kb ? -1 : ka > kb ? 1 : 0;
    if (want !== got) return `${types.join(',')}: values order ${want}, keys order ${got}`;
  }
  return null;
}

test('encoded keys sort as their values do', () => {
  for (let seed = 1; seed <= 5; seed++) assert.equal(orderViolation(undefined, seed, 3000), null);
});

for (const m of KEY_MUTANTS) {
  test(`the order check catches the ${m} mutant`, () => {
    const found = [1, 2, 3, 4, 5].some((seed) => orderViolation(m, seed, 3000) !== null);
    assert.ok(found, `${m} kept the order over 15,000 pairs`);
  });
}

test("a key prefix's end is above every key that extends it and below the next prefix", () => {
  const p = rowKey(1, ['text'], ['ab']);
  const end = prefixEnd(p);
  assert.ok(p + '\uffff' < end);
  // Rows whose first column is 'ab' are inside; longer strings sort after all of them.
  assert.ok(rowKey(1, ['text', 'int8'], ['ab', INT8_MAX]) < end);
  assert.ok(rowKey(1, ['text'], ['ab\u0000']) >= end);
  assert.ok(rowKey(1, ['text'], ['abc']) >= end);
  assert.ok(rowKey(1, ['int8'], [INT8_MAX]) < prefixEnd(rowKey(1, [], [])));
  assert.ok(rowKey(2, ['int8'], [INT8_MIN]) >= prefixEnd(rowKey(1, [], [])));
});
