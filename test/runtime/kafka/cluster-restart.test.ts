/**
 * `cluster up --system kafka` on loopback: records acknowledged with acks=all survive kill -9 of
 * every node and a restart, read back by kafkajs in a new group. (Its own file, so a hang of
 * one kafkajs client cannot hold the other tests.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killNode, restartNode } from '../../../src/runtime/cluster.js';
import { waitFor } from '../wait-for.js';
import { consume, createTopic, disconnectWithin, upKafka } from './cluster-fixture.js';

test('kafkajs: kill -9 of every node and a restart keep every acknowledged record', async (t) => {
  const c = await upKafka(t);
  const admin = c.kafka.admin();
  await admin.connect();
  await createTopic(admin, 'durable', 3, 3);
  await admin.disconnect();
  const producer = c.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const acked: string[] = [];
  for (let i = 0; i < 200; i += 20) {
    const messages = Array.from({ length: 20 }, (_, j) => ({ value: `d${i + j}` }));
    await producer.send({ topic: 'durable', acks: -1, messages });
    acked.push(...messages.map((m) => m.value));
  }
  await producer.disconnect();
  for (const n of c.file.nodes) await killNode(c.dir, n.id);
  for (const n of c.file.nodes) await restartNode(c.dir, n.id);
  const { consumer, seen } = await consume(c.kafka, 'gd', 'durable');
  t.after(() => disconnectWithin(consumer));
  await waitFor(
    'every acknowledged record read after the restart',
    () => (acked.every((v) => seen.values.has(v)) ? true : undefined),
    30_000,
  );
  assert.equal(seen.values.size, acked.length, 'nothing but the acknowledged records');
  // While the cluster is up: a kafkajs consumer left running after its brokers are gone was seen
  // to spin, starving the timers the after hooks need.
  await disconnectWithin(consumer, 10_000);
});
