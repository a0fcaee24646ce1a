/**
 * A KafkaBackend over the kafka system's node on this process (src/systems/kafka: KRaft-style
 * metadata on Raft, ISR replication from src/protocols/isr): what `truthkit node --kafka` serves.
 *
 *  - Metadata is the metadata log as this node has applied it: brokers (unfenced, with the Kafka
 *    address their registration carries; a node's broker id is its place in the cluster order,
 *    from 1), topics, each partition's leader, replicas and ISR. The controller it names is
 *    itself, as a KRaft broker names a broker: admin requests go to the quorum leader from here.
 *  - Produce goes to the partition's leader replica here, each v2 batch checked (CRC-32C) and
 *    kept whole, in base64, as the stored batch's payload; acks=all is answered when the high
 *    watermark passes it, acks=1 once the leader appended it. A broker that does not lead the
 *    partition answers NOT_LEADER_OR_FOLLOWER, so the client refreshes its metadata.
 *  - Fetch reads the leader's log below the HW; the leader stamps each batch's base offset and
 *    leader epoch as it stored them (batch-header.ts stampBatch). A fetch with too little to
 *    return waits, re-checked after every node step whose HW moved, up to its maxWaitMs.
 *  - CreateTopics and InitProducerId go through the metadata log; groups are coordinated on the
 *    active controller (replicated-groups.ts). DeleteTopics is a `delete-topic` record
 *    (replicated-topics.ts); a partition's replicas name it by its topic's id (topic-ids.ts).
 *
 * Storage is the node's write-ahead log (the ISR partition logs keep a batch per key, as in the
 * simulator); the single-node broker's segment files are not used here.
 */
import type { Json } from '../../../core/json.js';
import type { ClientReply, NodeId } from '../../../core/node.js';
import type { BatchInput, StoredBatch } from '../../../protocols/isr/batch.js';
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
import {
  NO_PRODUCER_ID,
  PartitionProducerState,
  ProducerBatchError,
  type BatchVerdict,
} from '../../../systems/kafka/producer-state.js';
import type { PartitionLog } from '../../../protocols/isr/partition-log.js';
import { BatchError, readBatchHeader, stampBatch } from '../batch-header.js';
import { FetchWaiters, partitionKey } from './fetch-waiters.js';
import { KafkaError } from '../kafka-errors.js';
import type {
  BrokerAddress,
  ClusterMetadata,
  FetchedPartition,
  FetchQuery,
  KafkaBackend,
  ListedOffset,
  PartitionInfo,
  ProduceResult,
  ProducerIdResult,
  TopicInfo,
  TopicResult,
  TopicToCreate,
} from './backend.js';
import { validTopicName } from './topic-config.js';
import { ReplicatedGroups, type ReplicatedGroupMutant } from './replicated-groups.js';
import { deleteTopicsThroughLog } from './replicated-topics.js';
import { ReplicatedTimeIndexes } from './replicated-time-index.js';
import { NoQuorumError, Proposer, type ReplicatedKafkaHost } from './replicated-host.js';

const ADMIN_DEADLINE_MS = 10_000;
/** Batches one partition's fetch reads from the log at a time. */
const READ_BATCHES = 256;
const DEFAULT_PARTITIONS = 1;
/** How long a Metadata request waits for this broker to be registered and unfenced. */
const SERVING_WAIT_MS = 5000;
const DEFAULT_REPLICATION = 3;

/** Each removes one rule; test/runtime/kafka/cluster-backend.test.ts catches each. */
export const REPLICATED_BROKER_MUTANTS = [
  /** Fetch serves the leader's whole log, past the high watermark. */
  'fetch-past-hw',
  /** A produce's batches are taken without checking their CRC. */
  'no-crc-check',
  /** The leader keeps no idempotent-producer state: a retried batch is written again. */
  'no-producer-state',
] as const;
export type ReplicatedBrokerMutant = (typeof REPLICATED_BROKER_MUTANTS)[number];

export interface ReplicatedBackendOptions {
  readonly mutant?: ReplicatedBrokerMutant;
  readonly groupMutant?: ReplicatedGroupMutant;
  /** group.initial.rebalance.delay.ms (default 0 here: tests and benches start groups at once). */
  readonly groupInitialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms (Kafka: 6000). */
  readonly groupMinSessionTimeoutMs?: number;
}

