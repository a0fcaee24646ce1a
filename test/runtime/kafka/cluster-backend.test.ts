/**
 * The replicated broker's rules, caught in process: three kafka nodes (RuntimeNode, loopback)
 * with their Kafka backends called directly. A produce's batch with a bad CRC is refused
 * (mutant `no-crc-check` takes it); a fetch never returns records at or past the high watermark
 * (mutant `fetch-past-hw` does, once the partition's followers are gone and its HW is stuck); a
 * retried idempotent batch is answered with the offset it already has (mutant
 * `no-producer-state` writes it again); a group's offset commit is answered only once the metadata log has applied its record (mutant
 * `answer-before-commit` answers a coordinator that has lost its quorum).
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
import type { ReplicatedBackendOptions } from '../../../src/runtime/kafka/broker/replicated-backend.js';
import type { KafkaNode } from '../../../src/systems/kafka/kafka-node.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';
import { sleep, waitFor } from '../wait-for.js';

const IDS = ['n1', 'n2', 'n3'];
const TOPIC = 'm';

function batch(value: string, corrupt = false, producerId = -1): Uint8Array {
  const b = buildRecordBatch({
    baseTimestamp: BigInt(Date.now()),
    ...(producerId >= 0
      ? { producerId: BigInt(producerId), producerEpoch: 0, baseSequence: 0 }
      : {}),
    records: [{ key: null, value: new TextEncoder().encode(value) }],
  });
  if (corrupt) b[b.length - 1] = (b[b.length - 1] as number) ^ 0xff;
  return b;
}

interface Caught {
  readonly crc: boolean;
  readonly pastHw: boolean;
  readonly commitBeforeLog: boolean;
  readonly retryWrittenTwice: boolean;
}

async function scenario(
  t: { after: (fn: () => Promise<void> | void) => void },
  options: ReplicatedBackendOptions,
): Promise<Caught> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-kafka-backend-'));
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
      const n = await RuntimeNode.start({
        system: kafkaSystem,
        id,
        listen: { host: '127.0.0.1', port: ports[i] as number },
        peers,
        kafka: { host: '127.0.0.1', port: 0 },
        kafkaOptions: options,
        dataDir: join(dir, id),
        secret: Buffer.alloc(32, 9),
        logLine: () => {},
        onFatal: (e) => {
          throw e;
        },
      });
      nodes.set(id, n);
    }),
  );
  const kafkaNode = (id: string) => nodes.get(id)?.host.node as KafkaNode;
  const backend = (id: string) => {
    const b = nodes.get(id)?.kafka?.backend;
    assert.ok(b !== undefined, `${id} has a kafka backend`);
    return b;
  };
  // A controller with every broker registered and unfenced.
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
  const others = IDS.filter((id) => id !== controller);
  const brokerId = (id: string) => IDS.indexOf(id) + 1;
  const [created] = await backend(controller).createTopics(
    [
      {
        name: TOPIC,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partition: 0, brokers: [controller, ...others].map(brokerId) }],
        configs: [],
      },
    ],
    false,
  );
  assert.equal(created?.errorCode, KafkaError.NONE);
  const leads = backend(controller);
  await waitFor(
    'the controller leading the partition with a full ISR',
    async () => {
      const role = kafkaNode(controller).replicas.roleOf(`${TOPIC}-0`);
      return role?.kind === 'leader' && role.leader.currentIsr.length === 3 ? true : undefined;
    },
    10_000,
  );
  const ok = await leads.produce(TOPIC, 0, batch('first'), -1, 5000);
  assert.equal(ok.errorCode, KafkaError.NONE, 'an intact batch is taken');
  const bad = await leads.produce(TOPIC, 0, batch('bad', true), -1, 5000);
  const crc = bad.errorCode === KafkaError.CORRUPT_MESSAGE;
  // An idempotent producer's batch sent twice (a retry): one copy in the log.
  const pid = await leads.initProducerId(null);
  assert.equal(pid.errorCode, KafkaError.NONE);
  const once = await leads.produce(TOPIC, 0, batch('once', false, pid.producerId), -1, 5000);
  const again = await leads.produce(TOPIC, 0, batch('once', false, pid.producerId), -1, 5000);
  assert.equal(once.errorCode, KafkaError.NONE);
  assert.equal(again.errorCode, KafkaError.NONE);
  const retryWrittenTwice = again.baseOffset !== once.baseOffset;

  const commit = (offset: number) =>
    leads.commitOffsets({
      requestId: '',
      groupId: 'g',
      generationId: -1,
      memberId: '',
      topics: [
        { topic: TOPIC, partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: '' }] },
      ],
    });
  const first = await commit(1);
  assert.equal(
    first.topics[0]?.partitions[0]?.errorCode,
    KafkaError.NONE,
    'a commit with a quorum',
  );

  // The followers go: the ISR cannot shrink (no quorum to record it), so the HW stays put.
  for (const id of others) await nodes.get(id)?.stop();
  const hwBefore = kafkaNode(controller).replicas.roleOf(`${TOPIC}-0`);
  assert.ok(hwBefore?.kind === 'leader');
  const hw = hwBefore.leader.log.hw;
  const appended = await leads.produce(TOPIC, 0, batch('past the hw'), 1, 5000);
  assert.equal(appended.errorCode, KafkaError.NONE, 'acks=1 is answered by the leader alone');
  const fetched = await leads.fetch({
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    partitions: [{ topic: TOPIC, partition: 0, fetchOffset: hw, maxBytes: 1 << 20 }],
  });
  const pastHw = (fetched[0]?.records.length ?? 0) > 0;

  const answered = await Promise.race([
    commit(2).then(
      (r) => r.topics[0]?.partitions[0]?.errorCode === KafkaError.NONE,
      () => false,
    ),
    sleep(2000).then(() => false),
  ]);
  return { crc, pastHw, commitBeforeLog: answered, retryWrittenTwice };
}

test('replicated broker: CRC checked, fetch bounded by the HW, commits answered after the log', async (t) => {
  const c = await scenario(t, {});
  assert.deepEqual(c, {
    crc: true,
    pastHw: false,
    commitBeforeLog: false,
    retryWrittenTwice: false,
  });
});

test('mutant no-crc-check is caught: a corrupt batch is taken', async (t) => {
  const c = await scenario(t, { mutant: 'no-crc-check' });
  assert.equal(c.crc, false);
});

test('mutant fetch-past-hw is caught: a fetch returns records past the HW', async (t) => {
  const c = await scenario(t, { mutant: 'fetch-past-hw' });
  assert.equal(c.pastHw, true);
});

test('mutant answer-before-commit is caught: a commit answered without a quorum', async (t) => {
  const c = await scenario(t, { groupMutant: 'answer-before-commit' });
  assert.equal(c.commitBeforeLog, true);
});

test('mutant no-producer-state is caught: a retried idempotent batch is written twice', async (t) => {
  const c = await scenario(t, { mutant: 'no-producer-state' });
  assert.equal(c.retryWrittenTwice, true);
});
