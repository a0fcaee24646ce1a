/**
 * The records of the KRaft-style metadata log (what the controller quorum's Raft log holds) and
 * the one read, checked on the way in: a malformed op never reaches the log.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { GroupRecordError, parseGroupRecord } from './group-records.js';

export type MetadataOp =
  /**
   * A broker started (its `incarnation`-th start): fenced until its heartbeats unfence it. A
   * real broker's record carries the `host:port` its Kafka clients reach it at.
   */
  | {
      readonly kind: 'register';
      readonly broker: NodeId;
      readonly incarnation: number;
      readonly address?: string;
    }
  | { readonly kind: 'fence'; readonly broker: NodeId; readonly incarnation: number }
  | { readonly kind: 'unfence'; readonly broker: NodeId; readonly incarnation: number }
  /** A topic with each partition's replicas, in preference order. */
  | {
      readonly kind: 'create-topic';
      readonly topic: string;
      readonly replicas: readonly (readonly NodeId[])[];
    }
  /**
   * DeleteTopics: the topic and its partitions go, every replica drops their data, and a topic
   * created later under the same name gets a new topic id (topic-ids.ts).
   */
  | { readonly kind: 'delete-topic'; readonly topic: string }
  /** A partition leader's AlterPartition: accepted only at the current epochs. */
  | {
      readonly kind: 'alter-partition';
      readonly broker: NodeId;
      readonly partition: string;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly isr: readonly NodeId[];
    }
  /** OffsetCommit: the group's next offset to read, per partition. */
  | {
      readonly kind: 'offset-commit';
      readonly group: string;
      readonly offsets: Readonly<Record<string, number>>;
    }
  /**
   * The Kafka wire broker's consumer-group records (group-records.ts, as `__consumer_offsets`
   * holds them), persisted by the group coordinator on the active controller before it answers.
   */
  | { readonly kind: 'group-records'; readonly records: readonly Json[] }
  /** InitProducerId: the next producer id, from the log so no two brokers hand out the same. */
  | { readonly kind: 'alloc-producer-id' }
  /** OffsetFetch (a read): the group's committed offsets of these partitions. */
  | {
      readonly kind: 'offset-fetch';
      readonly group: string;
      readonly partitions: readonly string[];
    };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isName = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 256;
const isNames = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= 1024 && v.every(isName) && new Set(v).size === v.length;

export function isGroupRecord(r: unknown): boolean {
  try {
    parseGroupRecord(r as Json);
    return true;
  } catch (e) {
    if (e instanceof GroupRecordError) return false;
    throw e;
  }
}

export function isMetadataOp(op: Json): op is Json & MetadataOp {
  if (!isObj(op)) return false;
  switch (op.kind) {
    case 'register':
      return (
        isName(op.broker) &&
        isCount(op.incarnation) &&
        (op.address === undefined || isName(op.address))
      );
    case 'fence':
    case 'unfence':
      return isName(op.broker) && isCount(op.incarnation);
    case 'create-topic':
      return (
        isName(op.topic) &&
        Array.isArray(op.replicas) &&
        op.replicas.length >= 1 &&
        op.replicas.length <= 1024 &&
        op.replicas.every((r) => isNames(r) && r.length >= 1)
      );
    case 'delete-topic':
      return isName(op.topic);
    case 'alter-partition':
      return (
        isName(op.broker) &&
        isName(op.partition) &&
        isCount(op.leaderEpoch) &&
        isCount(op.partitionEpoch) &&
        isNames(op.isr) &&
        op.isr.length >= 1
      );
    case 'offset-commit':
      return (
        isName(op.group) &&
        isObj(op.offsets) &&
        Object.entries(op.offsets).every(([k, v]) => isName(k) && isCount(v))
      );
    case 'offset-fetch':
      return isName(op.group) && isNames(op.partitions);
    case 'group-records':
      return (
        Array.isArray(op.records) &&
        op.records.length >= 1 &&
        op.records.length <= 1024 &&
        op.records.every(isGroupRecord)
      );
    case 'alloc-producer-id':
      return true;
    default:
      return false;
  }
}

/** `t-0`: the name of partition `i` of `topic`. */
export function partitionName(topic: string, i: number): string {
  return `${topic}-${i}`;
}