/** A partition some parked fetch reads, and its HW when last looked at. */
interface WatchedPartition {
  readonly topic: string;
  readonly partition: number;
  hw: number;
}

const decodeAddress = (a: string): { host: string; port: number } | undefined => {
  const i = a.lastIndexOf(':');
  const port = Number(a.slice(i + 1));
  return i > 0 && Number.isSafeInteger(port) ? { host: a.slice(0, i), port } : undefined;
};

/** A batch of an idempotent producer (the others carry producer id -1 and no sequence). */
const idempotent = (b: { readonly producerId: number }): boolean => b.producerId !== NO_PRODUCER_ID;

function produceErrorCode(error: string): number {
  switch (error) {
    case 'NOT_LEADER_OR_FOLLOWER':
      return KafkaError.NOT_LEADER_OR_FOLLOWER;
    case 'NOT_ENOUGH_REPLICAS':
      return KafkaError.NOT_ENOUGH_REPLICAS;
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
      return KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
    default:
      return KafkaError.UNKNOWN_SERVER_ERROR;
  }
}

export class ReplicatedKafkaBackend implements KafkaBackend {
  private readonly proposer: Proposer;
  readonly groups: ReplicatedGroups;
  /** Long polls, parked as the single broker parks them (fetch-waiters.ts). */
  private readonly waiters = new FetchWaiters();
  /** The partitions parked fetches read: a moved HW wakes their fetches after a node step. */
  private readonly watched = new Map<string, WatchedPartition>();
  /** Produces of a retried batch, waiting for the HW to pass the offsets it already has. */
  private hwWaiters: { log: PartitionLog; end: number; done: () => void }[] = [];
  /**
   * Idempotent-producer state of each partition this broker leads, by leader epoch: rebuilt
   * from the log when an epoch first needs it, so a new leader answers as the old one would.
   */
  private readonly producers = new Map<string, { epoch: number; state: PartitionProducerState }>();
  private closed = false;
  private readonly mutant: ReplicatedBrokerMutant | undefined;
  private readonly timeIndexes = new ReplicatedTimeIndexes();

  constructor(
    private readonly host: ReplicatedKafkaHost,
    o: ReplicatedBackendOptions = {},
  ) {
    if (o.mutant !== undefined && !REPLICATED_BROKER_MUTANTS.includes(o.mutant)) {
      throw new RangeError(`unknown replicated broker mutant ${String(o.mutant)}`);
    }
    this.mutant = o.mutant;
    this.proposer = new Proposer(host);
    this.groups = new ReplicatedGroups(
      host,
      this.proposer,
      {
        initialRebalanceDelayMs: o.groupInitialRebalanceDelayMs ?? 0,
        ...(o.groupMinSessionTimeoutMs !== undefined
          ? { minSessionTimeoutMs: o.groupMinSessionTimeoutMs }
          : {}),
      },
      o.groupMutant,
    );
  }

  /** The address is set on the node before it starts (replicated-port.ts). */
  advertise(): void {}

  private brokerId(id: NodeId): number {
    const i = this.host.cluster.indexOf(id);
    if (i < 0) throw new RangeError(`${id} is not a member of the cluster`);
    return i + 1;
  }

  private nodeOf(brokerId: number): NodeId | undefined {
    return this.host.cluster[brokerId - 1];
  }

  private get machine() {
    return this.host.node.machine;
  }

  /** Live brokers as the applied metadata has them. */
  private brokers(): BrokerAddress[] {
    const out: BrokerAddress[] = [];
    for (const id of this.host.cluster) {
      const b = this.machine.broker(id);
      const a = b?.address !== undefined ? decodeAddress(b.address) : undefined;
      if (b === undefined || b.fenced || a === undefined) continue;
      out.push({ nodeId: this.brokerId(id), ...a });
    }
    return out;
  }

