/**
 * What the etcd gRPC port's HTTP/2 filter does with a client's bytes before nghttp2 (Node's
 * HTTP/2) and grpc-js see them, as a pure state machine: bytes in, bytes for the server and
 * frames for the client out, no sockets (`filtered-connection.ts` wires it to one).
 *
 * It exists for two things the layers above cannot do:
 * - `:authority: http://host:port` (etcd's clientv3 sends its endpoint URL as the authority for
 *   `etcdctl endpoint status --cluster`) is refused by nghttp2 with RST_STREAM PROTOCOL_ERROR
 *   before any JavaScript runs. The filter rewrites it to `host:port`. HPACK is stateful, so a
 *   rewritten block is re-encoded as literals without indexing, and so is every block after it
 *   on that connection (the server's decoder table then stays as the last verbatim block left
 *   it, and nothing refers to it again).
 * - A gRPC message whose compressed flag is 1 on a stream without `grpc-encoding` (or with
 *   `identity`) is a protocol violation grpc-go refuses; grpc-js reads the body as uncompressed.
 *   The filter answers such a stream itself, INTERNAL with grpc-go's text, tells the server the
 *   client cancelled it, and drops the message, so nothing of it is applied.
 *
 * Every malformed frame, header block or HPACK string throws H2FilterError: the caller closes
 * the connection (nghttp2 would have closed it too, for all of them).
 */
import { encodeLiterals, HpackDecoder, HpackError, type Header } from './hpack.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const PUSH_PROMISE = 0x5;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const CANCEL = 0x8;
const NO_ERROR = 0x0;

/** grpc-go's answer to a compressed message without an encoding (etcd 3.4.23 sends it). */
export const COMPRESSED_WITHOUT_ENCODING =
  'grpc: compressed flag set with identity or empty encoding';
const GRPC_INTERNAL = 13;

export type H2FilterErrorCode =
  | 'badPreface'
  | 'frameTooLarge'
  | 'badPadding'
  | 'badContinuation'
  | 'headerBlockTooLarge'
  | 'continuationFlood'
  | 'pushPromise'
  | 'hpack';

export class H2FilterError extends Error {
  constructor(
    readonly code: H2FilterErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'H2FilterError';
  }
}

export interface H2FilterLimits {
  /** SETTINGS_MAX_FRAME_SIZE the server advertised: nghttp2's and Node's default is 16,384. */
  readonly maxFrameSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE the server advertised: 4,096 by default. */
  readonly maxTableSize: number;
  /** A decoded header list larger than this closes the connection (counted as RFC 7540 §6.5.2). */
  readonly maxHeaderListSize: number;
  /** An encoded header block (HEADERS plus CONTINUATIONs) larger than this closes it too. */
  readonly maxHeaderBlockBytes: number;
  /** So does a block in more CONTINUATION frames than this (empty ones cost bytes nowhere else). */
  readonly maxContinuations: number;
}

/** Node's HTTP/2 defaults; 64 KiB of header list is Node's default `maxHeaderListSize`. */
export const DEFAULT_H2_FILTER_LIMITS: H2FilterLimits = {
  maxFrameSize: 16_384,
  maxTableSize: 4_096,
  maxHeaderListSize: 65_535,
  maxHeaderBlockBytes: 65_535,
  maxContinuations: 64,
};

export interface H2FilterSink {
  /** Bytes for the server, in order. */
  toServer(bytes: Buffer): void;
  /** Whole frames for the client; the caller writes them between the server's frames. */
  toClient(frames: Buffer): void;
  /** A request the filter changed or answered itself. */
  note(what: 'authorityRewritten' | 'compressedWithoutEncoding', streamId: number): void;
}

/** A request stream's gRPC message framing, as far as the filter has read it. */
interface StreamState {
  /** The stream may carry compressed messages (grpc-encoding other than identity). */
  readonly encoded: boolean;
  /** Bytes still to come of the current message's body. */
  body: number;
  /** Bytes of the current 5-byte message prefix read so far (0 = at a prefix's start). */
  prefix: number;
  /** Length bytes of the prefix read so far. */
  length: number;
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return h;
}

function u32Frame(type: number, streamId: number, value: number): Buffer {
  const f = Buffer.allocUnsafe(13);
  frameHeader(4, type, 0, streamId).copy(f);
  f.writeUInt32BE(value, 9);
  return f;
}

