/**
 * One Kafka broker on one machine: the data directory holds a SegmentLog per partition
 * (`<dir>/<topic>-<partition>/`, as Kafka lays it out), the consumer groups' records in
 * `<dir>/__consumer_offsets-0/` (group-store.ts) and the broker's own facts in
 * `<dir>/truthkit-broker.json` (broker-meta.ts). Durability: every acknowledgement (acks 1 or -1,
 * a topic created, an offset committed, a group synced) follows an fsync of what it promises; the
 * high watermark is the synced offset (partition.ts says why). Idempotent producers' state is
 * rebuilt from the logs on open. Retention runs on a timer with each topic's settings.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaError } from '../kafka-errors.js';
import { fsyncDirectory } from '../segment-checkpoint.js';
import { SegmentLogError } from '../segment-error.js';
import type {
  DescribedGroup,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListedGroup,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../../../systems/kafka/group-types.js';
import type { ProducerMutant } from '../../../systems/kafka/producer-state.js';
import type {
  BrokerAddress,
  ClusterMetadata,
  FetchedPartition,
  FetchQuery,
  KafkaBackend,
  ListedOffset,
  ProduceResult,
  ProducerIdResult,
  TopicInfo,
  TopicResult,
  TopicToCreate,
} from './backend.js';
import { readBrokerMeta, writeBrokerMeta, type BrokerMeta, type TopicMeta } from './broker-meta.js';
import { FetchWaiters, partitionKey } from './fetch-waiters.js';
import { GroupStore, OFFSETS_TOPIC, type GroupStoreMutant } from './group-store.js';
import { BrokerPartition, logErrorCode, type PartitionMutant } from './partition.js';
import {
  KAFKA_TOPIC_DEFAULTS,
  topicConfig,
  validTopicName,
  type TopicConfig,
} from './topic-config.js';

/** Producer ids are reserved on disk this many at a time (Kafka claims blocks of 1000 too). */
const PRODUCER_ID_BLOCK = 1000;
const MAX_PARTITIONS = 10_000;

/** Each removes one rule of the backend; test/runtime/kafka/broker/port.test.ts catches each. */
export const BACKEND_MUTANTS = [
  /** A fetch is answered at once, whatever minBytes and maxWait ask (the consumer busy-polls). */
  'no-long-poll',
  /** A parked fetch is not woken by new records, only by its maxWait timer. */
  'no-wake-on-append',
] as const;
export type BackendMutant = (typeof BACKEND_MUTANTS)[number];

export interface LocalBackendOptions {
  readonly dir: string;
  readonly nodeId?: number;
  /** num.partitions: a topic created without a count, or auto-created. */
  readonly defaultPartitions?: number;
  /** auto.create.topics.enable (Kafka: true; here false unless asked). */
  readonly autoCreateTopics?: boolean;
  /** Settings of a topic created without configs. */
  readonly topicDefaults?: Partial<TopicConfig>;
  /** log.retention.check.interval.ms (Kafka: 300000). */
  readonly retentionCheckMs?: number;
  /** group.initial.rebalance.delay.ms (Kafka: 3000). */
  readonly groupInitialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms (Kafka: 6000). */
  readonly groupMinSessionTimeoutMs?: number;
  readonly log?: (message: string, fields: Record<string, string | number>) => void;
  /** Tests only. */
  readonly producerMutant?: ProducerMutant;
  readonly partitionMutant?: PartitionMutant;
  readonly groupStoreMutant?: GroupStoreMutant;
  readonly mutant?: BackendMutant;
}

export class BackendOptionError extends Error {
  readonly code = 'bad-backend-option';
  constructor(message: string) {
    super(message);
    this.name = 'BackendOptionError';
  }
}

function intOption(
  name: string,
  v: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const x = v ?? fallback;
  if (!Number.isSafeInteger(x) || x < min || x > max) {
    throw new BackendOptionError(
      `${name} must be an integer in [${min}, ${max}], got ${String(v)}`,
    );
  }
  return x;
}

interface Topic {
  readonly meta: TopicMeta;
  readonly partitions: BrokerPartition[];
}

