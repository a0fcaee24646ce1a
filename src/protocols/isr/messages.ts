/**
 * What partition replicas say to each other: a follower's Fetch and the leader's answer. A
 * Fetch carries the follower's position and the epoch of its last record, so the leader can
 * tell where their logs part and answer with the diverging epoch instead of records (the
 * truncation-by-Fetch of KIP-595, which Kafka's replicas use since 2.7; earlier Kafka asked
 * OffsetsForLeaderEpoch in a separate round trip, KIP-101/KIP-279, with the same answer).
 */
import type { StoredBatch } from './batch.js';

export type IsrError = 'NOT_LEADER_OR_FOLLOWER' | 'FENCED_LEADER_EPOCH' | 'UNKNOWN_LEADER_EPOCH';

export const ISR_ERRORS: readonly IsrError[] = [
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
];

export interface DivergingEpoch {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface FetchMsg {
  readonly type: 'isr-fetch';
  readonly partition: string;
  /** The leader epoch the follower follows. */
  readonly leaderEpoch: number;
  /** The follower's log end offset, durable on its disk. */
  readonly fetchOffset: number;
  /** Epoch of the follower's last record (-1: empty log). */
  readonly lastFetchedEpoch: number;
  /** Names this fetch, so an answer to an older one is known as such. */
  readonly fetchId: number;
  /**
   * How long the leader may hold this fetch while it has nothing new for it (Kafka's
   * replica.fetch.wait.max.ms): it is answered as soon as the leader appends. Absent: answered
   * at once, and the follower polls again after its idle pause.
   */
  readonly maxWaitMs?: number;
}

export interface FetchRespMsg {
  readonly type: 'isr-fetch-resp';
  readonly partition: string;
  readonly leaderEpoch: number;
  readonly fetchId: number;
  readonly error: IsrError | null;
  readonly highWatermark: number;
  readonly batches: readonly StoredBatch[];
  readonly diverging: DivergingEpoch | null;
}

export type IsrMsg = FetchMsg | FetchRespMsg;

export function isIsrMsg(msg: { readonly type: string }): msg is IsrMsg {
  return msg.type === 'isr-fetch' || msg.type === 'isr-fetch-resp';
}
