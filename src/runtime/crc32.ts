/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the checksum of every write-ahead-log
 * record. Node ≥ 20.15 has it natively (`zlib.crc32`, zlib's SIMD code); older Node 20 releases
 * (package.json allows any Node ≥ 20) get the table-driven version below, which gives the same
 * values (checked in test/runtime/wal.test.ts).
 */
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The table-driven CRC-32 of `bytes[start, end)`, continuing from `crc` (0 to start). */
export function crc32Portable(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) {
    c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// Looked up on the namespace rather than imported by name: a named import of an export that an
// older Node lacks would fail when the module is linked.
const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** True when `crc32` uses Node's own implementation. */
export const nativeCrc32 = typeof native === 'function';

/** CRC-32 of `bytes[start, end)`, continuing from `crc` (0 to start). */
export const crc32: (bytes: Uint8Array, start?: number, end?: number, crc?: number) => number =
  native === undefined
    ? crc32Portable
    : (bytes, start = 0, end = bytes.length, crc = 0) =>
        // Nothing to add: `crc` as it is. zlib.crc32 would return 0 for an empty buffer that has
        // no memory behind it (randomBytes(0)): zlib reads a null pointer as "give the initial
        // value". It returns an unsigned 32-bit value, as the fallback does.
        end <= start
          ? crc
          : native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), crc);
