/**
 * A real replicated Kafka cluster for the wire tests: `cluster up --system kafka` in a temp dir
 * on loopback, its bootstrap servers, kafkajs clients on it, and which node leads a partition.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { clusterDown, clusterUp, type ClusterFile } from '../../../src/runtime/cluster.js';
import { waitFor } from '../wait-for.js';

export interface KafkaCluster {
  readonly dir: string;
  readonly file: ClusterFile;
  readonly bootstrap: readonly string[];
  readonly kafka: Kafka;
}

export async function upKafka(
  t: { after: (fn: () => Promise<void> | void) => void },
  o: { nodes?: number; params?: Record<string, string> } = {},
): Promise<KafkaCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-kafka-cluster-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const file = await clusterUp({
    dir,
    nodes: o.nodes ?? 3,
    system: 'kafka',
    ...(o.params !== undefined ? { params: o.params } : {}),
  });
  const bootstrap = file.nodes.map((n) => {
    if (n.kafka === undefined) throw new Error(`${n.id} has no kafka port`);
    return n.kafka;
  });
  const kafka = new Kafka({
    clientId: 'truthkit-test',
    brokers: [...bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 },
    connectionTimeout: 1000,
    requestTimeout: 5000,
  });
  return { dir, file, bootstrap, kafka };
}

/**
 * Runs a client's disconnect for at most `ms`: a kafkajs client whose broker was killed can
 * wait on it past any test's budget, and the cluster goes down after the test anyway.
 */
export function disconnectWithin(
  client: { disconnect(): Promise<void> },
  ms = 2000,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    client.disconnect().catch(() => {}),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Creates `topic` and waits until every partition has a leader and a full ISR. */
export async function createTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  replicationFactor: number,
): Promise<void> {
  // A topic created while a broker is still fenced gets no leader on it, and leaders never move
  // back (as in Kafka without preferred-leader election): wait until every broker is registered,
  // or a test that needs a partition led away from the controller may find none.
  await waitFor(
    `${replicationFactor} brokers registered`,
    async () => {
      try {
        return (await admin.describeCluster()).brokers.length >= replicationFactor
          ? true
          : undefined;
      } catch {
        return undefined;
      }
    },
    20_000,
  );
  await waitFor(
    `topic ${topic} created`,
    async () => {
      try {
        await admin.createTopics({
          topics: [{ topic, numPartitions: partitions, replicationFactor }],
          waitForLeaders: true,
        });
        return true;
      } catch {
        return undefined; // the cluster may still be electing its controller
      }
    },
    15_000,
  );
  await waitFor(
    `${topic}'s partitions led with full ISRs`,
    async () => {
      const m = await admin.fetchTopicMetadata({ topics: [topic] });
      const ps = m.topics[0]?.partitions ?? [];
      return ps.length === partitions &&
        ps.every((p) => p.leader >= 0 && p.isr.length === replicationFactor)
        ? true
        : undefined;
    },
    15_000,
  );
}

/** The node (n<broker id>) leading `topic`'s `partition` now. */
export async function leaderOf(admin: Admin, topic: string, partition: number): Promise<string> {
  const m = await admin.fetchTopicMetadata({ topics: [topic] });
  const p = m.topics[0]?.partitions.find((x) => x.partitionId === partition);
  if (p === undefined || p.leader < 0) throw new Error(`${topic}-${partition} has no leader`);
  return `n${p.leader}`;
}

export interface Seen {
  readonly values: Set<string>;
  /** partition → offsets read */
  readonly offsets: Map<number, number[]>;
}

/** A group member of `groupId` reading `topic` from the start (or its committed offsets). */
export async function consume(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<{
  consumer: Consumer;
  seen: Seen;
}> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
    retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 },
  });
  const seen: Seen = { values: new Set(), offsets: new Map() };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 200,
    eachMessage: async ({ partition, message }) => {
      seen.values.add(message.value?.toString() ?? '');
      const list = seen.offsets.get(partition) ?? [];
      list.push(Number(message.offset));
      seen.offsets.set(partition, list);
    },
  });
  return { consumer, seen };
}

/** The group's committed offsets of `topic`, by partition. */
export async function committed(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((t?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}