/** `http://host:port` (or https, a trailing slash) → `host:port`; anything else unchanged. */
export function authorityFromUrl(value: string): string | undefined {
  const m = /^https?:\/\/([^/?#@\s]+)\/?$/i.exec(value);
  return m === null ? undefined : m[1];
}

export class H2RequestFilter {
  /** The client's bytes not yet handled, and how many are needed before trying again. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = PREFACE.length;
  private prefaceSeen = false;
  private readonly hpack: HpackDecoder;
  /** Every header block from now on is re-encoded (see the module comment). */
  private reencoding = false;
  /** The header block being collected: its stream, HEADERS flags and fragments. */
  private block:
    { streamId: number; flags: number; fragments: Buffer[]; bytes: number } | undefined;
  private readonly streams = new Map<number, StreamState>();
  /** Streams on which the server has sent HEADERS (its answer must then be trailers only). */
  private readonly responded = new Set<number>();
  /** The server's bytes still to come of the frame it is in the middle of (header or payload). */
  private serverFrameLeft = 0;
  private serverHeader: Buffer = Buffer.alloc(0);
  private readonly forClient: Buffer[] = [];
  /**
   * Everything from the client goes to the server untouched. Without the compressed-flag
   * check, a connection whose first header block needed no rewrite is passed through from
   * then on: grpc-go sends one authority per connection.
   */
  passthrough = false;

  constructor(
    private readonly sink: H2FilterSink,
    private readonly limits: H2FilterLimits = DEFAULT_H2_FILTER_LIMITS,
    private readonly checkCompressedFlag = true,
  ) {
    // Without the compressed-flag check, only the first header block is read (see passthrough).
    this.hpack = new HpackDecoder({
      maxTableSize: limits.maxTableSize,
      maxHeaderListSize: limits.maxHeaderListSize,
    });
  }

  /** The client's next bytes. Throws H2FilterError when the connection must be closed. */
  fromClient(chunk: Buffer): void {
    if (this.passthrough) {
      this.sink.toServer(chunk);
      return;
    }
    if (!this.prefaceSeen) {
      const seen = this.pendingBytes;
      const n = Math.min(chunk.length, PREFACE.length - seen);
      if (!chunk.subarray(0, n).equals(PREFACE.subarray(seen, seen + n))) {
        throw new H2FilterError('badPreface', 'not an HTTP/2 client preface');
      }
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A frame arriving in many small pieces is joined once, when it is complete.
    if (this.pendingBytes < this.need) return;
    let data = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.prefaceSeen) {
      this.prefaceSeen = true;
      this.sink.toServer(data.subarray(0, PREFACE.length));
      data = data.subarray(PREFACE.length);
    }
    let pos = 0;
    /** Start of the bytes passed on verbatim but not yet handed to the sink. */
    let passFrom = 0;
    const flush = (to: number): void => {
      if (to > passFrom) this.sink.toServer(data.subarray(passFrom, to));
    };
    this.need = 9;
    while (data.length - pos >= 9) {
      const length = data.readUIntBE(pos, 3);
      if (length > this.limits.maxFrameSize) {
        throw new H2FilterError('frameTooLarge', `frame of ${length} bytes`);
      }
      if (data.length - pos < 9 + length) {
        this.need = 9 + length;
        break;
      }
      const type = data[pos + 3] as number;
      const flags = data[pos + 4] as number;
      const streamId = data.readUInt32BE(pos + 5) & 0x7fffffff;
      const payload = data.subarray(pos + 9, pos + 9 + length);
      const end = pos + 9 + length;
      if (this.block !== undefined && type !== CONTINUATION) {
        throw new H2FilterError('badContinuation', 'a header block interrupted');
      }
      if (type === HEADERS || type === CONTINUATION) {
        // The block is held until it is complete: it may have to be rewritten whole.
        flush(pos);
        passFrom = end;
        this.headerFrame(type, flags, streamId, payload);
        if (this.passthrough) {
          if (end < data.length) this.sink.toServer(data.subarray(end));
          return;
        }
      } else if (type === DATA && this.streams.has(streamId)) {
        if (!this.dataFrame(flags, streamId, payload)) {
          flush(pos);
          passFrom = end;
        }
      } else if (type === PUSH_PROMISE) {
        throw new H2FilterError('pushPromise', 'PUSH_PROMISE from a client');
      } else if (type === RST_STREAM) {
        // The server sends nothing more on a stream the client reset.
        this.streams.delete(streamId);
        this.responded.delete(streamId);
      }
      pos = end;
    }
    flush(pos);
    if (pos < data.length) {
      // Copied: the rest of this chunk is all that is kept of it.
      const rest = Buffer.from(data.subarray(pos));
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
  }

  private headerFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    let fragment = payload;
    if (type === HEADERS) {
      if (this.block !== undefined)
        throw new H2FilterError('badContinuation', 'HEADERS inside a block');
      const { start: afterPad, end } = unpadded(flags, payload);
      const start = flags & PRIORITY ? afterPad + 5 : afterPad;
      if (start > end) throw new H2FilterError('badPadding', 'priority fields past the frame');
      fragment = payload.subarray(start, end);
      this.block = { streamId, flags, fragments: [], bytes: 0 };
    } else if (this.block === undefined || this.block.streamId !== streamId) {
      throw new H2FilterError('badContinuation', 'CONTINUATION outside its block');
    }
    const block = this.block;
    block.fragments.push(Buffer.from(fragment));
    block.bytes += fragment.length;
    if (block.fragments.length > this.limits.maxContinuations + 1) {
      throw new H2FilterError(
        'continuationFlood',
        `header block in over ${this.limits.maxContinuations} CONTINUATIONs`,
      );
    }
    if (block.bytes > this.limits.maxHeaderBlockBytes) {
      throw new H2FilterError(
        'headerBlockTooLarge',
        `header block over ${this.limits.maxHeaderBlockBytes} bytes`,
      );
    }
    if ((flags & END_HEADERS) === 0) return;
    this.block = undefined;
    const encoded =
      block.fragments.length === 1
        ? (block.fragments[0] as Buffer)
        : Buffer.concat(block.fragments);
    let headers: Header[];
    try {
      headers = this.hpack.decode(encoded);
    } catch (e) {
      if (e instanceof HpackError) throw new H2FilterError('hpack', e.message);
      throw e;
    }
    let rewritten = false;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i] as Header;
      if (h[0] !== ':authority') continue;
      const fixed = authorityFromUrl(h[1]);
      if (fixed !== undefined) {
        headers[i] = [':authority', fixed];
        rewritten = true;
      }
    }
    if (rewritten) {
      this.reencoding = true;
      this.sink.note('authorityRewritten', block.streamId);
    }
    const endStream = (block.flags & END_STREAM) !== 0;
    if (!this.checkCompressedFlag && !this.reencoding) this.passthrough = true;
    this.trackRequest(block.streamId, headers, endStream);
    if (this.reencoding) {
      this.sink.toServer(this.headersFrames(block.streamId, endStream, encodeLiterals(headers)));
    } else {
      // Verbatim: the same frames, so the server's decoder table follows ours exactly.
      this.sink.toServer(this.headersFrames(block.streamId, endStream, encoded));
    }
  }

  /**
   * A block as HEADERS and CONTINUATIONs of at most the frame size (padding and priority, which
   * nghttp2 does not act on for a server, are dropped).
   */
  private headersFrames(streamId: number, endStream: boolean, encoded: Buffer): Buffer {
    const max = this.limits.maxFrameSize;
    const parts: Buffer[] = [];
    for (let at = 0, first = true; first || at < encoded.length; first = false) {
      const piece = encoded.subarray(at, at + max);
      at += piece.length;
      const last = at >= encoded.length;
      const flags = (first && endStream ? END_STREAM : 0) | (last ? END_HEADERS : 0);
      parts.push(frameHeader(piece.length, first ? HEADERS : CONTINUATION, flags, streamId), piece);
    }
    return Buffer.concat(parts);
  }

  private trackRequest(streamId: number, headers: Header[], endStream: boolean): void {
    if (!this.checkCompressedFlag) return;
    const known = this.streams.get(streamId);
    if (known === undefined) {
      // A request's first block (its trailers, if any, come with the stream already known).
      let encoding = 'identity';
      for (const [name, value] of headers) if (name === 'grpc-encoding') encoding = value;
      if (!endStream) {
        this.streams.set(streamId, {
          encoded: encoding !== 'identity',
          body: 0,
          prefix: 0,
          length: 0,
        });
      }
    } else if (endStream) {
      this.streams.delete(streamId);
    }
  }

  /**
   * Follows the stream's message prefixes through one DATA frame. Returns false when the frame
   * must not reach the server: it holds a message the filter has answered for.
   */
  private dataFrame(flags: number, streamId: number, payload: Buffer): boolean {
    const s = this.streams.get(streamId) as StreamState;
    const { start, end } = unpadded(flags, payload);
    const endStream = (flags & END_STREAM) !== 0;
    for (let i = start; i < end;) {
      if (s.body > 0) {
        const k = Math.min(s.body, end - i);
        s.body -= k;
        i += k;
        continue;
      }
      const byte = payload[i] as number;
      if (s.prefix === 0) {
        if (byte === 1 && !s.encoded) {
          // Answered here; the server forgets the stream, and so does the filter: what the
          // client still sends on it reaches the server as frames of a reset stream.
          this.streams.delete(streamId);
          this.answer(streamId, endStream);
          // The client's connection window gets back what the server will never count.
          if (payload.length > 0) this.queueForClient(u32Frame(WINDOW_UPDATE, 0, payload.length));
          return false;
        }
        s.length = 0;
      } else {
        s.length = s.length * 256 + byte;
      }
      i++;
      if (++s.prefix === 5) {
        s.prefix = 0;
        s.body = s.length;
      }
    }
    if (endStream) this.streams.delete(streamId);
    return true;
  }

  private answer(streamId: number, clientEnded: boolean): void {
    this.sink.note('compressedWithoutEncoding', streamId);
    // The server forgets the call as if the client had cancelled it: nothing was applied.
    this.sink.toServer(u32Frame(RST_STREAM, streamId, CANCEL));
    const trailers: Header[] = [
      ['grpc-status', String(GRPC_INTERNAL)],
      ['grpc-message', encodeURIComponent(COMPRESSED_WITHOUT_ENCODING)],
    ];
    const headersSent = this.responded.delete(streamId);
    const block = encodeLiterals(
      headersSent
        ? trailers
        : [[':status', '200'], ['content-type', 'application/grpc'], ...trailers],
    );
    const frames = [frameHeader(block.length, HEADERS, END_STREAM | END_HEADERS, streamId), block];
    // grpc-go resets a stream the client has not finished once it has answered it.
    if (!clientEnded) frames.push(u32Frame(RST_STREAM, streamId, NO_ERROR));
    this.queueForClient(Buffer.concat(frames));
  }

  private queueForClient(frames: Buffer): void {
    this.forClient.push(frames);
    if (this.serverFrameLeft === 0 && this.serverHeader.length === 0) this.flushToClient();
  }

  private flushToClient(): void {
    for (const f of this.forClient.splice(0)) this.sink.toClient(f);
  }

  /**
   * The server's bytes on their way to the client: followed frame by frame, so that the
   * filter's own frames go between two of the server's, and it knows which streams have been
   * answered with headers already.
   */
  fromServer(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.serverFrameLeft > 0) {
        const k = Math.min(this.serverFrameLeft, chunk.length - i);
        this.serverFrameLeft -= k;
        i += k;
        continue;
      }
      // A frame header, perhaps split across chunks. The server's preface is a SETTINGS frame.
      const need = 9 - this.serverHeader.length;
      const piece = chunk.subarray(i, i + need);
      i += piece.length;
      this.serverHeader =
        this.serverHeader.length === 0
          ? Buffer.from(piece)
          : Buffer.concat([this.serverHeader, piece]);
      if (this.serverHeader.length < 9) break;
      const h = this.serverHeader;
      this.serverHeader = Buffer.alloc(0);
      this.serverFrameLeft = h.readUIntBE(0, 3);
      const type = h[3] as number;
      const streamId = h.readUInt32BE(5) & 0x7fffffff;
      if (type === HEADERS) this.responded.add(streamId);
      if (
        type === RST_STREAM ||
        (((h[4] as number) & END_STREAM) !== 0 && (type === HEADERS || type === DATA))
      ) {
        this.responded.delete(streamId);
      }
    }
    if (this.serverFrameLeft === 0 && this.serverHeader.length === 0 && this.forClient.length > 0) {
      this.flushToClient();
    }
  }
}

/** Where a HEADERS or DATA frame's content lies in its payload, past the padding (RFC 9113 §6.1). */
function unpadded(flags: number, payload: Buffer): { start: number; end: number } {
  if ((flags & PADDED) === 0) return { start: 0, end: payload.length };
  const pad = payload[0];
  if (pad === undefined || pad >= payload.length) {
    throw new H2FilterError('badPadding', 'padding past the frame');
  }
  return { start: 1, end: payload.length - pad };
}
