/**
 * kafkajs `admin.deleteTopics` against `cluster up --system kafka`: the topic goes from every
 * broker's metadata, and a topic created again under the same name is a new topic — its
 * partitions start empty at offset 0 and a consumer reading it from the beginning gets only the
 * new records, none of the deleted topic's. Deleting a topic that does not exist is
 * UNKNOWN_TOPIC_OR_PARTITION. (The data each replica dropped is checked in the simulator:
 * test/systems/kafka/topic-deletion.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../wait-for.js';
import { consume, createTopic, disconnectWithin, upKafka } from './cluster-fixture.js';

test(
  'kafkajs: deleteTopics on the replicated cluster; the same name created again starts empty',
  { timeout: 60_000 },
  async (t) => {
    const c = await upKafka(t);
    const admin = c.kafka.admin();
    await admin.connect();
    t.after(() => disconnectWithin(admin));
    await createTopic(admin, 'dt', 3, 3);
    const producer = c.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => disconnectWithin(producer));
    await producer.send({
      topic: 'dt',
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `old-${i}` })),
    });

    await admin.deleteTopics({ topics: ['dt'], timeout: 10_000 });
    await waitFor(
      'dt gone from the metadata',
      async () => (!(await admin.listTopics()).includes('dt') ? true : undefined),
      10_000,
    );
    await assert.rejects(
      admin.deleteTopics({ topics: ['never-was'], timeout: 5000 }),
      /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/,
    );

    await createTopic(admin, 'dt', 3, 3);
    const fresh = await admin.fetchTopicOffsets('dt');
    assert.deepEqual(
      fresh.map((p) => [p.partition, p.low, p.high]).sort(),
      [
        [0, '0', '0'],
        [1, '0', '0'],
        [2, '0', '0'],
      ],
      'the new topic starts empty',
    );
    await waitFor(
      'a send to the new topic',
      async () => {
        try {
          await producer.send({
            topic: 'dt',
            acks: -1,
            messages: Array.from({ length: 6 }, (_, i) => ({
              partition: i % 3,
              value: `new-${i}`,
            })),
          });
          return true;
        } catch {
          return undefined; // the producer's metadata may still name the old topic's leaders
        }
      },
      15_000,
    );
    const { consumer, seen } = await consume(c.kafka, 'gdt', 'dt');
    await waitFor('the new records', () => (seen.values.size >= 6 ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 500)); // anything more would show up by now
    await disconnectWithin(consumer);
    assert.deepEqual(
      [...seen.values].sort(),
      Array.from({ length: 6 }, (_, i) => `new-${i}`),
      'only the new topic’s records',
    );
    for (const [p, offsets] of seen.offsets) {
      assert.deepEqual(offsets, [0, 1], `partition ${p} read from offset 0`);
    }
  },
);
