/**
 * Reads Kafka's primitive types from one frame, never past it: every read is bounds-checked and a
 * short or lying frame throws WireError (see wire-error.ts), so a malformed request costs its own
 * connection and nothing else. Big-endian fixed-width integers, int64 as bigint; the "compact"
 * and tagged-field forms of flexible versions (KIP-482) are here too.
 */
import { WireError, type WireMutant } from './wire-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WireReader {
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
    /** Tests only: a codec with one rule removed (wire-error.ts). */
    readonly mutant?: WireMutant,
  ) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new RangeError(`WireReader: span [${start}, ${end}) outside ${bytes.length} bytes`);
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number, what: string): number {
    if (n > this.end - this.pos) {
      throw new WireError(
        'truncated',
        `${what} needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.view.getInt8(this.take(1, 'int8'));
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    return this.view.getInt16(this.take(2, 'int16'));
  }
  int32(): number {
    return this.view.getInt32(this.take(4, 'int32'));
  }
  uint32(): number {
    return this.view.getUint32(this.take(4, 'uint32'));
  }
  int64(): bigint {
    return this.view.getBigInt64(this.take(8, 'int64'));
  }

  /** Unsigned LEB128 of at most 32 bits (5 bytes). */
  uvarint(): number {
    let result = 0;
    let scale = 1; // 128^i, kept exact: results go up to 2^32 - 1, past int32's bit operators
    for (let i = 0; i < 5; i++) {
      const b = this.view.getUint8(this.take(1, 'varint'));
      if (i === 4 && b > 0x0f) throw new WireError('bad-varint', 'varint exceeds 32 bits');
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
    throw new WireError('bad-varint', 'varint longer than 5 bytes');
  }

  /** Unsigned LEB128 of at most 64 bits (10 bytes). */
  uvarlong(): bigint {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.view.getUint8(this.take(1, 'varlong'));
      if (i === 9 && b > 0x01) throw new WireError('bad-varint', 'varlong exceeds 64 bits');
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return result;
    }
    throw new WireError('bad-varint', 'varlong longer than 10 bytes');
  }

  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag-encoded signed 64-bit varint. */
  varlong(): bigint {
    const u = this.uvarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  raw(n: number): Uint8Array {
    if (n < 0) throw new WireError('negative-length', `length ${n}`);
    const at = this.take(n, 'bytes');
    return this.bytes.subarray(at, at + n);
  }

  private text(n: number): string {
    try {
      return utf8.decode(this.raw(n));
    } catch (e) {
      if (e instanceof WireError) throw e;
      throw new WireError('bad-string', `string at offset ${this.pos - n} is not UTF-8`);
    }
  }

  private nullableLength(n: number, what: string): number | null {
    if (n === -1) return null;
    if (n < -1) throw new WireError('negative-length', `${what} length ${n}`);
    return n;
  }

  private required<T>(v: T | null, what: string): T {
    if (v === null) throw new WireError('negative-length', `${what} is null where it may not be`);
    return v;
  }

  nullableString(): string | null {
    const n = this.nullableLength(this.int16(), 'string');
    return n === null ? null : this.text(n);
  }
  string(): string {
    return this.required(this.nullableString(), 'string');
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    return n === -1 ? null : this.text(n);
  }
  compactString(): string {
    return this.required(this.compactNullableString(), 'compact string');
  }

  nullableBytes(): Uint8Array | null {
    const n = this.nullableLength(this.int32(), 'bytes');
    return n === null ? null : this.raw(n);
  }
  bytesField(): Uint8Array {
    return this.required(this.nullableBytes(), 'bytes');
  }
  compactNullableBytes(): Uint8Array | null {
    const n = this.uvarint() - 1;
    return n === -1 ? null : this.raw(n);
  }

  /** An element count, refused when the bytes left could not hold that many elements. */
  private count(n: number, what: string): number | null {
    const c = this.nullableLength(n, what);
    if (c !== null && c > this.remaining && this.mutant !== 'no-count-check') {
      throw new WireError('too-many', `${what} of ${c} elements in ${this.remaining} bytes`);
    }
    return c;
  }

  nullableArray<T>(item: (r: WireReader) => T): T[] | null {
    const n = this.count(this.int32(), 'array');
    if (n === null) return null;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  array<T>(item: (r: WireReader) => T): T[] {
    return this.required(this.nullableArray(item), 'array');
  }
  compactNullableArray<T>(item: (r: WireReader) => T): T[] | null {
    const n = this.count(this.uvarint() - 1, 'compact array');
    if (n === null) return null;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  compactArray<T>(item: (r: WireReader) => T): T[] {
    return this.required(this.compactNullableArray(item), 'compact array');
  }

  /**
   * A tagged-field section (flexible versions): count, then tag / size / bytes. We define no
   * tags of our own, so each field is kept raw by tag; tags must ascend, as Kafka requires.
   */
  taggedFields(): Map<number, Uint8Array> {
    const n = this.count(this.uvarint(), 'tagged fields');
    const out = new Map<number, Uint8Array>();
    let last = -1;
    for (let i = 0; i < (n ?? 0); i++) {
      const tag = this.uvarint();
      if (tag <= last) throw new WireError('bad-value', `tagged field ${tag} after ${last}`);
      last = tag;
      out.set(tag, this.raw(this.uvarint()));
    }
    return out;
  }

  /** A request must use its whole frame: extra bytes mean we read it with the wrong schema. */
  expectEnd(what: string): void {
    if (this.pos !== this.end && this.mutant !== 'no-trailing-check') {
      throw new WireError('trailing-bytes', `${this.end - this.pos} bytes left after ${what}`);
    }
  }
}