export class LocalBackend implements KafkaBackend {
  readonly nodeId: number;
  private readonly dir: string;
  private readonly defaultPartitions: number;
  private readonly autoCreate: boolean;
  private readonly topicDefaults: TopicConfig;
  private readonly topics = new Map<string, Topic>();
  private readonly waiters = new FetchWaiters();
  private meta: BrokerMeta;
  private address = { host: '127.0.0.1', port: 9092 };
  private producerIdNext: number;
  private retentionTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private quiet = false;
  /** Serialises topic creation and deletion (each rewrites the meta file). */
  private adminTail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly o: LocalBackendOptions,
    readonly groups: GroupStore,
    meta: BrokerMeta,
  ) {
    this.dir = o.dir;
    this.nodeId = intOption('nodeId', o.nodeId, 1, 0, 0x7fffffff);
    this.defaultPartitions = intOption(
      'defaultPartitions',
      o.defaultPartitions,
      1,
      1,
      MAX_PARTITIONS,
    );
    this.autoCreate = o.autoCreateTopics ?? false;
    if (o.mutant !== undefined && !BACKEND_MUTANTS.includes(o.mutant)) {
      throw new BackendOptionError(`unknown backend mutant ${String(o.mutant)}`);
    }
    const verdict = topicConfig(KAFKA_TOPIC_DEFAULTS, []);
    if (!verdict.ok) throw new BackendOptionError(verdict.message);
    this.topicDefaults = { ...verdict.config, ...o.topicDefaults };
    this.meta = meta;
    this.producerIdNext = meta.nextProducerId;
    for (const t of meta.topics) this.openTopic(t);
    const every = intOption('retentionCheckMs', o.retentionCheckMs, 300_000, 1, 0x7fffffff);
    this.retentionTimer = setInterval(() => this.retain(), every);
  }

  /**
   * Opens the data directory (created when missing): the meta file, every partition log (recovered
   * and its producer state rebuilt) and the consumer groups. Throws on damaged data.
   */
  static async open(o: LocalBackendOptions): Promise<LocalBackend> {
    mkdirSync(o.dir, { recursive: true });
    for (const name of readdirSync(o.dir)) {
      // Topics whose deletion the meta file records but whose files a crash left.
      if (name.endsWith('-delete')) rmSync(join(o.dir, name), { recursive: true, force: true });
    }
    const read = readBrokerMeta(o.dir);
    // A new incarnation before anything is served: member ids carry it (group-coordinator.ts).
    const meta = { ...read, incarnation: read.incarnation + 1 };
    writeBrokerMeta(o.dir, meta);
    const nodeId = o.nodeId ?? 1;
    const groups = await GroupStore.open(o.dir, {
      coordinator: {
        memberIdTag: `b${nodeId}.${meta.incarnation}`,
        ...(o.groupInitialRebalanceDelayMs !== undefined
          ? { initialRebalanceDelayMs: o.groupInitialRebalanceDelayMs }
          : {}),
        ...(o.groupMinSessionTimeoutMs !== undefined
          ? { minSessionTimeoutMs: o.groupMinSessionTimeoutMs }
          : {}),
      },
      ...(o.log !== undefined ? { log: o.log } : {}),
      ...(o.groupStoreMutant !== undefined ? { mutant: o.groupStoreMutant } : {}),
    });
    try {
      return new LocalBackend(o, groups, meta);
    } catch (e) {
      await groups.close();
      throw e;
    }
  }

  private openTopic(meta: TopicMeta): Topic {
    const partitions: BrokerPartition[] = [];
    try {
      for (let p = 0; p < meta.partitions; p++) {
        partitions.push(
          BrokerPartition.open(join(this.dir, `${meta.name}-${p}`), meta.name, p, meta.config, {
            ...(this.o.log !== undefined ? { log: this.o.log } : {}),
            ...(this.o.partitionMutant !== undefined ? { mutant: this.o.partitionMutant } : {}),
            ...(this.o.producerMutant !== undefined
              ? { producerMutant: this.o.producerMutant }
              : {}),
            onFatal: (e) =>
              this.o.log?.('kafka broker: partition storage failed', {
                topic: meta.name,
                partition: p,
                error: e.message,
              }),
          }),
        );
      }
    } catch (e) {
      for (const p of partitions) void p.log.close().catch(() => undefined);
      throw e;
    }
    const topic = { meta, partitions };
    this.topics.set(meta.name, topic);
    return topic;
  }

  advertise(address: { readonly host: string; readonly port: number }): void {
    this.address = { host: address.host, port: address.port };
  }

  private self(): BrokerAddress {
    return { nodeId: this.nodeId, ...this.address };
  }

  private partition(topic: string, partition: number): BrokerPartition | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  // ---- metadata and topics ----

  private topicInfo(name: string): TopicInfo {
    const t = this.topics.get(name);
    if (t === undefined) {
      return {
        name,
        errorCode: validTopicName(name)
          ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION
          : KafkaError.INVALID_TOPIC_EXCEPTION,
        internal: false,
        partitions: [],
      };
    }
    return {
      name,
      errorCode: KafkaError.NONE,
      internal: false,
      partitions: t.partitions.map((_, partition) => ({
        partition,
        errorCode: KafkaError.NONE,
        leader: this.nodeId,
        replicas: [this.nodeId],
        isr: [this.nodeId],
      })),
    };
  }

  async metadata(
    names: readonly string[] | null,
    allowAutoCreate: boolean,
  ): Promise<ClusterMetadata> {
    if (names !== null && allowAutoCreate && this.autoCreate) {
      const missing = names.filter(
        (n) => !this.topics.has(n) && validTopicName(n) && n !== OFFSETS_TOPIC,
      );
      if (missing.length > 0)
        await this.createTopics(
          missing.map((name) => this.defaultTopic(name)),
          false,
        );
    }
    const list = names ?? [...this.topics.keys()].sort();
    return {
      clusterId: 'truthkit',
      controllerId: this.nodeId,
      brokers: [this.self()],
      topics: list.map((n) => this.topicInfo(n)),
    };
  }

  private defaultTopic(name: string): TopicToCreate {
    return { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] };
  }

  createTopics(topics: readonly TopicToCreate[], validateOnly: boolean): Promise<TopicResult[]> {
    const run = this.adminTail.then(() => this.createNow(topics, validateOnly));
    this.adminTail = run.catch(() => undefined);
    return run;
  }

  private createNow(topics: readonly TopicToCreate[], validateOnly: boolean): TopicResult[] {
    const results: TopicResult[] = [];
    const created: TopicMeta[] = [];
    const seen = new Set<string>();
    for (const t of topics) {
      const fail = (errorCode: number, errorMessage: string) =>
        results.push({ name: t.name, errorCode, errorMessage });
      if (!validTopicName(t.name) || t.name === OFFSETS_TOPIC) {
        fail(
          KafkaError.INVALID_TOPIC_EXCEPTION,
          `topic name ${JSON.stringify(t.name)} is not allowed`,
        );
        continue;
      }
      if (this.topics.has(t.name) || seen.has(t.name)) {
        fail(KafkaError.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
        continue;
      }
      let count = t.numPartitions === -1 ? this.defaultPartitions : t.numPartitions;
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          fail(
            KafkaError.INVALID_REQUEST,
            'give either assignments or a partition count and replication factor',
          );
          continue;
        }
        const ok = t.assignments.every(
          (a, i) => a.partition === i && a.brokers.length === 1 && a.brokers[0] === this.nodeId,
        );
        if (!ok) {
          fail(
            KafkaError.INVALID_REPLICA_ASSIGNMENT,
            `every partition must be on broker ${this.nodeId} alone, in order`,
          );
          continue;
        }
        count = t.assignments.length;
      }
      if (!Number.isSafeInteger(count) || count < 1 || count > MAX_PARTITIONS) {
        fail(
          KafkaError.INVALID_PARTITIONS,
          `partition count ${count} is outside [1, ${MAX_PARTITIONS}]`,
        );
        continue;
      }
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        fail(
          KafkaError.INVALID_REPLICATION_FACTOR,
          `replication factor ${t.replicationFactor}: this cluster has one broker`,
        );
        continue;
      }
      const config = topicConfig(this.topicDefaults, t.configs);
      if (!config.ok) {
        fail(config.errorCode, config.message);
        continue;
      }
      seen.add(t.name);
      created.push({ name: t.name, partitions: count, config: config.config });
      results.push({ name: t.name, errorCode: KafkaError.NONE, errorMessage: null });
    }
    if (validateOnly || created.length === 0) return results;
    // The logs first, then the meta file that makes the topics exist. A crash between (or during
    // a deletion, which writes the meta file first) leaves directories no topic names: a new
    // topic of that name must not inherit their records, so they go first.
    const leftovers = new Set(created.map((m) => m.name));
    for (const name of readdirSync(this.dir)) {
      const m = /^(.+)-\d+$/.exec(name);
      if (m?.[1] !== undefined && leftovers.has(m[1])) {
        rmSync(join(this.dir, name), { recursive: true, force: true });
      }
    }
    for (const m of created) this.openTopic(m);
    fsyncDirectory(this.dir);
    this.meta = { ...this.meta, topics: [...this.meta.topics, ...created] };
    writeBrokerMeta(this.dir, this.meta);
    return results;
  }

  deleteTopics(names: readonly string[]): Promise<TopicResult[]> {
    const run = this.adminTail.then(() => this.deleteNow(names));
    this.adminTail = run.catch(() => undefined);
    return run;
  }

  private async deleteNow(names: readonly string[]): Promise<TopicResult[]> {
    const results: TopicResult[] = [];
    const gone: Topic[] = [];
    for (const name of names) {
      const t = this.topics.get(name);
      if (t === undefined) {
        results.push({
          name,
          errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
        });
        continue;
      }
      this.topics.delete(name);
      gone.push(t);
      results.push({ name, errorCode: KafkaError.NONE, errorMessage: null });
    }
    if (gone.length === 0) return results;
    const goneNames = new Set(gone.map((t) => t.meta.name));
    this.meta = { ...this.meta, topics: this.meta.topics.filter((t) => !goneNames.has(t.name)) };
    writeBrokerMeta(this.dir, this.meta);
    for (const t of gone) {
      for (const p of t.partitions) {
        await p.log.close().catch(() => undefined);
        this.waiters.progressed(partitionKey(t.meta.name, p.partition));
        const from = p.log.dir;
        const to = `${from}.${Date.now().toString(36)}-delete`;
        renameSync(from, to);
        rmSync(to, { recursive: true, force: true });
      }
    }
    fsyncDirectory(this.dir);
    return results;
  }

  // ---- produce, fetch, offsets ----

  async produce(
    topic: string,
    partition: number,
    records: Uint8Array,
    acks: number,
    _timeoutMs: number,
  ): Promise<ProduceResult> {
    const refuse = (errorCode: number): ProduceResult => ({
      errorCode,
      baseOffset: -1,
      logStartOffset: -1,
    });
    if (acks !== 0 && acks !== 1 && acks !== -1) return refuse(KafkaError.INVALID_REQUIRED_ACKS);
    if (topic === OFFSETS_TOPIC) return refuse(KafkaError.TOPIC_AUTHORIZATION_FAILED);
    if (!this.topics.has(topic) && this.autoCreate && validTopicName(topic)) {
      await this.createTopics([this.defaultTopic(topic)], false);
    }
    const p = this.partition(topic, partition);
    if (p === undefined) return refuse(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    const out = p.append(records);
    if (out.kind === 'error') return refuse(out.errorCode);
    const key = partitionKey(topic, partition);
    // Fetches parked on this partition see the records once they are durable, whoever waits.
    const durable = out.durable.then(
      () => {
        if (this.o.mutant !== 'no-wake-on-append') this.waiters.progressed(key);
        return KafkaError.NONE as number;
      },
      (e: unknown) => logErrorCode(e),
    );
    if (acks === 0) {
      void durable;
      return {
        errorCode: KafkaError.NONE,
        baseOffset: out.baseOffset,
        logStartOffset: p.logStartOffset,
      };
    }
    const errorCode = await durable;
    if (errorCode !== KafkaError.NONE) return refuse(errorCode);
    return { errorCode, baseOffset: out.baseOffset, logStartOffset: p.logStartOffset };
  }

  private readNow(q: FetchQuery): { parts: FetchedPartition[]; bytes: number; error: boolean } {
    let budget = q.maxBytes;
    let bytes = 0;
    let error = false;
    const parts = q.partitions.map((f): FetchedPartition => {
      const p = this.partition(f.topic, f.partition);
      const base = { topic: f.topic, partition: f.partition, records: new Uint8Array(0) };
      if (p === undefined) {
        error = true;
        return {
          ...base,
          errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1,
          logStartOffset: -1,
        };
      }
      const hw = p.highWatermark;
      const head = { ...base, highWatermark: hw, logStartOffset: p.logStartOffset };
      if (f.fetchOffset < p.logStartOffset || f.fetchOffset > p.log.logEndOffset) {
        error = true;
        return { ...head, errorCode: KafkaError.OFFSET_OUT_OF_RANGE };
      }
      if (f.fetchOffset >= hw || budget <= 0) return { ...head, errorCode: KafkaError.NONE };
      try {
        // SegmentLog.read returns one whole batch at least, even past the budget (KIP-74), so a
        // batch larger than maxBytes cannot stall a consumer; the budget may be overshot by it.
        const records = p.read(f.fetchOffset, Math.min(f.maxBytes, budget));
        budget -= records.length;
        bytes += records.length;
        return { ...head, errorCode: KafkaError.NONE, records };
      } catch (e) {
        if (!(e instanceof SegmentLogError)) throw e;
        error = true;
        return { ...head, errorCode: logErrorCode(e) };
      }
    });
    return { parts, bytes, error };
  }

  fetch(q: FetchQuery): Promise<FetchedPartition[]> {
    const first = this.readNow(q);
    const noPoll = this.o.mutant === 'no-long-poll';
    if (
      noPoll ||
      first.error ||
      first.bytes >= q.minBytes ||
      q.maxWaitMs <= 0 ||
      this.quiet ||
      this.closed
    ) {
      return Promise.resolve(first.parts);
    }
    return new Promise((resolve) => {
      this.waiters.park(
        {
          keys: q.partitions.map((f) => partitionKey(f.topic, f.partition)),
          attempt: () => {
            const now = this.readNow(q);
            if (!now.error && now.bytes < q.minBytes) return false;
            resolve(now.parts);
            return true;
          },
          expire: () => resolve(this.readNow(q).parts),
        },
        q.maxWaitMs,
      );
    });
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<ListedOffset> {
    const p = this.partition(topic, partition);
    if (p === undefined)
      return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 };
    if (timestamp === -2)
      return { errorCode: KafkaError.NONE, offset: p.logStartOffset, timestamp: -1 };
    if (timestamp === -1)
      return { errorCode: KafkaError.NONE, offset: p.highWatermark, timestamp: -1 };
    if (timestamp < 0) return { errorCode: KafkaError.INVALID_REQUEST, offset: -1, timestamp: -1 };
    const found = p.offsetForTime(timestamp);
    return found === undefined
      ? { errorCode: KafkaError.NONE, offset: -1, timestamp: -1 }
      : { errorCode: KafkaError.NONE, ...found };
  }

  // ---- producers ----

  async initProducerId(transactionalId: string | null): Promise<ProducerIdResult> {
    if (transactionalId !== null) {
      return {
        errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1,
        producerEpoch: -1,
      };
    }
    // Ids up to meta.nextProducerId are reserved on disk before any of them is handed out, so a
    // restarted broker never gives an id a producer of an earlier run still uses.
    if (this.producerIdNext >= this.meta.nextProducerId) {
      this.meta = { ...this.meta, nextProducerId: this.producerIdNext + PRODUCER_ID_BLOCK };
      writeBrokerMeta(this.dir, this.meta);
    }
    const producerId = this.producerIdNext++;
    return { errorCode: KafkaError.NONE, producerId, producerEpoch: 0 };
  }

  // ---- groups ----

  async findCoordinator(
    _groupId: string,
  ): Promise<{ errorCode: number; broker: BrokerAddress | null }> {
    return { errorCode: KafkaError.NONE, broker: this.self() };
  }

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResponse> {
    return this.groups.ask((requestId, now) =>
      this.groups.coordinator.joinGroup({ ...req, requestId }, now),
    );
  }

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    return this.groups.ask((requestId, now) =>
      this.groups.coordinator.syncGroup({ ...req, requestId }, now),
    );
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.groups.ask((requestId, now) =>
      this.groups.coordinator.heartbeat({ ...req, requestId }, now),
    );
  }

  leaveGroup(req: LeaveGroupRequest): Promise<LeaveGroupResponse> {
    return this.groups.ask((requestId, now) =>
      this.groups.coordinator.leaveGroup({ ...req, requestId }, now),
    );
  }

  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    return this.groups.ask((requestId, now) =>
      this.groups.coordinator.commitOffsets({ ...req, requestId }, now),
    );
  }

  fetchOffsets(req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
    return this.groups.read((c) => c.fetchOffsets(req));
  }

  describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return this.groups.read((c) => c.describeGroups(groupIds));
  }

  listGroups(): Promise<ListedGroup[]> {
    return this.groups.read((c) => c.listGroups());
  }

  // ---- housekeeping ----

  /** One retention pass over every partition (the timer's; tests call it directly). */
  retain(now = Date.now()): number {
    let deleted = 0;
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        try {
          deleted += p.retain(now);
        } catch (e) {
          if (!(e instanceof SegmentLogError)) throw e;
          this.o.log?.('kafka broker: retention failed', {
            topic: t.meta.name,
            partition: p.partition,
            error: e.message,
          });
        }
      }
    }
    return deleted;
  }

  quiesce(): void {
    this.quiet = true;
    this.waiters.expireAll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer !== undefined) clearInterval(this.retentionTimer);
    this.waiters.expireAll();
    await this.adminTail;
    await this.groups.close();
    const logs = [...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.log.close()));
    this.topics.clear();
    await Promise.allSettled(logs);
  }
}
