/**
 * Length-prefixed binary frames: a 4-byte big-endian payload length, then the payload. The
 * decoder refuses a frame larger than its limit before buffering it, so a peer cannot make a
 * node allocate without bound.
 */

export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

/** Encodes plain data as a frame holding its JSON text. */
export function encodeJsonFrame(value: unknown): Buffer {
  return encodeTextFrame(JSON.stringify(value));
}

/** A frame holding `text` as UTF-8, encoded straight into one buffer (no concat copy). */
export function encodeTextFrame(text: string): Buffer {
  const len = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(4 + len);
  frame.writeUInt32BE(len, 0);
  frame.write(text, 4, 'utf8');
  return frame;
}

/** Reassembles frames from a byte stream split arbitrarily into chunks. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next frame can be complete. */
  private need = 4;

  /** `limit`: the largest payload accepted; it may be raised between frames. */
  constructor(public limit = DEFAULT_MAX_FRAME) {}

  /** Adds bytes without decoding them. */
  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame, or undefined. Throws FrameError on an oversized one. */
  next(): Buffer | undefined {
    // Joining chunks waits until a whole frame is here, so a large frame costs one copy.
    if (this.buffered < 4 || this.buffered < this.need) return undefined;
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [all];
    const len = all.readUInt32BE(0);
    if (len > this.limit) {
      throw new FrameError(`frame of ${len} bytes exceeds the limit of ${this.limit}`);
    }
    if (all.length < 4 + len) {
      this.need = 4 + len;
      return undefined;
    }
    const frame = Buffer.from(all.subarray(4, 4 + len));
    const rest = all.subarray(4 + len);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.need = 4;
    return frame;
  }

  /** Adds bytes and returns every frame now complete. Throws FrameError on an oversized one. */
  push(chunk: Buffer): Buffer[] {
    this.feed(chunk);
    const out: Buffer[] = [];
    for (let f = this.next(); f !== undefined; f = this.next()) out.push(f);
    return out;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered;
  }
}

/** Parses a frame's JSON payload; throws FrameError when it is not JSON. */
export function decodeJsonFrame(frame: Buffer): unknown {
  try {
    return JSON.parse(frame.toString('utf8')) as unknown;
  } catch {
    throw new FrameError(`frame of ${frame.length} bytes is not JSON`);
  }
}
