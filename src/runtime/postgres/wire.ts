/**
 * PostgreSQL's frontend/backend protocol v3 framing (PostgreSQL docs, chapter 55, "Message
 * Formats"): the startup packet (length, code, body) and every later message (type byte,
 * length, body), read with bounds checks, and the backend messages this server writes. Reading
 * never trusts a length: a length below its own four bytes or above the cap is a protocol
 * violation, and a body read past its end is one too.
 */

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** Frames and bodies this server refuses (SQLSTATE 08P01 protocol_violation). */
export class ProtocolError extends Error {
  readonly code = '08P01';
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type Frame =
  | { readonly kind: 'startup'; readonly code: number; readonly body: Buffer }
  | { readonly kind: 'message'; readonly type: string; readonly body: Buffer };

/**
 * Splits a byte stream into frames. `expectStartup` is true until the startup packet (or an
 * SSLRequest/GSSENCRequest, which another startup packet follows) has been read.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  expectStartup = true;

  constructor(private readonly maxMessage: number) {}

  /** Bytes buffered and not yet framed (for tests). */
  get buffered(): number {
    return this.buf.length;
  }

  /** The next complete frame, or null if more bytes are needed; throws ProtocolError. */
  next(): Frame | null {
    if (this.expectStartup) {
      if (this.buf.length < 8) return null;
      const len = this.buf.readInt32BE(0);
      // A startup packet is small: its parameters are a few names and values.
      if (len < 8 || len > 10_000) throw new ProtocolError(`invalid startup packet length ${len}`);
      if (this.buf.length < len) return null;
      const code = this.buf.readInt32BE(4);
      const body = this.buf.subarray(8, len);
      this.buf = this.buf.subarray(len);
      return { kind: 'startup', code, body };
    }
    if (this.buf.length < 5) return null;
    const type = String.fromCharCode(this.buf[0] as number);
    const len = this.buf.readInt32BE(1);
    if (len < 4) throw new ProtocolError(`invalid message length ${len}`);
    if (len > this.maxMessage) {
      throw new ProtocolError(`message of ${len} bytes is over the ${this.maxMessage}-byte limit`);
    }
    if (this.buf.length < len + 1) return null;
    const body = this.buf.subarray(5, len + 1);
    this.buf = this.buf.subarray(len + 1);
    return { kind: 'message', type, body };
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }
}

/** Reads one message body; every read past the end is a ProtocolError. */
export class BodyReader {
  private at = 0;
  constructor(private readonly body: Buffer) {}

  private need(n: number): void {
    if (this.at + n > this.body.length) throw new ProtocolError('message shorter than its fields');
  }

  int16(): number {
    this.need(2);
    const v = this.body.readInt16BE(this.at);
    this.at += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.body.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  byte(): string {
    this.need(1);
    return String.fromCharCode(this.body[this.at++] as number);
  }

  cstring(): string {
    const end = this.body.indexOf(0, this.at);
    if (end < 0) throw new ProtocolError('string without its terminating zero byte');
    const s = this.body.toString('utf8', this.at, end);
    this.at = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    if (n < 0) throw new ProtocolError(`negative length ${n}`);
    this.need(n);
    const b = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  /** A count field (int16 or int32) that must be non-negative and fit what is left. */
  count16(minBytesEach: number): number {
    const n = this.int16();
    if (n < 0 || n * minBytesEach > this.body.length - this.at) {
      throw new ProtocolError(`count ${n} does not fit the message`);
    }
    return n;
  }

  get rest(): number {
    return this.body.length - this.at;
  }
}

/** Builds one backend message. */
export class MessageWriter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly type: string) {}

  private add(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.add(b);
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.add(b);
  }

  byte(c: string): this {
    return this.add(Buffer.from([c.charCodeAt(0)]));
  }

  cstring(s: string): this {
    // A NUL inside would end the string early on the client: it cannot be sent as is.
    return this.add(Buffer.from(s.replace(/\0/g, '') + '\0', 'utf8'));
  }

  bytes(b: Buffer): this {
    return this.add(b);
  }

  build(): Buffer {
    const head = Buffer.alloc(5);
    head.write(this.type, 0, 'latin1');
    head.writeInt32BE(this.size + 4, 1);
    return Buffer.concat([head, ...this.parts]);
  }
}

/** The fields of an ErrorResponse or NoticeResponse. */
export interface ErrorFields {
  readonly severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING';
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export function errorMessage(f: ErrorFields, type: 'E' | 'N' = 'E'): Buffer {
  const w = new MessageWriter(type)
    .byte('S')
    .cstring(f.severity)
    .byte('V')
    .cstring(f.severity)
    .byte('C')
    .cstring(f.code)
    .byte('M')
    .cstring(f.message);
  if (f.detail !== undefined) w.byte('D').cstring(f.detail);
  if (f.hint !== undefined) w.byte('H').cstring(f.hint);
  return w.byte('\0').build();
}

export function readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
  return new MessageWriter('Z').byte(status).build();
}

export function commandComplete(tag: string): Buffer {
  return new MessageWriter('C').cstring(tag).build();
}

export function parameterStatus(name: string, value: string): Buffer {
  return new MessageWriter('S').cstring(name).cstring(value).build();
}

export function authentication(code: number, data?: Buffer): Buffer {
  const w = new MessageWriter('R').int32(code);
  if (data !== undefined) w.bytes(data);
  return w.build();
}

export function empty(type: string): Buffer {
  return new MessageWriter(type).build();
}

export function dataRow(cells: readonly (string | null)[]): Buffer {
  const w = new MessageWriter('D').int16(cells.length);
  for (const c of cells) {
    if (c === null) w.int32(-1);
    else {
      const b = Buffer.from(c, 'utf8');
      w.int32(b.length).bytes(b);
    }
  }
  return w.build();
}
