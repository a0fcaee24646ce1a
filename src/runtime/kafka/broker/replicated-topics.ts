/**
 * DeleteTopics on the replicated broker: one `delete-topic` record per topic through the metadata
 * log. Every broker applies it (src/systems/kafka/metadata-machine.ts): the topic's partitions
 * stop being served (UNKNOWN_TOPIC_OR_PARTITION) and their replicas delete their data; a topic
 * created later under the same name has a new topic id, so its replicas name its partitions
 * apart from the old ones' (src/systems/kafka/topic-ids.ts).
 */
import type { MetadataMachine } from '../../../systems/kafka/metadata-machine.js';
import { KafkaError } from '../kafka-errors.js';
import type { TopicResult } from './backend.js';
import { NoQuorumError, type Proposer } from './replicated-host.js';
import { validTopicName } from './topic-config.js';

export async function deleteTopicsThroughLog(
  machine: MetadataMachine,
  proposer: Proposer,
  names: readonly string[],
  deadlineMs: number,
): Promise<TopicResult[]> {
  const one = async (name: string): Promise<TopicResult> => {
    const result = (errorCode: number, errorMessage: string | null = null): TopicResult => ({
      name,
      errorCode,
      errorMessage,
    });
    if (!validTopicName(name)) return result(KafkaError.INVALID_TOPIC_EXCEPTION, 'bad name');
    // Checked again where the record is applied: this only spares the log a record that fails.
    if (!machine.hasTopic(name)) return result(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    try {
      const v = await proposer.propose(
        { f: 'meta', op: { kind: 'delete-topic', topic: name } },
        deadlineMs,
      );
      if (v === true) return result(KafkaError.NONE);
      if (v === 'UNKNOWN_TOPIC_OR_PARTITION') {
        return result(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
      }
      throw new RangeError(`delete-topic ${name} answered ${JSON.stringify(v)}`);
    } catch (e) {
      if (e instanceof NoQuorumError) return result(KafkaError.REQUEST_TIMED_OUT, e.message);
      throw e;
    }
  };
  // As Kafka: a topic named twice in one request is refused, each time it is named.
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  return Promise.all(
    names.map((n) =>
      (seen.get(n) ?? 0) > 1
        ? Promise.resolve({
            name: n,
            errorCode: KafkaError.INVALID_REQUEST,
            errorMessage: 'Duplicate topic name.',
          })
        : one(n),
    ),
  );
}
