/**
 * Byte helpers for Bitcoin's wire formats. Bitcoin stores integers little-endian and hashes as
 * raw bytes, but shows hashes byte-reversed ("display order"); the helpers here keep the two
 * orders apart so a reversed hash never slips through as a raw one.
 */

/** Bad input to a Bitcoin primitive (wrong length, not hex…): a caller's mistake, not a bug. */
export class NakamotoInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NakamotoInputError';
  }
}

const HEX = /^[0-9a-fA-F]*$/;

/** Parses hex (an optional 0x prefix allowed); `bytes` demands an exact length. */
export function fromHex(text: string, bytes?: number, what = 'hex'): Uint8Array {
  const s = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!HEX.test(s)) throw new NakamotoInputError(`${what} is not hexadecimal: '${short(text)}'`);
  if (s.length % 2 !== 0) throw new NakamotoInputError(`${what} has an odd number of hex digits`);
  if (bytes !== undefined && s.length !== bytes * 2) {
    throw new NakamotoInputError(
      `${what} must be ${bytes * 2} hex characters (${bytes} bytes), got ${s.length}`,
    );
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

export function reversed(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes).reverse();
}

/** A 32-byte hash as Bitcoin shows it (block explorers, RPC): the raw bytes reversed. */
export function toDisplayHex(hash: Uint8Array): string {
  return toHex(reversed(hash));
}

/** The raw bytes of a hash given in display order (a txid or block hash as people write it). */
export function fromDisplayHex(text: string, what = 'hash'): Uint8Array {
  return reversed(fromHex(text, 32, what));
}

export function readU32LE(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

export function writeU32LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/** The raw bytes of a hash read as a little-endian 256-bit number, as Bitcoin compares it. */
export function hashToBigInt(hash: Uint8Array): bigint {
  return BigInt('0x' + (toDisplayHex(hash) || '0'));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function short(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}
