/**
 * kafkajs consumers against the broker's group coordinator: a second member joining makes the
 * group rebalance and split the partitions; the member leaving (LeaveGroup on disconnect) gives
 * them all back to the one that stays, and consumption carries on from the committed offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startBroker, tempDir } from './broker-fixture.js';
import { rangeAssigner } from './kafkajs-range.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { Kafka, logLevel } = require('kafkajs') as any;

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a member joining and one leaving rebalance the group', { timeout: 30_000 }, async () => {
  const { dir, remove } = tempDir('rebal');
  const b = await startBroker({ dir });
  const clients: { disconnect(): Promise<void> }[] = [];
  try {
    const [r] = await b.backend.createTopics(
      [{ name: 'rb', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }],
      false,
    );
    assert.equal(r?.errorCode, 0);
    const kafka = new Kafka({
      clientId: 'rb',
      brokers: [`127.0.0.1:${b.port}`],
      logLevel: logLevel.NOTHING,
    });
    const assigned = new Map<string, string>();
    const got = new Map<string, string[]>();
    const start = async (name: string) => {
      const c = kafka.consumer({
        groupId: 'rb',
        partitionAssigners: [rangeAssigner],
        heartbeatInterval: 200,
        maxWaitTimeInMs: 100,
      });
      c.on(c.events.GROUP_JOIN, (e: { payload: { memberAssignment: Record<string, number[]> } }) =>
        assigned.set(name, [...(e.payload.memberAssignment.rb ?? [])].sort().join()),
      );
      got.set(name, []);
      clients.push(c);
      await c.connect();
      await c.subscribe({ topics: ['rb'], fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }: { message: { value: Buffer } }) =>
          void got.get(name)?.push(message.value.toString()),
      });
      return c;
    };
    const producer = kafka.producer();
    clients.push(producer);
    await producer.connect();
    const send = (tag: string) =>
      producer.send({
        topic: 'rb',
        acks: -1,
        messages: [0, 1, 2, 3].map((p) => ({ value: `${tag}-${p}`, partition: p })),
      });

    await start('a');
    await until('a holds every partition', () => assigned.get('a') === '0,1,2,3');
    await send('one');
    await until('a read round one', () => got.get('a')?.length === 4);

    const bConsumer = await start('b');
    await until('the partitions split', () => assigned.has('b') && assigned.get('a') !== '0,1,2,3');
    assert.deepEqual([assigned.get('a'), assigned.get('b')].sort(), ['0,1', '2,3']);
    const described = await b.backend.describeGroups(['rb']);
    assert.equal(described[0]?.members.length, 2);
    assert.equal(described[0]?.state, 'Stable');
    await send('two');
    await until('round two', () => (got.get('a')?.length ?? 0) + (got.get('b')?.length ?? 0) === 8);
    assert.equal(got.get('b')?.length, 2, 'b read its half of round two only');

    await bConsumer.disconnect();
    await until('a holds every partition again', () => assigned.get('a') === '0,1,2,3');
    await send('three');
    await until(
      'round three',
      () => got.get('a')?.filter((v) => v.startsWith('three')).length === 4,
    );
    assert.deepEqual(
      got
        .get('a')
        ?.filter((v) => v.startsWith('three'))
        .sort(),
      ['three-0', 'three-1', 'three-2', 'three-3'],
    );
    const all = [...(got.get('a') ?? []), ...(got.get('b') ?? [])];
    assert.equal(
      new Set(all).size,
      all.length,
      'no record read twice: commits were kept across the rebalances',
    );
  } finally {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await b.close();
    remove();
  }
});