  private topicInfo(name: string): TopicInfo {
    const count = this.machine.topicList.find(([t]) => t === name)?.[1];
    if (count === undefined) {
      return {
        name,
        errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
        internal: false,
        partitions: [],
      };
    }
    const partitions: PartitionInfo[] = [];
    for (let i = 0; i < count; i++) {
      const pn = this.machine.partitionNameOf(name, i);
      const p = pn === undefined ? undefined : this.machine.partition(pn);
      if (p === undefined) continue;
      partitions.push({
        partition: i,
        errorCode: p.leader === null ? KafkaError.LEADER_NOT_AVAILABLE : KafkaError.NONE,
        leader: p.leader === null ? -1 : this.brokerId(p.leader),
        replicas: p.replicas.map((r) => this.brokerId(r)),
        isr: p.isr.map((r) => this.brokerId(r)),
      });
    }
    return { name, errorCode: KafkaError.NONE, internal: false, partitions };
  }

  async metadata(
    topics: readonly string[] | null,
    allowAutoCreate: boolean,
  ): Promise<ClusterMetadata> {
    await this.untilServing();
    const names = topics ?? this.machine.topicList.map(([t]) => t);
    if (allowAutoCreate && topics !== null) {
      const missing = topics.filter((t) => !this.machine.hasTopic(t) && validTopicName(t));
      if (missing.length > 0) {
        await this.createTopics(
          missing.map((name) => ({
            name,
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [],
            configs: [],
          })),
          false,
        );
      }
    }
    const brokers = this.brokers();
    const me = this.brokerId(this.host.id);
    return {
      clusterId: 'truthkit-kafka',
      // As a KRaft broker does: clients send admin requests to any broker, which forwards them
      // to the active controller; this one does so through the metadata log.
      controllerId: brokers.some((b) => b.nodeId === me) ? me : (brokers[0]?.nodeId ?? -1),
      brokers,
      topics: names.map((n) => this.topicInfo(n)),
    };
  }

  /**
   * Waits (bounded) until this broker is registered and unfenced in the metadata it has applied:
   * a KRaft broker serves clients only once caught up, so none is told of a cluster without it.
   */
  private async untilServing(): Promise<void> {
    const deadline = Date.now() + SERVING_WAIT_MS;
    while (!this.closed && Date.now() < deadline) {
      const b = this.machine.broker(this.host.id);
      if (b !== undefined && !b.fenced && b.address !== undefined) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The partition's leader replica on this node, or the error a client gets. */
  private leaderLog(topic: string, partition: number) {
    if (!this.machine.hasTopic(topic)) return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    const name = this.machine.partitionNameOf(topic, partition);
    if (name === undefined || this.machine.partition(name) === undefined) {
      return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    }
    const role = this.host.node.replicas.roleOf(name);
    return role?.kind === 'leader' ? role.leader.log : KafkaError.NOT_LEADER_OR_FOLLOWER;
  }

  async produce(
    topic: string,
    partition: number,
    records: Uint8Array,
    acks: number,
    timeoutMs: number,
  ): Promise<ProduceResult> {
    const fail = (errorCode: number): ProduceResult => ({
      errorCode,
      baseOffset: -1,
      logStartOffset: -1,
    });
    if (acks !== 0 && acks !== 1 && acks !== -1) return fail(KafkaError.INVALID_REQUEST);
    const log = this.leaderLog(topic, partition);
    if (typeof log === 'number') return fail(log);
    const batches: Json[] = [];
    try {
      for (let at = 0; at < records.length;) {
        const h = readBatchHeader(records, at, this.mutant !== 'no-crc-check');
        if (h.recordCount < 1) throw new BatchError('count', 'an empty batch');
        const bytes = records.subarray(at, at + h.sizeInBytes);
        batches.push({
          count: h.lastOffsetDelta + 1,
          producerId: Number(h.producerId),
          producerEpoch: h.producerEpoch,
          baseSequence: h.baseSequence,
          maxTimestamp: Math.max(0, Number(h.maxTimestamp)),
          payload: Buffer.from(bytes).toString('base64'),
        });
        at += h.sizeInBytes;
      }
    } catch (e) {
      if (e instanceof BatchError) return fail(KafkaError.CORRUPT_MESSAGE);
      throw e;
    }
    if (batches.length === 0) return fail(KafkaError.INVALID_REQUEST);
    const name = this.machine.partitionNameOf(topic, partition);
    if (name === undefined) return fail(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    const producers = this.producerState(name, log);
    const replies: Promise<ClientReply>[] = [];
    for (const batch of batches) {
      const b = batch as unknown as BatchInput;
      const header = { ...b, recordCount: b.count };
      let verdict: BatchVerdict = { kind: 'append' };
      try {
        if (producers !== undefined && idempotent(b)) verdict = producers.check(header);
      } catch (e) {
        if (e instanceof ProducerBatchError) return fail(KafkaError.CORRUPT_MESSAGE);
        throw e;
      }
      if (verdict.kind === 'refuse') return fail(verdict.errorCode);
      if (verdict.kind === 'duplicate') {
        // Already in the log: answered with its offset once as durable as acks asks.
        const end = verdict.baseOffset + b.count;
        replies.push(
          this.afterHw(log, acks === -1 ? end : 0).then(() => ({
            ok: true,
            value: { offset: verdict.baseOffset },
          })),
        );
        continue;
      }
      // The leader appends at its LEO within this call (or refuses, definitely).
      if (idempotent(b)) producers?.append({ ...header, baseOffset: log.leo });
      replies.push(
        new Promise<ClientReply>((resolve) => {
          const op = { f: 'produce-batch', partition: name, acks: acks === -1 ? 'all' : 1, batch };
          this.host.submit('kafka-wire-produce', 0, op, (reply) => {
            // A refused batch is not in the log: the state is rebuilt from what is.
            if (!reply.ok && reply.definite === true) this.producers.delete(name);
            resolve(reply);
          });
        }),
      );
    }
    if (acks === 0) return { errorCode: KafkaError.NONE, baseOffset: -1, logStartOffset: 0 };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(1, timeoutMs));
    });
    const answered = await Promise.race([Promise.all(replies), timeout]);
    clearTimeout(timer);
    if (answered === 'timeout') return fail(KafkaError.REQUEST_TIMED_OUT);
    for (const r of answered) if (!r.ok) return fail(produceErrorCode(r.error));
    const first = (answered[0] as ClientReply & { ok: true }).value as { offset?: unknown } | null;
    if (typeof first?.offset !== 'number') throw new RangeError('produce answered no offset');
    return { errorCode: KafkaError.NONE, baseOffset: first.offset, logStartOffset: 0 };
  }

