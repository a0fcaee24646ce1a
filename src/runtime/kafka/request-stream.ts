/**
 * One connection's inbound bytes, cut into frames and decoded: what a broker's socket handler
 * feeds TCP chunks to. It keeps the unread tail only (no re-concatenation of everything
 * received), and after the first reason to close it yields nothing more, so a handler can stop
 * at the first 'close' without draining.
 */
import { decodeRequest, type CloseReason, type DecodedRequest } from './dispatch.js';
import { DEFAULT_MAX_FRAME_BYTES, readFrame } from './frame.js';
import { WireError, type WireMutant, type WireProblemCode } from './wire-error.js';

export type StreamEvent =
  | Exclude<DecodedRequest, { kind: 'close' }>
  | {
      readonly kind: 'close';
      /** The dispatcher's refusal, or the WireError code of bytes that did not parse. */
      readonly reason: CloseReason | WireProblemCode;
      readonly detail: string;
    };

export class RequestStream {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private closed = false;

  constructor(
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    /** Tests only (wire-error.ts). */
    private readonly mutant?: WireMutant,
  ) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 8) {
      throw new RangeError(`max frame bytes must be an integer >= 8, got ${maxFrameBytes}`);
    }
  }

  /** The events the bytes received so far complete, in order. */
  push(chunk: Uint8Array): StreamEvent[] {
    if (this.closed) return [];
    this.append(chunk);
    const out: StreamEvent[] = [];
    while (!this.closed) {
      let span;
      try {
        span = readFrame(
          this.buf.subarray(0, this.end),
          this.start,
          this.maxFrameBytes,
          this.mutant,
        );
      } catch (e) {
        out.push(this.close(e));
        break;
      }
      if (span === null) break;
      this.start = span.next;
      try {
        const d = decodeRequest(span.body, this.mutant);
        if (d.kind === 'close') {
          this.closed = true;
          out.push({
            kind: 'close',
            reason: d.reason,
            detail: `api key ${d.header.apiKey} v${d.header.apiVersion}`,
          });
        } else {
          out.push(d);
        }
      } catch (e) {
        out.push(this.close(e));
      }
    }
    return out;
  }

  private close(e: unknown): StreamEvent {
    if (!(e instanceof WireError)) throw e;
    this.closed = true;
    return { kind: 'close', reason: e.code, detail: e.message };
  }

  /**
   * Appends in place when the chunk fits after the unread tail, else copies tail and chunk into
   * a new buffer. Never moves bytes within a buffer: decoded requests hold views into frames
   * already read (a produce's records), and those must not change under them.
   */
  private append(chunk: Uint8Array): void {
    const unread = this.end - this.start;
    if (this.end + chunk.length <= this.buf.length) {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    const next = new Uint8Array(Math.max(2 * (unread + chunk.length), 4096));
    next.set(this.buf.subarray(this.start, this.end));
    next.set(chunk, unread);
    this.buf = next;
    this.start = 0;
    this.end = unread + chunk.length;
  }
}
