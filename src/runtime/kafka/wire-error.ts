/**
 * Why bytes off a Kafka connection are not a request we can read. Every one of these means
 * "close this connection only": Kafka's broker does the same on a frame it cannot parse, because
 * after a bad length or a bad varint it no longer knows where the next frame starts. `code` is
 * for programs (never match on `message`), `message` for the log.
 */
export type WireProblemCode =
  /** A read ran past the end of the frame (or of the field's declared span). */
  | 'truncated'
  /** A length or count below -1, or -1 where null is not allowed. */
  | 'negative-length'
  /** An array count larger than the bytes left could hold. */
  | 'too-many'
  /** A varint longer than its type allows (5 bytes for 32 bits, 10 for 64). */
  | 'bad-varint'
  /** A frame size prefix above the broker's limit (socket.request.max.bytes) or below 0. */
  | 'frame-size'
  /** A string that is not UTF-8. */
  | 'bad-string'
  /** Bytes left over after the request's last field. */
  | 'trailing-bytes'
  /** A field's value no version of the schema allows (e.g. a magic other than 2). */
  | 'bad-value';

export class WireError extends Error {
  constructor(
    readonly code: WireProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

/**
 * Each removes one rule of the codec, for tests only (never from a flag or an option a user
 * can reach); test/runtime/kafka/wire-mutants.test.ts shows each is caught.
 */
export const WIRE_MUTANTS = [
  /** Array counts are not checked against the bytes left. */
  'no-count-check',
  /** Bytes after a request's last field are ignored. */
  'no-trailing-check',
  /** Frame sizes above the limit are accepted. */
  'no-frame-limit',
  /** A batch's records may carry any offset deltas. */
  'no-offset-delta-check',
  /** Compressed batches are read as if uncompressed. */
  'accept-compressed',
  /** ApiVersions above our range closes the connection like any other API. */
  'no-api-versions-fallback',
] as const;
export type WireMutant = (typeof WIRE_MUTANTS)[number];
