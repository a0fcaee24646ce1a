import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../../src/runtime/kafka/crc32c.js';

/** One bit at a time, straight from the definition: what the sliced tables must agree with. */
function bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

test('crc32c: the check value and RFC 3720 vectors', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c: every length and offset agrees with the bitwise definition, and continues', () => {
  const bytes = Uint8Array.from({ length: 67 }, (_, i) => (i * 151 + 7) & 0xff);
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= bytes.length; end++) {
      assert.equal(crc32c(bytes, start, end), bitwise(bytes.subarray(start, end)));
    }
  }
  assert.equal(crc32c(bytes, 30, 67, crc32c(bytes, 0, 30)), crc32c(bytes));
  assert.throws(() => crc32c(bytes, 10, 68), RangeError);
});
