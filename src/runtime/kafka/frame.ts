/**
 * Kafka's framing and headers. A frame is an int32 size and that many bytes; a request body
 * starts with its header (api key, version, correlation id, client id, and tagged fields in
 * flexible versions, "header v2"); a response body with the correlation id (and tagged fields
 * in flexible versions, "header v1").
 */
import { WireError, type WireMutant } from './wire-error.js';
import type { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/** Kafka's socket.request.max.bytes default: a larger size prefix closes the connection. */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

export interface FrameSpan {
  /** The frame's body (size prefix excluded), a view into the buffer given. */
  readonly body: Uint8Array;
  /** Where the next frame starts in that buffer. */
  readonly next: number;
}

/**
 * The frame starting at `buf[at]`, or null while its bytes have not all arrived. A size outside
 * [0, maxBytes] throws WireError 'frame-size' before any of the body is awaited, so a lying
 * prefix cannot make the server buffer gigabytes. `mutant` is for tests only (wire-error.ts).
 */
export function readFrame(
  buf: Uint8Array,
  at = 0,
  maxBytes = DEFAULT_MAX_FRAME_BYTES,
  mutant?: WireMutant,
): FrameSpan | null {
  if (buf.length - at < 4) return null;
  const size = new DataView(buf.buffer, buf.byteOffset + at, 4).getInt32(0);
  if (size < 0 || (size > maxBytes && mutant !== 'no-frame-limit')) {
    throw new WireError('frame-size', `frame size ${size} outside [0, ${maxBytes}]`);
  }
  if (buf.length - at - 4 < size) return null;
  return { body: buf.subarray(at + 4, at + 4 + size), next: at + 4 + size };
}

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** The fixed start every request header version shares: what we can answer to even if unknown. */
export function readHeaderPrefix(r: WireReader): Omit<RequestHeader, 'clientId'> {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/**
 * The rest of a header v1 (client id) or v2 (client id, tagged fields). The client id stays a
 * classic int16-length string in v2 too, so old brokers can log it.
 */
export function readHeaderRest(r: WireReader, headerVersion: 1 | 2): string | null {
  const clientId = r.nullableString();
  if (headerVersion === 2) r.taggedFields();
  return clientId;
}

/**
 * A whole response frame: size, header v0 (correlation id) or v1 (+ tagged fields), then the
 * body `write` produces.
 */
export function responseFrame(
  correlationId: number,
  headerVersion: 0 | 1,
  write: (w: WireWriter) => void,
): Uint8Array {
  const w = new WireWriter();
  w.int32(0).int32(correlationId);
  if (headerVersion === 1) w.taggedFields();
  write(w);
  w.patchInt32(0, w.length - 4);
  return w.toBytes();
}
