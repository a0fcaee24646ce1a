/**
 * The replicated broker's DeleteTopics and ListOffsets by timestamp, in process: three kafka
 * nodes (RuntimeNode, loopback) with their Kafka backends called directly. ListOffsets by time
 * answers the first batch whose largest timestamp reaches the time asked, also when timestamps go
 * back (the time index keeps running maxima); DeleteTopics refuses a topic named twice and an
 * unknown one as Kafka does, and a deleted topic is unknown on every broker — produce and
 * metadata — until it is created again, under new partition names, empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../../src/runtime/cluster.js';
import { RuntimeNode } from '../../../src/runtime/node-process.js';
import { buildRecordBatch } from '../../../src/runtime/kafka/record-batch.js';
import { KafkaError } from '../../../src/runtime/kafka/kafka-errors.js';
import type { KafkaNode } from '../../../src/systems/kafka/kafka-node.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';
import { waitFor } from '../wait-for.js';

const IDS = ['n1', 'n2', 'n3'];

function batch(value: string, timestamp: number): Uint8Array {
  return buildRecordBatch({
    baseTimestamp: BigInt(timestamp),
    records: [{ key: null, value: new TextEncoder().encode(value) }],
  });
}

test('replicated broker: ListOffsets by time, DeleteTopics, and the name created again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-kafka-topics-'));
  const ports = await freePorts(IDS.length);
  const nodes = new Map<string, RuntimeNode>();
  t.after(async () => {
    await Promise.all([...nodes.values()].map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  await Promise.all(
    IDS.map(async (id, i) => {
      const peers = new Map(
        IDS.filter((p) => p !== id).map((p) => [
          p,
          { host: '127.0.0.1', port: ports[IDS.indexOf(p)] as number },
        ]),
      );
      nodes.set(
        id,
        await RuntimeNode.start({
          system: kafkaSystem,
          id,
          listen: { host: '127.0.0.1', port: ports[i] as number },
          peers,
          kafka: { host: '127.0.0.1', port: 0 },
          dataDir: join(dir, id),
          secret: Buffer.alloc(32, 9),
          logLine: () => {},
          onFatal: (e) => {
            throw e;
          },
        }),
      );
    }),
  );
  const kafkaNode = (id: string) => nodes.get(id)?.host.node as KafkaNode;
  const backend = (id: string) => {
    const b = nodes.get(id)?.kafka?.backend;
    assert.ok(b !== undefined, `${id} has a kafka backend`);
    return b;
  };
  const controller = await waitFor(
    'a controller with three live brokers',
    async () => {
      const leader = kafkaNode('n1').raft.leader;
      if (leader === null) return undefined;
      const m = kafkaNode(leader).machine;
      return IDS.every((id) => m.broker(id)?.fenced === false) ? leader : undefined;
    },
    15_000,
  );
  const b = backend(controller);
  const others = IDS.filter((id) => id !== controller);
  const create = async () => {
    const [r] = await b.createTopics(
      [
        {
          name: 'a',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partition: 0, brokers: [controller, ...others].map((id) => IDS.indexOf(id) + 1) },
          ],
          configs: [],
        },
      ],
      false,
    );
    assert.equal(r?.errorCode, KafkaError.NONE);
    const name = kafkaNode(controller).machine.partitionNameOf('a', 0) ?? '';
    await waitFor(
      `the controller leading ${name} with a full ISR`,
      () => {
        const role = kafkaNode(controller).replicas.roleOf(name);
        return role?.kind === 'leader' && role.leader.currentIsr.length === 3 ? true : undefined;
      },
      10_000,
    );
    return name;
  };

  assert.equal(await create(), 'a-0');
  for (const [value, ts] of [
    ['x', 1000],
    ['y', 3000],
    ['z', 2000], // a producer whose clock is behind
  ] as const) {
    const r = await b.produce('a', 0, batch(value, ts), -1, 5000);
    assert.equal(r.errorCode, KafkaError.NONE);
  }
  const at = async (ts: number) => {
    const r = await b.listOffset('a', 0, ts);
    assert.equal(r.errorCode, KafkaError.NONE);
    return [r.offset, r.timestamp];
  };
  assert.deepEqual(await at(500), [0, 1000]);
  assert.deepEqual(await at(1500), [1, 3000]);
  assert.deepEqual(await at(2500), [1, 3000], 'the first record at or after it, not the closest');
  assert.deepEqual(await at(3001), [-1, -1]);
  assert.deepEqual(await at(-1), [3, -1]);

  const twice = await b.deleteTopics(['a', 'a']);
  assert.deepEqual(
    twice.map((r) => r.errorCode),
    [KafkaError.INVALID_REQUEST, KafkaError.INVALID_REQUEST],
  );
  const [unknown] = await b.deleteTopics(['nope']);
  assert.equal(unknown?.errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  const [gone] = await b.deleteTopics(['a']);
  assert.equal(gone?.errorCode, KafkaError.NONE);
  for (const id of IDS) {
    await waitFor(
      `${id} applied the deletion`,
      () => (kafkaNode(id).machine.hasTopic('a') ? undefined : true),
      10_000,
    );
    const m = await backend(id).metadata(['a'], false);
    assert.equal(m.topics[0]?.errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION, id);
    const p = await backend(id).produce('a', 0, batch('late', 4000), -1, 1000);
    assert.equal(p.errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION, id);
  }

  const again = await create();
  assert.match(again, /^a-0~\d+$/, 'new partition names: the topic id is in them');
  assert.deepEqual(await at(-1), [0, -1], 'the topic created again is empty');
  assert.deepEqual(await at(500), [-1, -1]);
});
