/**
 * The Kafka side of the load, through the unchanged kafkajs 2.2.4 client, for any cluster that
 * speaks Kafka's protocol at `bootstrap` (truthkit's, once it exists): topics made with
 * CreateTopics (6 partitions, replication factor 3), a producer sending each record alone with
 * acks=-1 (all) to an explicit partition — idempotence off unless asked (kafkajs then allows one
 * request in flight per broker connection, and is known to answer concurrent idempotent sends
 * with OUT_OF_ORDER_SEQUENCE_NUMBER: tulios/kafkajs#598) — and a consumer group
 * reading a topic from its start, committing every `COMMIT_EVERY` records as the JetStream
 * consumer acknowledges. Which broker leads which partition comes from Metadata.
 */
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { COMMIT_EVERY, PARTITIONS, REPLICAS, type OnRecord, type Producer } from './target.js';

export interface KafkajsOptions {
  readonly bootstrap: readonly string[];
  /** The Produce request's own timeout: how long the leader may wait for the ISR. */
  readonly ackTimeoutMs: number;
  readonly idempotent: boolean;
}

/** A partition's leader as Metadata names it: broker id and its advertised host:port. */
export interface PartitionLeader {
  readonly partition: number;
  readonly brokerId: number;
  readonly address: string;
}

export interface KafkajsSide {
  createTopic(topic: string): Promise<void>;
  producer(topic: string): Promise<Producer>;
  consume(topic: string, onRecord: OnRecord, timeoutMs: number): Promise<void>;
  leaders(topic: string): Promise<PartitionLeader[]>;
  close(): Promise<void>;
}

export async function kafkajsSide(o: KafkajsOptions): Promise<KafkajsSide> {
  if (o.bootstrap.length === 0) throw new RangeError('kafkajs: no bootstrap servers');
  const kafka = new Kafka({
    clientId: 'truthkit-bench-kafka',
    brokers: [...o.bootstrap],
    // Connection errors during the kill are expected; the loop counts them.
    logLevel: logLevel.NOTHING,
    // kafkajs retries a failed send itself (refreshing Metadata to find the new leader); its
    // default backoff grows to 30 s, which would be measured as failover gap. Capped at the
    // JetStream loop's 100 ms resend, so both clients look for the new leader as often (a cap
    // of 250 ms added up to 250 ms to truthkit's gap after its new leader was in place).
    retry: { initialRetryTime: 100, maxRetryTime: 100, retries: 10 },
  });
  const admin: Admin = kafka.admin();
  await admin.connect();
  const producers: Array<{ disconnect(): Promise<void> }> = [];
  return {
    async createTopic(topic) {
      // A broker still fenced when the topic is made leads none of its partitions (their
      // leaders never move back), and one broker leading 4 of 6 was seen after a fresh start:
      // wait, bounded, until Metadata lists every broker.
      for (let tries = 0; tries < 100; tries++) {
        if ((await admin.describeCluster()).brokers.length >= REPLICAS) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: REPLICAS }],
        waitForLeaders: true,
        timeout: 30_000,
      });
    },
    async producer(topic) {
      const p = kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: o.idempotent,
        ...(o.idempotent ? { maxInFlightRequests: 1 } : {}),
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      producers.push(p);
      return {
        send: async (_id, partition, payload) => {
          await p.send({
            topic,
            acks: -1,
            timeout: o.ackTimeoutMs,
            messages: [{ partition, value: payload }],
          });
        },
        close: () => p.disconnect(),
      };
    },
    async consume(topic, onRecord, timeoutMs) {
      const consumer = kafka.consumer({ groupId: `truthkit-bench-${topic}`, maxWaitTimeInMs: 500 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        let timer: NodeJS.Timeout | undefined;
        let done = false;
        // Resolved from inside eachBatch, awaited outside it: stopping the consumer from its
        // own handler would wait for that handler.
        const finished = new Promise<void>((resolve, reject) => {
          timer = setTimeout(resolve, timeoutMs);
          consumer
            .run({
              autoCommitThreshold: COMMIT_EVERY,
              eachBatch: async ({ batch }) => {
                for (const m of batch.messages) {
                  if (done) return;
                  if (onRecord(m.value)) {
                    done = true;
                    resolve();
                  }
                }
              },
            })
            .catch(reject);
        });
        await finished.finally(() => clearTimeout(timer));
      } finally {
        await consumer.disconnect();
      }
    },
    async leaders(topic) {
      const [meta, cluster] = await Promise.all([
        admin.fetchTopicMetadata({ topics: [topic] }),
        admin.describeCluster(),
      ]);
      const brokers = new Map(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
      const partitions = meta.topics.find((t) => t.name === topic)?.partitions ?? [];
      return partitions.map((p) => {
        const address = brokers.get(p.leader);
        if (address === undefined) {
          throw new Error(`${topic}/${p.partitionId}: leader ${p.leader} is not a known broker`);
        }
        return { partition: p.partitionId, brokerId: p.leader, address };
      });
    },
    async close() {
      await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
      await admin.disconnect();
    },
  };
}
