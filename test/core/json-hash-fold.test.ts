/**
 * copyJsonHashed remembers the hash of long strings it walked (json.ts, `folded`). A remembered
 * hash only holds from the running hash it was folded from; these cases put the same long
 * strings at many places, so a cache that ignored where a string sits would answer wrongly. The
 * reference is the hash written out plainly, walking every character every time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyJsonHashed, type Json } from '../../src/core/json.js';
import { streamFor, type Random } from '../../src/core/random.js';

function referenceHash(value: Json): { hashLo: number; hashHi: number } {
  let lo = 0x811c9dc5;
  let hi = 0x050c5d1f;
  const mixNumber = (n: number): void => {
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) {
      lo = Math.imul(lo ^ n, 0x01000193);
      hi = Math.imul(hi ^ (n >>> 16), 0x01000193) ^ n;
    } else mixString(String(n));
  };
  const mixString = (s: string): void => {
    lo ^= s.length;
    for (let i = 0; i < s.length; i++) {
      lo = Math.imul(lo ^ s.charCodeAt(i), 0x01000193);
      hi = Math.imul(hi ^ s.charCodeAt(i), 0x0100019b);
    }
  };
  const walk = (v: Json): void => {
    if (typeof v === 'string') mixString(v);
    else if (typeof v === 'number') mixNumber(v);
    else if (typeof v === 'boolean') mixNumber(v ? 2 : 3);
    else if (v === null) mixNumber(1);
    else if (Array.isArray(v)) {
      mixNumber(4 + v.length);
      for (const x of v as readonly Json[]) walk(x);
    } else {
      for (const [k, x] of Object.entries(v)) {
        mixString(k);
        walk(x);
      }
    }
  };
  walk(value);
  return { hashLo: lo >>> 0, hashHi: hi >>> 0 };
}

/** A few long strings (signed texts, snapshots) and short ones, nested at random places. */
function randomValue(r: Random, pool: readonly string[], depth: number): Json {
  const pick = r.int(depth > 2 ? 3 : 6);
  if (pick === 0) return pool[r.int(pool.length)] as string;
  if (pick === 1) return r.int(1000) - 500;
  if (pick === 2) return r.next() < 0.5 ? 'ok' : null;
  if (pick === 3) return Array.from({ length: r.int(4) }, () => randomValue(r, pool, depth + 1));
  const out: Record<string, Json> = {};
  for (let i = r.int(4); i > 0; i--) out[`k${r.int(5)}`] = randomValue(r, pool, depth + 1);
  if (pick === 5) out['p'] = pool[r.int(pool.length)] as string;
  return out;
}

test('a long string hashes the same wherever it sits and however often it was seen', () => {
  const r = streamFor(7, 'test:json-hash-fold');
  const pool = Array.from({ length: 6 }, (_, i) =>
    JSON.stringify({ t: 'prepare', i: `n${i}`, body: 'x'.repeat(60 + 30 * i) }),
  );
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(r, pool, 0);
    const got = copyJsonHashed(v);
    assert.deepEqual(got.value, v);
    assert.deepEqual({ hashLo: got.hashLo, hashHi: got.hashHi }, referenceHash(v), `value ${i}`);
  }
  // The same message sent again (a broadcast's copies) hashes the same as the first time.
  const msg = { type: 'pbft', p: pool[3] as string, s: 'A'.repeat(88) };
  const first = copyJsonHashed(msg);
  const again = copyJsonHashed({ ...msg });
  assert.deepEqual([again.hashLo, again.hashHi], [first.hashLo, first.hashHi]);
  // …and a string in another place does not take the remembered hash of its first place.
  const moved = { type: 'pbft', s: 'A'.repeat(88), p: pool[3] as string };
  assert.deepEqual(
    (({ hashLo, hashHi }) => ({ hashLo, hashHi }))(copyJsonHashed(moved)),
    referenceHash(moved),
  );
});

test('past its bound in characters the memory starts again, and hashes stay the walk', () => {
  // Two strings of 9 M characters pass the 16 M bound: the second empties the memory.
  const big = ['a', 'b'].map((c) => c.repeat(9_000_000));
  for (const v of [{ p: big[0] }, { p: big[1] }, { p: big[0] }, { q: big[1] }] as Json[]) {
    const got = copyJsonHashed(v);
    assert.deepEqual({ hashLo: got.hashLo, hashHi: got.hashHi }, referenceHash(v));
  }
});
