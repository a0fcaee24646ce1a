/**
 * One partition on one broker: its segmented log, its idempotent producers' state and its high
 * watermark. A single node has no replicas to wait for, so an acknowledgement must mean "on disk":
 * the high watermark is the log's synced offset, a produce with acks 1 or -1 is answered once an
 * fsync covering its batches finished (concurrent produces share one fsync round, segment-log.ts),
 * and a consumer never reads what a crash could take back. acks=0 batches are flushed by the same
 * rounds without anyone waiting.
 */
import { BatchError, readBatchHeader, stampBatch, type BatchHeader } from '../batch-header.js';
import { KafkaError } from '../kafka-errors.js';
import {
  COMPRESSION_MASK,
  CONTROL_FLAG,
  TRANSACTIONAL_FLAG,
  readRecordBatch,
  produceErrorFor,
} from '../record-batch.js';
import { SegmentLog, type SegmentLogOptions } from '../segment-log.js';
import { SegmentLogError } from '../segment-error.js';
import {
  NO_PRODUCER_ID,
  PartitionProducerState,
  ProducerBatchError,
  type BatchVerdict,
  type LoggedBatch,
  type ProducerMutant,
} from '../../../systems/kafka/producer-state.js';
import { TimeIndex } from '../time-index.js';
import type { TopicConfig } from './topic-config.js';

/** Bytes read at a time when scanning a log (producer state rebuild, offsets by time). */
const SCAN_BYTES = 1 << 20;
const NO_PRODUCER = BigInt(NO_PRODUCER_ID);

/** Each removes one rule of the partition; test/runtime/kafka/broker/local-backend.test.ts catches each. */
export const PARTITION_MUTANTS = [
  /** A produce is answered once appended, before the fsync covering it. */
  'ack-before-fsync',
  /** Idempotent producers' state starts empty on open instead of being rebuilt from the log. */
  'no-producer-rebuild',
] as const;
export type PartitionMutant = (typeof PARTITION_MUTANTS)[number];

export interface PartitionOptions {
  readonly log?: SegmentLogOptions['log'];
  readonly onFatal?: (error: Error) => void;
  /** Tests only: a producer-state rule removed. */
  readonly producerMutant?: ProducerMutant;
  readonly mutant?: PartitionMutant;
}

export type AppendOutcome =
  | { readonly kind: 'ok'; readonly baseOffset: number; readonly durable: Promise<number> }
  | { readonly kind: 'error'; readonly errorCode: number };

/** The Kafka error code for a failure of the log, by its typed code. */
export function logErrorCode(e: unknown): number {
  if (!(e instanceof SegmentLogError)) throw e;
  switch (e.code) {
    case 'offset-out-of-range':
      return KafkaError.OFFSET_OUT_OF_RANGE;
    case 'corrupt-batch':
      return KafkaError.CORRUPT_MESSAGE;
    case 'batch-too-large':
      return KafkaError.RECORD_LIST_TOO_LARGE;
    case 'closed':
      return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    default:
      return KafkaError.KAFKA_STORAGE_ERROR;
  }
}

function loggedBatch(h: BatchHeader): LoggedBatch {
  return {
    producerId: Number(h.producerId),
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    recordCount: h.recordCount,
    baseOffset: Number(h.baseOffset),
  };
}

