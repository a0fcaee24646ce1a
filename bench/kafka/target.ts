/**
 * What bench:kafka needs of a running system, whichever it is (NATS JetStream through the
 * `nats` client, a Kafka-protocol cluster through kafkajs): make a topic of 6 partitions
 * replicated 3 times, produce to it, read it back, and kill -9 the leader of one of its
 * partitions.
 */
import type { Send } from './closed-loop.js';

export const PARTITIONS = 6;
export const REPLICAS = 3;
/**
 * A reader records its progress every this many records: a kafkajs group commits its offsets
 * (autoCommitThreshold), a JetStream consumer acknowledges (AckPolicy.All covers all before).
 */
export const COMMIT_EVERY = 500;

export interface Producer {
  readonly send: Send;
  close(): Promise<void>;
}

/** Called for every record read; true once the reader has all it wants (reading then stops). */
export type OnRecord = (payload: Uint8Array | null) => boolean;

export interface KilledLeader {
  /** The server or broker killed (its name in the system: `n2`, a broker id …). */
  readonly node: string;
  /** The partitions it led, whose writes wait for a new leader. */
  readonly partitions: readonly number[];
  /** Anything worth printing beside the gap (which server the client was connected to …). */
  readonly note: string;
  /** When the signal went, on the caller's clock (after the leader was looked up). */
  readonly atMs: number;
}

export interface RunningTarget {
  /** One line: what runs (servers, version) and what it does about fsync. */
  readonly description: string;
  /** The servers' process ids still running (their CPU time is read from /proc). */
  pids(): readonly number[];
  /** A topic (JetStream: a stream of `PARTITIONS` subjects) with `REPLICAS` replicas. */
  createTopic(topic: string): Promise<void>;
  producer(topic: string): Promise<Producer>;
  /** Reads the topic from its start until `onRecord` says done or `deadlineMs` passes. */
  consume(topic: string, onRecord: OnRecord, timeoutMs: number): Promise<void>;
  /** kill -9 of the leader of one of the topic's partitions (JetStream: the stream's leader). */
  killLeader(topic: string, now: () => number): Promise<KilledLeader>;
  stop(): Promise<void>;
}
