import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor, type Random } from '../../src/core/random.js';
import { jsonPieces, SLICE } from '../../src/runtime/json-pieces.js';

/** Random plain data, with long arrays at random depths (as a Raft snapshot has). */
function plain(r: Random, depth: number): unknown {
  const kind = depth <= 0 ? r.int(4) : r.int(7);
  switch (kind) {
    case 0:
      return r.int(1000) - 500;
    case 1:
      return `s${r.int(100)}"\\\n\u2603`;
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4: {
      const n = r.chance(0.3) ? SLICE + r.int(3 * SLICE) : r.int(5);
      return Array.from({ length: n }, () => plain(r, depth - 1));
    }
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < r.int(5); i++) o[`k${i}`] = plain(r, depth - 1);
      if (r.chance(0.2)) o.gone = undefined; // JSON.stringify drops it; so must the pieces
      return o;
    }
  }
}

test('the pieces joined are exactly JSON.stringify', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const r = streamFor(seed, 'json-pieces');
    const v = plain(r, 4);
    assert.equal([...jsonPieces(v)].join(''), JSON.stringify(v), `seed ${seed}`);
  }
});

test('a snapshot-shaped value comes in many pieces, a small one in one', () => {
  const events = Array.from({ length: 10 * SLICE }, (_, i) => [
    { type: 'PUT', kv: { key: `k${i}`, mod_revision: i + 2, value: 'v'.repeat(100) } },
  ]);
  const snap = { index: 7, term: 2, config: null, data: { store: { base: [], events }, ops: 1 } };
  const pieces = [...jsonPieces(snap)];
  assert.ok(pieces.length >= 10, `${pieces.length} pieces`);
  assert.equal(pieces.join(''), JSON.stringify(snap));
  assert.deepEqual([...jsonPieces({ term: 3, vote: 'n1' })], ['{"term":3,"vote":"n1"}']);
  assert.deepEqual([...jsonPieces([1, [2, 3]])], ['[1,[2,3]]']);
});
