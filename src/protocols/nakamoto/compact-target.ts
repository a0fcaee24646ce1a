/**
 * The compact "bits" encoding of a 256-bit target, as Bitcoin Core's arith_uint256
 * SetCompact/GetCompact define it: a one-byte size (in bytes) and a 3-byte mantissa, like a
 * base-256 float. Its quirks are consensus rules, so they are reproduced exactly: bit 0x00800000
 * is a sign bit (a "negative" target is invalid), a mantissa shifted past 256 bits overflows,
 * and the encoder never emits a mantissa with the sign bit set.
 */

const U256 = (1n << 256n) - 1n;

export interface DecodedTarget {
  /** The target as a number (mod 2^256, as a 256-bit register would hold it). */
  readonly target: bigint;
  readonly negative: boolean;
  readonly overflow: boolean;
}

export function decodeCompact(bits: number): DecodedTarget {
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = (BigInt(word) << BigInt(8 * (size - 3))) & U256;
  }
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow =
    word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** The compact form of `target` (rounded down to its top 3 significant bytes). */
export function encodeCompact(target: bigint, negative = false): number {
  if (target < 0n || target > U256) throw new RangeError('a target is a 256-bit unsigned number');
  let size = Math.floor((bitLength(target) + 7) / 8);
  let compact =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  // A mantissa with its top bit set would read back as negative: move it down a byte.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  compact |= size << 24;
  if (negative && (compact & 0x007fffff) !== 0) compact |= 0x00800000;
  return compact >>> 0;
}

/** The target a header's bits stand for, or why it is not a valid proof-of-work target. */
export function targetFromBits(
  bits: number,
  powLimit?: bigint,
): { ok: true; target: bigint } | { ok: false; reason: string } {
  const d = decodeCompact(bits);
  if (d.negative) return { ok: false, reason: 'negative target' };
  if (d.overflow) return { ok: false, reason: 'target overflows 256 bits' };
  if (d.target === 0n) return { ok: false, reason: 'zero target' };
  if (powLimit !== undefined && d.target > powLimit) {
    return { ok: false, reason: 'target above the proof-of-work limit' };
  }
  return { ok: true, target: d.target };
}

export function formatBits(bits: number): string {
  return '0x' + (bits >>> 0).toString(16).padStart(8, '0');
}

/** `0x1d00ffff` or `1d00ffff` → number; undefined when it is not 1–8 hex digits. */
export function parseBits(text: string): number | undefined {
  const m = /^(?:0x)?([0-9a-fA-F]{1,8})$/.exec(text.trim());
  return m ? parseInt(m[1] as string, 16) >>> 0 : undefined;
}

export function targetToHex(target: bigint): string {
  return target.toString(16).padStart(64, '0');
}
