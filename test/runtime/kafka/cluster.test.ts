/**
 * `cluster up --system kafka` on loopback, driven by kafkajs through the bootstrap servers: a
 * topic of 3 partitions with replication factor 3, 500 records produced with acks=all and
 * consumed in a group that commits; kill -9 of a partition leader under produce and consume
 * load, after which every acknowledged record is read and a consumer of the group resumes at its
 * committed offsets (the failover gap — the longest time that partition went without an ack — is
 * printed as a diagnostic). cluster-restart.test.ts kills every node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { killNode } from '../../../src/runtime/cluster.js';
import { sleep, waitFor } from '../wait-for.js';
import {
  committed,
  consume,
  createTopic,
  disconnectWithin,
  leaderOf,
  upKafka,
} from './cluster-fixture.js';

test('kafkajs: 500 records with acks=all to 3 partitions of RF 3, consumed and committed in a group', async (t) => {
  const c = await upKafka(t);
  const admin = c.kafka.admin();
  await admin.connect();
  t.after(() => disconnectWithin(admin));
  await createTopic(admin, 'orders', 3, 3);
  const producer = c.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => disconnectWithin(producer));
  for (let i = 0; i < 500; i += 50) {
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })),
    });
  }
  const ends = await admin.fetchTopicOffsets('orders');
  assert.equal(
    ends.reduce((s, p) => s + Number(p.high), 0),
    500,
    'the high watermarks add up to the records produced',
  );
  const { consumer, seen } = await consume(c.kafka, 'g1', 'orders');
  await waitFor(
    'all 500 records consumed',
    () => (seen.values.size === 500 ? true : undefined),
    20_000,
  );
  await consumer.disconnect(); // commits what it consumed
  const offsets = await committed(c.kafka, 'g1', 'orders');
  for (const p of ends) {
    assert.equal(
      offsets.get(p.partition),
      Number(p.high),
      `partition ${p.partition} committed to its end`,
    );
  }
});

test('kafkajs: kill -9 of a partition leader under load loses no acknowledged record; the group resumes', async (t) => {
  const c = await upKafka(t);
  const admin = c.kafka.admin();
  await admin.connect();
  t.after(() => disconnectWithin(admin));
  await createTopic(admin, 'load', 3, 3);
  const { controller } = await admin.describeCluster();
  // The leader of a partition that is not also the controller: the group coordinator stays.
  let victimPartition = -1;
  let victim = '';
  for (let p = 0; p < 3; p++) {
    const l = await leaderOf(admin, 'load', p);
    if (l !== `n${controller}`) {
      victimPartition = p;
      victim = l;
      break;
    }
  }
  assert.ok(victimPartition >= 0, 'a partition led by a non-controller');
  const producer = c.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => disconnectWithin(producer));
  const { consumer, seen } = await consume(c.kafka, 'gl', 'load');
  const acked = new Set<string>();
  const ackTimes: number[] = [];
  let stop = false;
  let killedAt = 0;
  // One producer per partition, one send in flight each, so a partition's acks are its own.
  const loops = [0, 1, 2].map(async (partition) => {
    for (let i = 0; !stop; i++) {
      const value = `p${partition}-${i}`;
      try {
        await producer.send({ topic: 'load', acks: -1, messages: [{ partition, value }] });
        acked.add(value);
        if (partition === victimPartition) ackTimes.push(performance.now());
      } catch {
        // Not acknowledged: it may or may not be in the log, and the check does not count it.
        // (A send can fail at once: without a pause the loop would starve the timers.)
        await sleep(20);
      }
    }
  });
  await sleep(1500);
  killedAt = performance.now();
  await killNode(c.dir, victim);
  await waitFor(
    `an ack on ${victimPartition} after the kill`,
    () => (ackTimes.some((x) => x > killedAt + 1000) ? true : undefined),
    20_000,
  );
  stop = true;
  await Promise.all(loops);
  let gap = 0;
  for (let i = 1; i < ackTimes.length; i++) {
    gap = Math.max(gap, (ackTimes[i] as number) - (ackTimes[i - 1] as number));
  }
  t.diagnostic(
    `failover gap on load-${victimPartition} (${victim} killed): ${gap.toFixed(0)} ms; ` +
      `${acked.size} records acknowledged`,
  );
  await waitFor(
    'every acknowledged record consumed',
    () => ([...acked].every((v) => seen.values.has(v)) ? true : undefined),
    20_000,
  );
  await disconnectWithin(consumer, 10_000);
  const from = await committed(c.kafka, 'gl', 'load');
  // More records, then the group again: it starts at its committed offsets.
  for (let i = 0; i < 30; i++) {
    await producer.send({
      topic: 'load',
      acks: -1,
      messages: [{ partition: i % 3, value: `after-${i}` }],
    });
  }
  const again = await consume(c.kafka, 'gl', 'load');
  await waitFor(
    'the records produced after the restart',
    () =>
      Array.from({ length: 30 }, (_, i) => `after-${i}`).every((v) => again.seen.values.has(v))
        ? true
        : undefined,
    20_000,
  );
  await disconnectWithin(again.consumer);
  for (const [p, offsets] of again.seen.offsets) {
    const start = from.get(p) ?? 0;
    assert.ok(
      offsets.every((o) => o >= start),
      `partition ${p}: read from ${Math.min(...offsets)}, committed ${start}`,
    );
  }
});
