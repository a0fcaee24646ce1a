/**
 * What a simulated consumer gets when it polls a partition whose topic was deleted: as a Kafka
 * consumer told its topic id is unknown refreshes its metadata and starts the new topic from its
 * reset policy, it is told the name of the same partition of the topic now under that name (and
 * reads nothing in this poll), or that there is no such topic yet. Its next poll of that name
 * starts where it stands there (0 if it never read it): the two topics' offsets never mix.
 */
import type { ClientReply } from '../../core/node.js';
import type { MetadataMachine } from './metadata-machine.js';
import { partitionIndexOf } from './topic-ids.js';

export function pollRedirect(machine: MetadataMachine, partition: string): ClientReply | undefined {
  if (!machine.isDeletedPartition(partition)) return undefined;
  const gone = machine.deletedTopics.find((d) => d.partitions.includes(partition));
  const i = partitionIndexOf(partition);
  const now =
    gone === undefined || i === undefined ? undefined : machine.partitionNameOf(gone.topic, i);
  if (now === undefined) {
    return { ok: false, error: 'UNKNOWN_TOPIC_OR_PARTITION', definite: true };
  }
  return { ok: true, value: { records: [], partition: now } };
}
