/**
 * kafkajs 2.2.4 as a client (not just its encoders) against our codec over loopback: it
 * negotiates with ApiVersions v2, produces, and consumes in a group from the beginning, with
 * one-partition-fixture.ts as the server. The assertions are on what kafkajs delivered and on
 * the versions it chose against our table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startFixture } from './one-partition-fixture.js';

test('kafkajs produces and consumes in a group through our codec', async () => {
  const fx = await startFixture('tk');
  const kafka = new Kafka({
    clientId: 'tk-test',
    brokers: [`127.0.0.1:${fx.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
  });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'g1', heartbeatInterval: 500, sessionTimeout: 6000 });
  try {
    await producer.connect();
    const [sent] = await producer.send({
      topic: 'tk',
      messages: [{ key: 'a', value: 'one' }, { value: 'two' }, { value: 'three' }],
    });
    assert.deepEqual([sent?.errorCode, sent?.baseOffset], [0, '0']);

    await consumer.connect();
    await consumer.subscribe({ topic: 'tk', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push(`${message.offset}:${message.value?.toString()}`);
            if (got.length === 3) resolve();
          },
        })
        .catch(reject);
    });
    assert.deepEqual(got, ['0:one', '1:two', '2:three']);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await fx.close();
  }
  assert.equal(fx.committed.get('g1/tk/0'), 3n);
  assert.deepEqual(fx.subscriptions[0]?.topics, ['tk']);
  assert.deepEqual(fx.closedFor, []);
  const chosen = [...new Set(fx.calls)].sort();
  console.log(`kafkajs chose: ${chosen.join(', ')}`);
  for (const call of [
    'ApiVersions v2',
    'Metadata v6',
    'Produce v7',
    'Fetch v11',
    'JoinGroup v5',
    'SyncGroup v3',
  ]) {
    assert.ok(chosen.includes(call), `kafkajs used ${call}`);
  }
});
