/**
 * kafkajs `admin.deleteTopics` against `cluster up --system kafka`: the topic goes from every
 * broker's metadata, and a topic created again under the same name is a new topic — its
 * partitions start empty at offset 0 and a consumer reading it from the beginning gets only the
 * new records, none of the deleted topic's. Deleting a topic that does not exist is
 * UNKNOWN_TOPIC_OR_PARTITION. Once the cluster is down, no node's write-ahead log holds a batch
 * of the deleted topic's partitions (`isr/dt-0/…`), and each holds the new topic's (`dt-0~N`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterDown } from '../../../src/runtime/cluster.js';
import { WalStore } from '../../../src/runtime/wal.js';
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
    for (let i = 0; i < 6; i++) {
      // One record a send: a send retried after an unclear failure may be written twice, and
      // then only that record is (the offsets below are checked against the high watermarks).
      await waitFor(
        `new-${i} sent`,
        async () => {
          try {
            await producer.send({
              topic: 'dt',
              acks: -1,
              messages: [{ partition: i % 3, value: `new-${i}` }],
            });
            return true;
          } catch {
            return undefined; // the producer's metadata may still name the old topic's leaders
          }
        },
        15_000,
      );
    }
    const ends = new Map(
      (await admin.fetchTopicOffsets('dt')).map((p) => [p.partition, Number(p.high)]),
    );
    const { consumer, seen } = await consume(c.kafka, 'gdt', 'dt');
    const total = [...ends.values()].reduce((x, y) => x + y, 0);
    const read = (): number => [...seen.offsets.values()].reduce((x, o) => x + o.length, 0);
    await waitFor('the new records', () => (read() >= total ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 500)); // anything more would show up by now
    await disconnectWithin(consumer);
    assert.deepEqual(
      [...seen.values].sort(),
      Array.from({ length: 6 }, (_, i) => `new-${i}`),
      'only the new topic’s records',
    );
    for (const [p, offsets] of seen.offsets) {
      const end = ends.get(p) ?? -1;
      assert.ok(end >= 2, `partition ${p} holds its 2 new records (high watermark ${end})`);
      assert.deepEqual(
        offsets,
        Array.from({ length: end }, (_, k) => k),
        `partition ${p} read from offset 0 to its end`,
      );
    }
    await disconnectWithin(producer);
    await disconnectWithin(admin);
    await clusterDown(c.dir);
    for (const n of c.file.nodes) {
      const wal = WalStore.open(join(c.dir, n.id, 'data'));
      const keys = wal.keys('isr/dt-');
      wal.close();
      const old = keys.filter((k) => /^isr\/dt-\d+\//.test(k));
      assert.deepEqual(old, [], `${n.id} still holds the deleted topic's batches`);
      assert.ok(
        keys.some((k) => /^isr\/dt-\d+~\d+\//.test(k)),
        `${n.id} holds the new topic's batches`,
      );
    }
  },
);