  private producerState(name: string, log: PartitionLog): PartitionProducerState | undefined {
    if (this.mutant === 'no-producer-state') return undefined;
    const role = this.host.node.replicas.roleOf(name);
    if (role?.kind !== 'leader') return undefined;
    const have = this.producers.get(name);
    if (have !== undefined && have.epoch === role.leader.epoch) return have.state;
    const state = PartitionProducerState.rebuildFrom(
      log
        .read(0, log.leo, Number.MAX_SAFE_INTEGER)
        .filter(idempotent)
        .map((b) => ({
          producerId: b.producerId,
          producerEpoch: b.producerEpoch,
          baseSequence: b.baseSequence,
          recordCount: b.count,
          baseOffset: b.baseOffset,
        })),
    );
    this.producers.set(name, { epoch: role.leader.epoch, state });
    return state;
  }

  /** Resolves once `log`'s HW reaches `end`. */
  private afterHw(log: PartitionLog, end: number): Promise<void> {
    if (log.hw >= end) return Promise.resolve();
    return new Promise((done) => this.hwWaiters.push({ log, end, done }));
  }

  /** One partition's answer now, and the HW it saw. */
  private fetchOne(
    topic: string,
    partition: number,
    fetchOffset: number,
    maxBytes: number,
  ): FetchedPartition {
    const empty = new Uint8Array(0);
    const log = this.leaderLog(topic, partition);
    const answer = (errorCode: number, hw = -1, records: Uint8Array = empty): FetchedPartition => ({
      topic,
      partition,
      errorCode,
      highWatermark: hw,
      logStartOffset: hw < 0 ? -1 : 0,
      records,
    });
    if (typeof log === 'number') return answer(log);
    const hw = log.hw;
    if (fetchOffset < 0 || fetchOffset > log.leo) return answer(KafkaError.OFFSET_OUT_OF_RANGE, hw);
    const end = this.mutant === 'fetch-past-hw' ? log.leo : hw;
    const parts: Buffer[] = [];
    let bytes = 0;
    let from = fetchOffset;
    while (from < end && bytes < maxBytes) {
      const batches: StoredBatch[] = log.read(from, end, READ_BATCHES);
      if (batches.length === 0) break;
      for (const b of batches) {
        from = b.baseOffset + b.count;
        if (typeof b.payload !== 'string') continue; // the simulator's records, not wire bytes
        const data = Buffer.from(b.payload, 'base64');
        if (bytes > 0 && bytes + data.length > maxBytes) {
          from = end;
          break;
        }
        stampBatch(data, 0, BigInt(b.baseOffset), b.leaderEpoch);
        parts.push(data);
        bytes += data.length;
      }
    }
    return answer(KafkaError.NONE, hw, Buffer.concat(parts));
  }

