import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../src/core/random.js';
import { KeyIndex } from '../../src/core/key-index.js';
import { inInterval, keyInterval } from '../../src/systems/etcd/key-range.js';

test('KeyIndex visits exactly the keys of an interval, in byte order, as a sorted list would', () => {
  const r = streamFor(11, 'key-index');
  // Binary keys (one char per byte), short so intervals and duplicates are common.
  const key = (): string =>
    String.fromCharCode(...Array.from({ length: 1 + r.int(3) }, () => r.pick([0, 1, 97, 98, 255])));
  const index = new KeyIndex();
  const model = new Set<string>();
  for (let step = 0; step < 3000; step++) {
    const k = key();
    if (r.chance(0.7)) {
      index.add(k);
      model.add(k);
    } else {
      index.delete(k);
      model.delete(k);
    }
    const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.equal(index.size, model.size);
    if (step % 10 === 0) assert.deepEqual([...index], sorted);
    const end = r.pick([undefined, '', '\0', key()]);
    const iv = keyInterval(key(), end);
    const seen: string[] = [];
    index.forEachIn(iv, (x) => seen.push(x));
    assert.deepEqual(
      seen,
      sorted.filter((x) => inInterval(x, iv)),
      JSON.stringify(iv),
    );
  }
});
