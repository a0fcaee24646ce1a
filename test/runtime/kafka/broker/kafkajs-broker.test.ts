/**
 * kafkajs 2.2.4 against `truthkit kafka serve` run as a child process: a topic of 3 partitions,
 * 1,000 records from an idempotent producer with acks=-1, consumed by a group of two under the
 * range assignor (every record once across the group), offsets committed, the broker stopped
 * and started again on the same directory, and a new member of the group resuming from the
 * committed offsets; then kill -9 right after the acknowledgements, and every acknowledged record
 * found after the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnBroker, tempDir } from './broker-fixture.js';
import { rangeAssigner } from './kafkajs-range.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { Kafka, logLevel } = require('kafkajs') as any;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function client(port: number, id: string): any {
  return new Kafka({
    clientId: id,
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Clients a test opened: disconnected in its `finally`, so a failing test does not hang on them. */
const live: { disconnect(): Promise<void> }[] = [];
async function disconnectAll(): Promise<void> {
  for (const c of live.splice(0)) await c.disconnect().catch(() => undefined);
}

interface Seen {
  consumer: string;
  partition: number;
  offset: number;
  value: string;
}

async function startConsumer(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  kafka: any,
  name: string,
  topic: string,
  seen: Seen[],
  assigned: Map<string, number[]>,
) {
  const consumer = kafka.consumer({
    groupId: 'g',
    partitionAssigners: [rangeAssigner],
    sessionTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
  });
  live.push(consumer);
  consumer.on(
    consumer.events.GROUP_JOIN,
    (e: { payload: { memberAssignment: Record<string, number[]> } }) => {
      assigned.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort());
    },
  );
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({
      partition,
      message,
    }: {
      partition: number;
      message: { offset: string; value: Buffer };
    }) => {
      seen.push({
        consumer: name,
        partition,
        offset: Number(message.offset),
        value: message.value.toString(),
      });
    },
  });
  return consumer;
}

test(
  'kafkajs: idempotent produce, a range group of two, commit, restart, resume',
  { timeout: 60_000 },
  async () => {
    const { dir, remove } = tempDir('kjs');
    let broker = await spawnBroker(dir);
    try {
      const topic = 'orders';
      let kafka = client(broker.port, 'tk-1');
      const admin = kafka.admin();
      await admin.connect();
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] }), true);
      await admin.disconnect();

      const seen: Seen[] = [];
      const assigned = new Map<string, number[]>();
      const c1 = await startConsumer(kafka, 'c1', topic, seen, assigned);
      const c2 = await startConsumer(kafka, 'c2', topic, seen, assigned);
      // Both members hold their range share before anything is produced, so no record is read twice.
      await until('a settled assignment', () => {
        const all = [...assigned.values()].flat().sort();
        return assigned.size === 2 && all.join() === '0,1,2';
      });
      const shares = [...assigned.values()].map((p) => p.join()).sort();
      assert.deepEqual(shares, ['0,1', '2'], 'range: first member by id takes 0 and 1');

      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      live.push(producer);
      await producer.connect();
      for (let b = 0; b < 10; b++) {
        const messages = Array.from({ length: 100 }, (_, i) => {
          const n = b * 100 + i;
          return { value: `m-${n}`, partition: n % 3 };
        });
        const res = await producer.send({ topic, acks: -1, messages });
        for (const r of res) assert.equal(r.errorCode, 0);
      }
      await producer.disconnect();

      await until('1000 records consumed', () => seen.length >= 1000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, 1000, 'every record once across the group');
      assert.equal(new Set(seen.map((s) => s.value)).size, 1000);
      for (const s of seen) {
        assert.ok(
          assigned.get(s.consumer)?.includes(s.partition),
          `${s.consumer} read only its partitions`,
        );
        assert.equal(Number(s.value.slice(2)) % 3, s.partition);
      }
      await c1.disconnect();
      await c2.disconnect();

      const committed = async (k: unknown) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const a = (k as any).admin();
        await a.connect();
        const [t] = await a.fetchOffsets({ groupId: 'g', topics: [topic] });
        await a.disconnect();
        return (t.partitions as { partition: number; offset: string }[])
          .sort((x, y) => x.partition - y.partition)
          .map((p) => Number(p.offset));
      };
      assert.deepEqual(await committed(kafka), [334, 333, 333]);

      assert.equal(await broker.stop(), 0, `clean exit; stderr: ${broker.stderr()}`);
      broker = await spawnBroker(dir);
      kafka = client(broker.port, 'tk-2');
      assert.deepEqual(
        await committed(kafka),
        [334, 333, 333],
        'committed offsets survive a restart',
      );

      const p2 = kafka.producer({ idempotent: true });
      live.push(p2);
      await p2.connect();
      await p2.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 30 }, (_, i) => ({ value: `after-${i}`, partition: i % 3 })),
      });
      await p2.disconnect();
      const again: Seen[] = [];
      const c3 = await startConsumer(kafka, 'c3', topic, again, new Map());
      await until('the 30 new records', () => again.length >= 30);
      await new Promise((r) => setTimeout(r, 300));
      await c3.disconnect();
      assert.equal(again.length, 30);
      assert.ok(
        again.every((s) => s.value.startsWith('after-')),
        'resumed from the committed offsets',
      );
      assert.deepEqual(
        again.filter((s) => s.partition === 0).map((s) => s.offset),
        Array.from({ length: 10 }, (_, i) => 334 + i),
      );
    } finally {
      await disconnectAll();
      await broker.stop().catch(() => null);
      remove();
    }
  },
);

test(
  'kafkajs: kill -9 after the acknowledgements loses none of them',
  { timeout: 60_000 },
  async () => {
    const { dir, remove } = tempDir('kjs9');
    let broker = await spawnBroker(dir);
    try {
      const topic = 'acked';
      let kafka = client(broker.port, 'tk-k');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      await admin.disconnect();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      live.push(producer);
      await producer.connect();
      const acked: string[] = [];
      for (let b = 0; b < 20; b++) {
        const messages = Array.from({ length: 25 }, (_, i) => ({
          value: `k-${b * 25 + i}`,
          partition: (b + i) % 3,
        }));
        await producer.send({ topic, acks: -1, messages });
        acked.push(...messages.map((m) => m.value));
      }
      await broker.kill9();
      await producer.disconnect().catch(() => undefined);

      broker = await spawnBroker(dir);
      kafka = client(broker.port, 'tk-k2');
      const got: Seen[] = [];
      const consumer = kafka.consumer({ groupId: 'after-crash', maxWaitTimeInMs: 100 });
      live.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({
          partition,
          message,
        }: {
          partition: number;
          message: { offset: string; value: Buffer };
        }) => {
          got.push({
            consumer: 'x',
            partition,
            offset: Number(message.offset),
            value: message.value.toString(),
          });
        },
      });
      await until('every acknowledged record', () => got.length >= acked.length);
      await consumer.disconnect();
      assert.deepEqual(got.map((s) => s.value).sort(), [...acked].sort());
      for (const p of [0, 1, 2]) {
        const offs = got.filter((s) => s.partition === p).map((s) => s.offset);
        assert.deepEqual(
          offs,
          offs.map((_, i) => i),
          `partition ${p} dense from 0`,
        );
      }
    } finally {
      await disconnectAll();
      await broker.stop().catch(() => null);
      remove();
    }
  },
);
