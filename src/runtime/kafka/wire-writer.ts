/**
 * Writes Kafka's primitive types into a growing buffer: the inverse of wire-reader.ts. Values
 * out of their type's range are a programming error here (we build responses from typed
 * objects), so they throw RangeError rather than a WireError.
 */
const utf8 = new TextEncoder();

export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  /**
   * Reserves `n` bytes and returns where they start. It may replace `buf` and `view`, so callers
   * take its result before touching either (`this.buf[this.room(1)] = x` would write into the
   * array it just replaced: JavaScript evaluates `this.buf` first).
   */
  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.pos + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private byte(b: number): void {
    const at = this.room(1);
    this.buf[at] = b;
  }

  private static check(v: number, lo: number, hi: number, what: string): void {
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new RangeError(`${what} out of range: ${v}`);
  }

  int8(v: number): this {
    WireWriter.check(v, -128, 127, 'int8');
    const at = this.room(1);
    this.view.setInt8(at, v);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    WireWriter.check(v, -32768, 32767, 'int16');
    const at = this.room(2);
    this.view.setInt16(at, v);
    return this;
  }
  int32(v: number): this {
    WireWriter.check(v, -2147483648, 2147483647, 'int32');
    const at = this.room(4);
    this.view.setInt32(at, v);
    return this;
  }
  uint32(v: number): this {
    WireWriter.check(v, 0, 0xffffffff, 'uint32');
    const at = this.room(4);
    this.view.setUint32(at, v);
    return this;
  }
  int64(v: bigint): this {
    if (BigInt.asIntN(64, v) !== v) throw new RangeError(`int64 out of range: ${v}`);
    const at = this.room(8);
    this.view.setBigInt64(at, v);
    return this;
  }

  uvarint(v: number): this {
    WireWriter.check(v, 0, 0xffffffff, 'uvarint');
    let u = v;
    while (u >= 0x80) {
      this.byte((u % 0x80) | 0x80);
      u = Math.floor(u / 0x80);
    }
    this.byte(u);
    return this;
  }
  uvarlong(v: bigint): this {
    if (v < 0n || v >= 1n << 64n) throw new RangeError(`uvarlong out of range: ${v}`);
    let u = v;
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
    return this;
  }
  varint(v: number): this {
    WireWriter.check(v, -2147483648, 2147483647, 'varint');
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  varlong(v: bigint): this {
    const s = BigInt.asIntN(64, v);
    if (s !== v) throw new RangeError(`varlong out of range: ${v}`);
    return this.uvarlong(BigInt.asUintN(64, (s << 1n) ^ (s >> 63n)));
  }

  raw(bytes: Uint8Array): this {
    const at = this.room(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = utf8.encode(s);
    return this.int16(b.length).raw(b);
  }
  string(s: string): this {
    return this.nullableString(s);
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = utf8.encode(s);
    return this.uvarint(b.length + 1).raw(b);
  }
  compactString(s: string): this {
    return this.compactNullableString(s);
  }
  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  bytesField(b: Uint8Array): this {
    return this.nullableBytes(b);
  }
  compactNullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.uvarint(0);
    return this.uvarint(b.length + 1).raw(b);
  }

  nullableArray<T>(items: readonly T[] | null, item: (w: WireWriter, x: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const x of items) item(this, x);
    return this;
  }
  array<T>(items: readonly T[], item: (w: WireWriter, x: T) => void): this {
    return this.nullableArray(items, item);
  }
  compactArray<T>(items: readonly T[] | null, item: (w: WireWriter, x: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const x of items) item(this, x);
    return this;
  }
  /** A tagged-field section; tags are written in ascending order, as Kafka requires. */
  taggedFields(fields: ReadonlyMap<number, Uint8Array> = new Map()): this {
    const sorted = [...fields].sort(([a], [b]) => a - b);
    this.uvarint(sorted.length);
    for (const [tag, b] of sorted) this.uvarint(tag).uvarint(b.length).raw(b);
    return this;
  }

  /** Overwrites an int32 already written at `at` (a size prefix known only afterwards). */
  patchInt32(at: number, v: number): void {
    WireWriter.check(v, -2147483648, 2147483647, 'int32');
    if (at < 0 || at + 4 > this.pos) throw new RangeError(`patchInt32 at ${at} of ${this.pos}`);
    this.view.setInt32(at, v);
  }

  /** The bytes written so far (a copy, so the writer can go on). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
