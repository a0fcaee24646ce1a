/**
 * The 80-byte Bitcoin block header: version (int32), previous block hash (32), Merkle root
 * (32), time (uint32 seconds), bits (compact target), nonce (uint32), all little-endian. The
 * block's identity is the double SHA-256 of those 80 bytes; people show it byte-reversed, which
 * is why real block hashes "start with zeros".
 */
import {
  fromDisplayHex,
  fromHex,
  hashToBigInt,
  readU32LE,
  toDisplayHex,
  writeU32LE,
} from './bytes.js';
import { decodeCompact } from './compact-target.js';
import { sha256d } from './sha256.js';

export const HEADER_BYTES = 80;

export interface BlockHeader {
  readonly version: number;
  /** Display order (as explorers show it). */
  readonly prevHash: string;
  /** Display order. */
  readonly merkleRoot: string;
  readonly time: number;
  readonly bits: number;
  readonly nonce: number;
}

export function parseHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length !== HEADER_BYTES) throw new RangeError(`a header is ${HEADER_BYTES} bytes`);
  return {
    version: readU32LE(bytes, 0) | 0,
    prevHash: toDisplayHex(bytes.subarray(4, 36)),
    merkleRoot: toDisplayHex(bytes.subarray(36, 68)),
    time: readU32LE(bytes, 68),
    bits: readU32LE(bytes, 72),
    nonce: readU32LE(bytes, 76),
  };
}

export function parseHeaderHex(hex: string): BlockHeader {
  return parseHeader(fromHex(hex, HEADER_BYTES, 'a block header'));
}

export function serializeHeader(h: BlockHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  writeU32LE(out, 0, h.version >>> 0);
  out.set(fromDisplayHex(h.prevHash, 'prevHash'), 4);
  out.set(fromDisplayHex(h.merkleRoot, 'merkleRoot'), 36);
  writeU32LE(out, 68, h.time);
  writeU32LE(out, 72, h.bits);
  writeU32LE(out, 76, h.nonce);
  return out;
}

/** The raw (internal byte order) double SHA-256 of a serialized header. */
export function headerHashBytes(serialized: Uint8Array): Uint8Array {
  return sha256d(serialized);
}

/** The block hash in display order. */
export function blockHash(h: BlockHeader): string {
  return toDisplayHex(headerHashBytes(serializeHeader(h)));
}

/**
 * True when the hash, read as a little-endian 256-bit number, is at most the target the
 * header's own bits encode (and that encoding is valid). Whether the bits are the ones the
 * chain demands at this height is a separate, contextual check.
 */
export function hashMeetsBits(rawHash: Uint8Array, bits: number): boolean {
  const d = decodeCompact(bits);
  if (d.negative || d.overflow || d.target === 0n) return false;
  return hashToBigInt(rawHash) <= d.target;
}
