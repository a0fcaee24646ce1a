/**
 * The fixed 61-byte header of Kafka's record batch (magic 2), read and patched in place. A broker
 * stores a batch as its producer sent it: it only sets the base offset and the partition leader
 * epoch, which lie before the CRC's span, so the producer's CRC-32C still holds on disk and on
 * every fetch. Records inside the batch (varint-framed) are record-batch.ts's concern.
 *
 * Layout (all big-endian): baseOffset int64 @0, batchLength int32 @8 (bytes after this field),
 * partitionLeaderEpoch int32 @12, magic int8 @16, crc uint32 @17 (CRC-32C of [21, end)),
 * attributes int16 @21, lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64
 * @35, producerId int64 @43, producerEpoch int16 @51, baseSequence int32 @53, recordCount int32 @57.
 */
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's span begins: baseOffset and batchLength themselves. */
export const LOG_OVERHEAD = 12;
const CRC_START = 21;

export interface BatchHeader {
  readonly baseOffset: bigint;
  /** The whole batch's size in bytes, header included (batchLength + 12). */
  readonly sizeInBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

export type BatchProblemCode = 'short' | 'magic' | 'length' | 'crc' | 'count';

/** Why bytes are not a whole, intact v2 batch; `code` is for programs, `message` for people. */
export class BatchError extends Error {
  constructor(
    readonly code: BatchProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'BatchError';
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The header of the batch starting at `bytes[at]`, checked: magic 2, a length that fits in
 * `bytes`, a record count that matches lastOffsetDelta, and (unless `verifyCrc` is false) the
 * CRC-32C over the batch. Throws BatchError otherwise.
 */
export function readBatchHeader(bytes: Uint8Array, at = 0, verifyCrc = true): BatchHeader {
  if (bytes.length - at < BATCH_HEADER_BYTES) {
    throw new BatchError(
      'short',
      `batch header needs ${BATCH_HEADER_BYTES} bytes, ${bytes.length - at} left`,
    );
  }
  const v = view(bytes);
  const magic = v.getInt8(at + 16);
  if (magic !== 2) throw new BatchError('magic', `batch magic ${magic}, only 2 is supported`);
  const batchLength = v.getInt32(at + 8);
  const sizeInBytes = batchLength + LOG_OVERHEAD;
  if (sizeInBytes < BATCH_HEADER_BYTES || at + sizeInBytes > bytes.length) {
    throw new BatchError(
      'length',
      `batch length ${batchLength} does not fit the ${bytes.length - at} bytes given`,
    );
  }
  const crc = v.getUint32(at + 17);
  if (verifyCrc) {
    const actual = crc32c(bytes, at + CRC_START, at + sizeInBytes);
    if (actual !== crc) {
      throw new BatchError('crc', `batch CRC-32C is ${actual >>> 0}, header says ${crc}`);
    }
  }
  const lastOffsetDelta = v.getInt32(at + 23);
  const recordCount = v.getInt32(at + 57);
  if (recordCount < 0 || lastOffsetDelta < 0 || lastOffsetDelta + 1 < recordCount) {
    throw new BatchError(
      'count',
      `batch holds ${recordCount} records but its last offset delta is ${lastOffsetDelta}`,
    );
  }
  return {
    baseOffset: v.getBigInt64(at),
    sizeInBytes,
    partitionLeaderEpoch: v.getInt32(at + 12),
    magic,
    crc,
    attributes: v.getInt16(at + 21),
    lastOffsetDelta,
    baseTimestamp: v.getBigInt64(at + 27),
    maxTimestamp: v.getBigInt64(at + 35),
    producerId: v.getBigInt64(at + 43),
    producerEpoch: v.getInt16(at + 51),
    baseSequence: v.getInt32(at + 53),
    recordCount,
  };
}

/** Sets the fields the leader assigns: outside the CRC's span, so the batch stays intact. */
export function stampBatch(
  bytes: Uint8Array,
  at: number,
  baseOffset: bigint,
  partitionLeaderEpoch: number,
): void {
  const v = view(bytes);
  v.setBigInt64(at, baseOffset);
  v.setInt32(at + 12, partitionLeaderEpoch);
}
