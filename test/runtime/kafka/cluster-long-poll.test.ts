/**
 * The replicated cluster as the bench runs it — followers long-polling (`fetch-wait`) and each
 * connection's requests handled at once — under kill -9 of a partition leader that is not the
 * controller, with 24 acks=all sends in flight on the producer's connections: every
 * acknowledged record is read back afterwards, and the failover gap is printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { killNode } from '../../../src/runtime/cluster.js';
import { sleep, waitFor } from '../wait-for.js';
import { consume, createTopic, disconnectWithin, leaderOf, upKafka } from './cluster-fixture.js';

const IN_FLIGHT = 24;

test('long polls and pipelined produces: kill -9 of a partition leader loses no acknowledged record', async (t) => {
  const c = await upKafka(t, { params: { 'fetch-wait': '200' } });
  const admin = c.kafka.admin();
  await admin.connect();
  t.after(() => disconnectWithin(admin));
  await createTopic(admin, 'lp', 3, 3);
  const { controller } = await admin.describeCluster();
  let victimPartition = -1;
  let victim = '';
  for (let p = 0; p < 3; p++) {
    const l = await leaderOf(admin, 'lp', p);
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
  const acked = new Set<string>();
  const ackTimes: number[] = [];
  let stop = false;
  let next = 0;
  // Many sends in flight at once: kafkajs puts a broker's on one connection, pipelined.
  const loops = Array.from({ length: IN_FLIGHT }, async () => {
    while (!stop) {
      const i = next++;
      const partition = i % 3;
      const value = `r${i}`;
      try {
        await producer.send({ topic: 'lp', acks: -1, messages: [{ partition, value }] });
        acked.add(value);
        if (partition === victimPartition) ackTimes.push(performance.now());
      } catch {
        await sleep(20);
      }
    }
  });
  await sleep(1500);
  const before = acked.size;
  const killedAt = performance.now();
  await killNode(c.dir, victim);
  await waitFor(
    `an ack on ${victimPartition} after the kill`,
    () => (ackTimes.some((x) => x > killedAt + 500) ? true : undefined),
    20_000,
  );
  stop = true;
  await Promise.all(loops);
  let gap = 0;
  for (let i = 1; i < ackTimes.length; i++) {
    gap = Math.max(gap, (ackTimes[i] as number) - (ackTimes[i - 1] as number));
  }
  t.diagnostic(
    `failover gap on lp-${victimPartition} (${victim} killed): ${gap.toFixed(0)} ms; ` +
      `${acked.size} records acknowledged, ${before} before the kill`,
  );
  assert.ok(before >= 100, `only ${before} records acknowledged in 1.5 s before the kill`);
  const { consumer, seen } = await consume(c.kafka, 'lp-check', 'lp');
  await waitFor(
    'every acknowledged record consumed',
    () => ([...acked].every((v) => seen.values.has(v)) ? true : undefined),
    20_000,
  );
  await disconnectWithin(consumer);
});
