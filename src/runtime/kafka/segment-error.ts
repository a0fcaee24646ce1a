/**
 * The typed errors of a partition's segmented log (segment-log.ts). The broker maps them to
 * Kafka error codes (`offset-out-of-range` → OFFSET_OUT_OF_RANGE, `corrupt-batch` →
 * CORRUPT_MESSAGE, `batch-too-large` → RECORD_LIST_TOO_LARGE, the storage ones → KAFKA_STORAGE_ERROR)
 * by `code`, never by message text.
 */
import type { BatchProblemCode } from './batch-header.js';

export type SegmentLogErrorCode =
  /** A read below the log start offset or past the log end offset. */
  | 'offset-out-of-range'
  /** An appended batch whose base offset is not the log end offset. */
  | 'bad-append-offset'
  /** An appended batch that is not one whole, intact v2 batch (`batchProblem` says why). */
  | 'corrupt-batch'
  /** An appended batch larger than a segment may be. */
  | 'batch-too-large'
  /** Recovery found a damaged batch below the recovery point: data that was fsync'd is gone. */
  | 'corrupt-below-recovery-point'
  /** The log ends before its recovery point: fsync'd data is missing. */
  | 'shorter-than-recovery-point'
  /** A read found a segment whose batches do not follow each other (damaged after open). */
  | 'corrupt-segment'
  /** A write or fsync failed earlier: the log no longer knows what is on disk. */
  | 'storage-failed'
  | 'closed'
  | 'bad-option';

export class SegmentLogError extends Error {
  constructor(
    readonly code: SegmentLogErrorCode,
    message: string,
    /** For `corrupt-batch` and the recovery codes: what was wrong with the batch. */
    readonly batchProblem?: RecoveryProblemCode,
  ) {
    super(message);
    this.name = 'SegmentLogError';
  }
}

/**
 * Why recovery stopped at a batch: one of readBatchHeader's codes, or `offset` (a batch whose base
 * offset does not follow the one before it: the base offset lies outside the CRC's span).
 */
export type RecoveryProblemCode = BatchProblemCode | 'offset';
