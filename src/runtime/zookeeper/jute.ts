/**
 * Jute, ZooKeeper's record serialization (org.apache.jute's BinaryInputArchive): big-endian
 * int (4 bytes) and long (8), a boolean as one byte, and buffers, strings and vectors as a
 * 4-byte length (-1 for null) followed by their contents. Every read is bounds-checked against
 * the packet it came in, so a length a peer sends is believed only once the bytes are there:
 * a hostile length fails with a typed JuteError before anything is allocated for it.
 */

export type JuteErrorCode =
  /** The record needs more bytes than the packet holds. */
  | 'truncated'
  /** A length or count below -1 (jute's null). */
  | 'negative-length'
  /** A buffer or string whose declared length runs past the end of the packet. */
  | 'length-past-frame'
  /** A vector whose count could not fit in the packet's remaining bytes, or over the cap. */
  | 'vector-too-long'
  /** A string that is not valid UTF-8. */
  | 'bad-utf8'
  /** A frame length below zero. */
  | 'negative-frame'
  /** A frame length over the server's maximum packet size. */
  | 'frame-too-large'
  /** A record type or operation this codec does not know where one was required. */
  | 'unknown-type';

export class JuteError extends Error {
  constructor(
    readonly code: JuteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JuteError';
  }
}

/** A vector's count is also capped outright, whatever the packet's size. */
export const MAX_VECTOR_COUNT = 1 << 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class JuteReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new JuteError(
        'truncated',
        `${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
    }
  }

  int(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  long(): bigint {
    this.need(8, 'long');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Java's readBoolean: any non-zero byte is true. */
  bool(): boolean {
    this.need(1, 'boolean');
    const v = this.buf[this.pos] !== 0;
    this.pos += 1;
    return v;
  }

  /** A length-prefixed byte run; jute's null (-1) reads as empty. The bytes are copied. */
  buffer(): Buffer {
    const len = this.length('buffer');
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /** A length-prefixed UTF-8 string; jute's null (-1) reads as ''. */
  ustring(): string {
    const len = this.length('ustring');
    let s: string;
    try {
      s = utf8.decode(this.buf.subarray(this.pos, this.pos + len));
    } catch {
      throw new JuteError('bad-utf8', `ustring at offset ${this.pos} is not UTF-8`);
    }
    this.pos += len;
    return s;
  }

  /**
   * A vector of `minSize`-byte-or-larger elements; null (-1) reads as empty. The count is
   * checked against the bytes left before any element is read, so a count of 2^31-1 in a
   * 20-byte packet fails at once instead of looping.
   */
  vector<T>(minSize: number, element: (r: JuteReader) => T): T[] {
    const count = this.int();
    if (count === -1) return [];
    if (count < -1) throw new JuteError('negative-length', `vector count ${count}`);
    if (count > MAX_VECTOR_COUNT || count * minSize > this.remaining) {
      throw new JuteError(
        'vector-too-long',
        `vector of ${count} elements cannot fit in the ${this.remaining} bytes left`,
      );
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(element(this));
    return out;
  }

  ustrings(): string[] {
    return this.vector(4, (r) => r.ustring());
  }

  private length(what: string): number {
    const len = this.int();
    if (len === -1) return 0;
    if (len < -1) throw new JuteError('negative-length', `${what} length ${len}`);
    if (len > this.remaining) {
      throw new JuteError(
        'length-past-frame',
        `${what} of ${len} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
    }
    return len;
  }
}

/** Appends jute values to a growing buffer. */
export class JuteWriter {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int(v: number): this {
    this.room(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  long(v: bigint): this {
    this.room(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    this.room(1);
    this.buf[this.pos] = v ? 1 : 0;
    this.pos += 1;
    return this;
  }

  buffer(v: Uint8Array): this {
    this.int(v.length);
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  ustring(v: string): this {
    const len = Buffer.byteLength(v, 'utf8');
    this.int(len);
    this.room(len);
    this.buf.write(v, this.pos, 'utf8');
    this.pos += len;
    return this;
  }

  vector<T>(items: readonly T[], element: (w: JuteWriter, item: T) => void): this {
    this.int(items.length);
    for (const item of items) element(this, item);
    return this;
  }

  ustrings(items: readonly string[]): this {
    return this.vector(items, (w, s) => w.ustring(s));
  }

  /** The bytes written so far. */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** The bytes written so far behind their 4-byte length: one packet for the wire. */
  frame(): Buffer {
    const out = Buffer.allocUnsafe(4 + this.pos);
    out.writeInt32BE(this.pos, 0);
    this.buf.copy(out, 4, 0, this.pos);
    return out;
  }
}
