/**
 * The consumer protocol's payloads, opaque to JoinGroup and SyncGroup but read by the
 * coordinator (to describe groups, and to know which partitions a member owns): a member's
 * subscription (JoinGroup's protocol metadata) and its assignment (SyncGroup's bytes, computed
 * by the group's leader client, as in Kafka). Version 0 is what kafkajs writes; v1–v3 add owned
 * partitions, generation and rack (KIP-429, KIP-792, KIP-881). As Kafka's consumer does, we read
 * the fields of the versions we know and ignore what a newer version appends.
 */
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface Subscription {
  readonly version: number;
  readonly topics: readonly string[];
  readonly userData: Uint8Array | null;
  /** v1+. */
  readonly ownedPartitions: readonly TopicPartitions[];
  /** v2+; -1 before. */
  readonly generationId: number;
  /** v3+. */
  readonly rackId: string | null;
}

export interface Assignment {
  readonly version: number;
  readonly partitions: readonly TopicPartitions[];
  readonly userData: Uint8Array | null;
}

const readTopicPartitions = (r: WireReader): TopicPartitions => ({
  topic: r.string(),
  partitions: r.array((r) => r.int32()),
});

const writeTopicPartitions = (w: WireWriter, tp: TopicPartitions) => {
  w.string(tp.topic).array(tp.partitions, (w, p) => void w.int32(p));
};

/** Throws WireError when the bytes are not a subscription. */
export function decodeSubscription(bytes: Uint8Array): Subscription {
  const r = new WireReader(bytes);
  const version = r.int16();
  const topics = r.array((r) => r.string());
  const userData = r.nullableBytes();
  const ownedPartitions = version >= 1 ? r.array(readTopicPartitions) : [];
  const generationId = version >= 2 ? r.int32() : -1;
  const rackId = version >= 3 ? r.nullableString() : null;
  if (version <= 3) r.expectEnd(`subscription v${version}`);
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeSubscription(s: Subscription): Uint8Array {
  if (s.version < 0 || s.version > 3) throw new RangeError(`subscription version ${s.version}`);
  const w = new WireWriter();
  w.int16(s.version)
    .array(s.topics, (w, t) => void w.string(t))
    .nullableBytes(s.userData);
  if (s.version >= 1) w.array(s.ownedPartitions, writeTopicPartitions);
  if (s.version >= 2) w.int32(s.generationId);
  if (s.version >= 3) w.nullableString(s.rackId);
  return w.toBytes();
}

/**
 * Throws WireError when the bytes are not an assignment; empty bytes (what the coordinator
 * hands a member the leader assigned nothing, or before any assignment) read as null.
 */
export function decodeAssignment(bytes: Uint8Array): Assignment | null {
  if (bytes.length === 0) return null;
  const r = new WireReader(bytes);
  const version = r.int16();
  const partitions = r.array(readTopicPartitions);
  const userData = r.nullableBytes();
  if (version <= 3) r.expectEnd(`assignment v${version}`);
  return { version, partitions, userData };
}

export function encodeAssignment(a: Assignment): Uint8Array {
  if (a.version < 0 || a.version > 3) throw new RangeError(`assignment version ${a.version}`);
  const w = new WireWriter();
  w.int16(a.version).array(a.partitions, writeTopicPartitions).nullableBytes(a.userData);
  return w.toBytes();
}