  private fetchNow(q: FetchQuery): { parts: FetchedPartition[]; bytes: number; errors: boolean } {
    const parts: FetchedPartition[] = [];
    let bytes = 0;
    let errors = false;
    for (const p of q.partitions) {
      const left = Math.max(1, Math.min(p.maxBytes, q.maxBytes - bytes));
      const r = this.fetchOne(p.topic, p.partition, p.fetchOffset, left);
      parts.push(r);
      bytes += r.records.length;
      if (r.errorCode !== KafkaError.NONE) errors = true;
    }
    return { parts, bytes, errors };
  }

  fetch(query: FetchQuery): Promise<FetchedPartition[]> {
    const minBytes = Math.max(1, query.minBytes);
    const now = this.fetchNow(query);
    if (now.errors || now.bytes >= minBytes || query.maxWaitMs <= 0 || this.closed) {
      return Promise.resolve(now.parts);
    }
    const keys = query.partitions.map((p, i) => {
      const key = partitionKey(p.topic, p.partition);
      const hw = (now.parts[i] as FetchedPartition).highWatermark;
      this.watched.set(key, { topic: p.topic, partition: p.partition, hw });
      return key;
    });
    return new Promise((resolve) =>
      this.waiters.park(
        {
          keys,
          attempt: () => {
            const r = this.fetchNow(query);
            if (!r.errors && r.bytes < minBytes) return false;
            resolve(r.parts);
            return true;
          },
          expire: () => resolve(this.fetchNow(query).parts),
        },
        query.maxWaitMs,
      ),
    );
  }

