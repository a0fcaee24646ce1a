/**
 * A record batch as a partition replica stores it: Kafka's v2 batch header fields that
 * replication reads (base offset, record count, leader epoch) and those it only carries
 * (producer id, epoch and base sequence, max timestamp), around a payload the protocol never
 * looks into — the simulator's record values, or a real broker's v2 batch bytes in base64.
 */
import type { Json } from '../../core/json.js';

export interface StoredBatch {
  readonly baseOffset: number;
  /** Records in the batch (≥ 1): it holds offsets baseOffset … baseOffset + count − 1. */
  readonly count: number;
  /** The leader epoch in which the leader appended it. */
  readonly leaderEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly maxTimestamp: number;
  readonly payload: Json;
}

/** The offset after the batch's last record. */
export function nextOffsetOf(b: StoredBatch): number {
  return b.baseOffset + b.count;
}

/** A batch as a leader appends it: everything but where it lands and in which epoch. */
export type BatchInput = Omit<StoredBatch, 'baseOffset' | 'leaderEpoch'>;
