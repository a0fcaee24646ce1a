/**
 * Topic ids and the names replicas give partitions. Kafka gives every topic a UUID so that a
 * topic deleted and created again under the same name is a different topic to its replicas:
 * old leader epochs, old fetches and old data can never be taken for the new topic's. Here a
 * topic's id is its place among the topics the metadata log ever created (the log is totally
 * ordered, so the counter is unique for the life of the cluster, as a UUID would be), and the id
 * is part of the name the replicas, their stored data and their messages use for a partition:
 * `t-0` for a topic whose name was never deleted before (so clusters and simulator runs without
 * deletions are as they were), `t-0~7` for partition 0 of topic `t` of id 7 created after an
 * earlier `t` was deleted. `~` cannot appear in a Kafka topic name, so no two topics' partition
 * names can meet.
 */
import { partitionName } from './metadata-records.js';

const ID_SUFFIX = /~(\d+)$/;
const INDEX = /-(\d+)$/;

/** The replicas' name of partition `i` of the topic `topic` of id `id`. */
export function replicaPartitionName(
  topic: string,
  i: number,
  id: number,
  nameUsedBefore: boolean,
): string {
  const plain = partitionName(topic, i);
  return nameUsedBefore ? `${plain}~${id}` : plain;
}

/** `t-0~7` → `t-0`: the partition as clients name it, whatever topic id it belongs to. */
export function clientPartitionName(name: string): string {
  return name.replace(ID_SUFFIX, '');
}

/** The partition's index in its topic (`t-0~7` → 0), or undefined for a name without one. */
export function partitionIndexOf(name: string): number | undefined {
  const m = INDEX.exec(clientPartitionName(name));
  if (m === null) return undefined;
  const i = Number(m[1]);
  return Number.isSafeInteger(i) ? i : undefined;
}

/**
 * Whether `a` and `b` name the same partition of two different topics of one name (one deleted,
 * the other created after it): what a record read across a deletion looks like.
 */
export function otherTopicIdOfSamePartition(a: string, b: string): boolean {
  return a !== b && clientPartitionName(a) === clientPartitionName(b);
}