  /** After every node step: fetches whose partitions' HW moved look again. */
  afterStep(): void {
    this.groups.check();
    if (this.hwWaiters.length > 0) {
      const passed = this.hwWaiters.filter((w) => w.log.hw >= w.end);
      this.hwWaiters = this.hwWaiters.filter((w) => w.log.hw < w.end);
      for (const w of passed) w.done();
    }
    if (this.waiters.size === 0) {
      this.watched.clear();
      return;
    }
    for (const [key, w] of this.watched) {
      const log = this.leaderLog(w.topic, w.partition);
      const hw = typeof log === 'number' ? -1 : log.hw;
      if (hw === w.hw) continue;
      w.hw = hw;
      this.waiters.progressed(key);
    }
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<ListedOffset> {
    const log = this.leaderLog(topic, partition);
    if (typeof log === 'number') return { errorCode: log, offset: -1, timestamp: -1 };
    const hw = log.hw;
    if (timestamp === -2) return { errorCode: KafkaError.NONE, offset: 0, timestamp: -1 };
    if (timestamp === -1) return { errorCode: KafkaError.NONE, offset: hw, timestamp: -1 };
    const found = this.timeIndexes.offsetForTime(log, hw, timestamp);
    return found === undefined
      ? { errorCode: KafkaError.NONE, offset: -1, timestamp: -1 }
      : { errorCode: KafkaError.NONE, ...found };
  }

  async createTopics(
    topics: readonly TopicToCreate[],
    validateOnly: boolean,
  ): Promise<TopicResult[]> {
    return Promise.all(topics.map((t) => this.createTopic(t, validateOnly)));
  }

  private async createTopic(t: TopicToCreate, validateOnly: boolean): Promise<TopicResult> {
    const result = (errorCode: number, errorMessage: string | null = null): TopicResult => ({
      name: t.name,
      errorCode,
      errorMessage,
    });
    if (!validTopicName(t.name)) return result(KafkaError.INVALID_TOPIC_EXCEPTION, 'bad name');
    if (this.machine.hasTopic(t.name)) return result(KafkaError.TOPIC_ALREADY_EXISTS);
    const cluster = this.host.cluster;
    let replicas: string[][];
    if (t.assignments.length > 0) {
      replicas = [];
      for (const a of [...t.assignments].sort((x, y) => x.partition - y.partition)) {
        const ids = a.brokers.map((b) => this.nodeOf(b));
        if (
          a.partition !== replicas.length ||
          ids.length === 0 ||
          ids.some((i) => i === undefined)
        ) {
          return result(KafkaError.INVALID_REQUEST, 'bad replica assignment');
        }
        replicas.push(ids as string[]);
      }
    } else {
      const n = t.numPartitions === -1 ? DEFAULT_PARTITIONS : t.numPartitions;
      const rf =
        t.replicationFactor === -1
          ? Math.min(DEFAULT_REPLICATION, cluster.length)
          : t.replicationFactor;
      if (!Number.isSafeInteger(n) || n < 1 || n > 1024) {
        return result(KafkaError.INVALID_PARTITIONS, `${n} partitions`);
      }
      if (!Number.isSafeInteger(rf) || rf < 1 || rf > cluster.length) {
        return result(
          KafkaError.INVALID_REPLICATION_FACTOR,
          `replication factor ${rf}: the cluster has ${cluster.length} brokers`,
        );
      }
      // Partition i's replicas start at broker i: leaders spread over the cluster.
      replicas = Array.from({ length: n }, (_, i) =>
        Array.from({ length: rf }, (_, k) => cluster[(i + k) % cluster.length] as string),
      );
    }
    if (validateOnly) return result(KafkaError.NONE);
    try {
      const v = await this.proposer.propose(
        { f: 'meta', op: { kind: 'create-topic', topic: t.name, replicas } },
        ADMIN_DEADLINE_MS,
      );
      return v === true
        ? result(KafkaError.NONE)
        : result(KafkaError.TOPIC_ALREADY_EXISTS, String(v));
    } catch (e) {
      if (e instanceof NoQuorumError) return result(KafkaError.REQUEST_TIMED_OUT, e.message);
      throw e;
    }
  }

  deleteTopics(names: readonly string[]): Promise<TopicResult[]> {
    return deleteTopicsThroughLog(this.machine, this.proposer, names, ADMIN_DEADLINE_MS);
  }

  async initProducerId(transactionalId: string | null): Promise<ProducerIdResult> {
    if (transactionalId !== null) {
      return {
        errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1,
        producerEpoch: -1,
      };
    }
    try {
      const id = await this.proposer.propose(
        { f: 'meta', op: { kind: 'alloc-producer-id' } },
        ADMIN_DEADLINE_MS,
      );
      if (typeof id !== 'number') throw new RangeError(`producer id ${JSON.stringify(id)}`);
      return { errorCode: KafkaError.NONE, producerId: id, producerEpoch: 0 };
    } catch (e) {
      if (e instanceof NoQuorumError) {
        return { errorCode: KafkaError.REQUEST_TIMED_OUT, producerId: -1, producerEpoch: -1 };
      }
      throw e;
    }
  }

  async findCoordinator(): Promise<{ errorCode: number; broker: BrokerAddress | null }> {
    const leader = this.host.node.raft.leader;
    const broker =
      leader === null ? undefined : this.brokers().find((b) => b.nodeId === this.brokerId(leader));
    return broker === undefined
      ? { errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE, broker: null }
      : { errorCode: KafkaError.NONE, broker };
  }

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResponse> {
    return this.groups.ask((c, requestId, now) => c.joinGroup({ ...req, requestId }, now));
  }

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    return this.groups.ask((c, requestId, now) => c.syncGroup({ ...req, requestId }, now));
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.groups.ask((c, requestId, now) => c.heartbeat({ ...req, requestId }, now));
  }

  leaveGroup(req: LeaveGroupRequest): Promise<LeaveGroupResponse> {
    return this.groups.ask((c, requestId, now) => c.leaveGroup({ ...req, requestId }, now));
  }

  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    return this.groups.ask((c, requestId, now) => c.commitOffsets({ ...req, requestId }, now));
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

  /** Parked long polls are answered now, later fetches at once (the port is draining). */
  quiesce(): void {
    this.closed = true;
    this.waiters.expireAll();
  }

  async close(): Promise<void> {
    this.quiesce();
    this.groups.close();
  }
}