export class BrokerPartition {
  private readonly producers: PartitionProducerState;
  /** Batches by running largest timestamp, for ListOffsets by time (time-index.ts). */
  private readonly times = new TimeIndex();

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: SegmentLog,
    producerMutant: ProducerMutant | undefined,
    private readonly mutant: PartitionMutant | undefined,
  ) {
    // One pass over the headers builds both the time index and the producers' batches.
    const logged: LoggedBatch[] = [];
    for (const h of this.scan(this.log.logStartOffset)) {
      this.times.append(Number(h.baseOffset), Number(h.maxTimestamp));
      if (h.producerId !== NO_PRODUCER) logged.push(loggedBatch(h));
    }
    this.producers = PartitionProducerState.rebuildFrom(
      mutant === 'no-producer-rebuild' ? [] : logged,
      producerMutant,
    );
  }

  /** Opens (or creates) `dir` and rebuilds the producer state from the batches in it. */
  static open(
    dir: string,
    topic: string,
    partition: number,
    config: TopicConfig,
    o: PartitionOptions,
  ): BrokerPartition {
    const log = SegmentLog.open(dir, {
      segmentBytes: config.segmentBytes,
      segmentMs: config.segmentMs,
      retentionMs: config.retentionMs,
      retentionBytes: config.retentionBytes,
      ...(o.log !== undefined ? { log: o.log } : {}),
      ...(o.onFatal !== undefined ? { onFatal: o.onFatal } : {}),
    });
    try {
      return new BrokerPartition(topic, partition, log, o.producerMutant, o.mutant);
    } catch (e) {
      void log.close().catch(() => undefined);
      throw e;
    }
  }

  get highWatermark(): number {
    return this.log.syncedOffset;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  private *scan(from: number): Generator<BatchHeader & { bytes: Uint8Array; at: number }> {
    let offset = from;
    while (offset < this.log.logEndOffset) {
      const { bytes, nextOffset } = this.log.read(offset, SCAN_BYTES);
      if (nextOffset === offset) break;
      for (let at = 0; at < bytes.length;) {
        const h = readBatchHeader(bytes, at, false);
        yield { ...h, bytes, at };
        at += h.sizeInBytes;
      }
      offset = nextOffset;
    }
  }

  /**
   * Checks and appends the batches of one produce (all of them, or none when one is malformed).
   * A retried idempotent batch is not written again: its original offset is answered once durable.
   */
  append(records: Uint8Array): AppendOutcome {
    const headers: BatchHeader[] = [];
    try {
      for (let at = 0; at < records.length;) {
        const h = readBatchHeader(records, at);
        if ((h.attributes & (TRANSACTIONAL_FLAG | CONTROL_FLAG)) !== 0) {
          return { kind: 'error', errorCode: KafkaError.INVALID_RECORD };
        }
        // Uncompressed records are read through, as Kafka's LogValidator does; compressed ones
        // are stored as sent (their CRC checked), for the consumer to decompress.
        if ((h.attributes & COMPRESSION_MASK) === 0) readRecordBatch(records, at);
        headers.push(h);
        at += h.sizeInBytes;
      }
    } catch (e) {
      if (e instanceof BatchError) return { kind: 'error', errorCode: KafkaError.CORRUPT_MESSAGE };
      return { kind: 'error', errorCode: produceErrorFor(e) };
    }
    if (headers.length === 0) return { kind: 'error', errorCode: KafkaError.CORRUPT_MESSAGE };
    let baseOffset = -1;
    let at = 0;
    for (const h of headers) {
      const batch = records.slice(at, at + h.sizeInBytes);
      at += h.sizeInBytes;
      const idempotent = h.producerId !== NO_PRODUCER;
      let verdict: BatchVerdict = { kind: 'append' };
      try {
        if (idempotent) verdict = this.producers.check(loggedBatch(h));
      } catch (e) {
        if (!(e instanceof ProducerBatchError)) throw e;
        return { kind: 'error', errorCode: KafkaError.INVALID_RECORD };
      }
      if (verdict.kind === 'refuse') return { kind: 'error', errorCode: verdict.errorCode };
      if (verdict.kind === 'duplicate') {
        if (baseOffset < 0) baseOffset = verdict.baseOffset;
        continue;
      }
      const offset = this.log.logEndOffset;
      stampBatch(batch, 0, BigInt(offset), 0);
      try {
        this.log.append(batch);
      } catch (e) {
        return { kind: 'error', errorCode: logErrorCode(e) };
      }
      this.times.append(offset, Number(h.maxTimestamp));
      if (idempotent) this.producers.append({ ...loggedBatch(h), baseOffset: offset });
      if (baseOffset < 0) baseOffset = offset;
    }
    const durable = this.log.flush();
    if (this.mutant === 'ack-before-fsync') {
      durable.catch(() => undefined);
      return { kind: 'ok', baseOffset, durable: Promise.resolve(this.log.logEndOffset) };
    }
    return { kind: 'ok', baseOffset, durable };
  }

  /** Whole batches from `offset` below the high watermark, at most `maxBytes` (but one at least). */
  read(offset: number, maxBytes: number): Uint8Array {
    return this.log.read(offset, maxBytes, this.highWatermark).bytes;
  }

  /** The offset of the first record whose timestamp is at least `timestamp`, with its timestamp. */
  offsetForTime(timestamp: number): { offset: number; timestamp: number } | undefined {
    const hw = this.highWatermark;
    // The first batch that may hold it; the scan checks each batch from there.
    const from = this.times.lookup(timestamp);
    if (from === undefined) return undefined;
    for (const h of this.scan(Math.max(from, this.log.logStartOffset))) {
      const base = Number(h.baseOffset);
      if (base >= hw) break;
      if (Number(h.maxTimestamp) < timestamp) continue;
      if ((h.attributes & COMPRESSION_MASK) !== 0)
        return { offset: base, timestamp: Number(h.maxTimestamp) };
      const batch = readRecordBatch(h.bytes, h.at);
      for (let i = 0; i < batch.records.length; i++) {
        const rec = batch.records[i];
        if (rec === undefined) break;
        const ts = Number(h.baseTimestamp + rec.timestampDelta);
        if (ts >= timestamp) return { offset: base + i, timestamp: ts };
      }
    }
    return undefined;
  }

  /** One retention pass (retention.ts's rules), never past the high watermark. */
  retain(nowMs: number): number {
    const removed = this.log.deleteOldSegments(nowMs, this.highWatermark).count;
    this.times.dropBefore(this.log.logStartOffset);
    return removed;
  }
}
