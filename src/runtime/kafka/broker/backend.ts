/**
 * What the Kafka wire front end (server.ts) asks of the data behind it. The front end owns bytes,
 * connections and reply order; the backend owns topics, partition logs, producer state, consumer
 * groups and, in a replicated broker, replication. Anything whose answer waits on durability or on
 * other clients (a produce's fsync, a long-poll fetch, a JoinGroup held until the rebalance
 * completes) is a promise; the front end still answers each connection in request order.
 *
 * Numbers are JS numbers where the log keeps them so (offsets are safe integers, see
 * segment-log.ts); the group calls take and give the coordinator's own types
 * (src/systems/kafka/group-types.ts), whose opaque client bytes are base64 strings.
 */
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  DescribedGroup,
  ListedGroup,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../../../systems/kafka/group-types.js';

export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface PartitionInfo {
  readonly partition: number;
  /** NONE, or e.g. LEADER_NOT_AVAILABLE while a replicated partition elects. */
  readonly errorCode: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  /** NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION … */
  readonly errorCode: number;
  readonly internal: boolean;
  readonly partitions: readonly PartitionInfo[];
}

export interface ClusterMetadata {
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: readonly BrokerAddress[];
  readonly topics: readonly TopicInfo[];
}

export interface ProduceResult {
  readonly errorCode: number;
  /** The offset of the first record written (or already written, for a retried batch); -1 on error. */
  readonly baseOffset: number;
  readonly logStartOffset: number;
}

export interface FetchPartitionQuery {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

export interface FetchQuery {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitions: readonly FetchPartitionQuery[];
}

export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Whole batches as stored, none at or past the high watermark. */
  readonly records: Uint8Array;
}

export interface ListedOffset {
  readonly errorCode: number;
  /** -1 when no record has a timestamp at or after the one asked. */
  readonly offset: number;
  readonly timestamp: number;
}

export interface TopicToCreate {
  readonly name: string;
  /** -1: the broker's default. */
  readonly numPartitions: number;
  /** -1: the broker's default. */
  readonly replicationFactor: number;
  /** Explicit replica layout, partition by partition (empty: the broker chooses). */
  readonly assignments: readonly {
    readonly partition: number;
    readonly brokers: readonly number[];
  }[];
  readonly configs: readonly { readonly name: string; readonly value: string | null }[];
}

export interface TopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface ProducerIdResult {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface KafkaBackend {
  /** Where this broker's clients reach it (the port calls it once it listens). */
  advertise(address: { readonly host: string; readonly port: number }): void;
  /**
   * The cluster and the topics asked for (null: every topic). With `allowAutoCreate` a topic that
   * does not exist is created when the broker allows auto-creation.
   */
  metadata(topics: readonly string[] | null, allowAutoCreate: boolean): Promise<ClusterMetadata>;
  /**
   * Appends one partition's records (whole v2 batches, as the producer sent them). Resolves once
   * the batches are as durable as `acks` asks (0: not waited for at all; 1 and -1: see the backend).
   */
  produce(
    topic: string,
    partition: number,
    records: Uint8Array,
    acks: number,
    timeoutMs: number,
  ): Promise<ProduceResult>;
  /**
   * A consumer's fetch: answered at once when at least `minBytes` are readable below the high
   * watermarks (or an error is to be reported), else when enough arrive or `maxWaitMs` passes.
   */
  fetch(query: FetchQuery): Promise<FetchedPartition[]>;
  /** -2: the log start; -1: the high watermark; otherwise the first offset at or after that time. */
  listOffset(topic: string, partition: number, timestamp: number): Promise<ListedOffset>;
  createTopics(topics: readonly TopicToCreate[], validateOnly: boolean): Promise<TopicResult[]>;
  deleteTopics(names: readonly string[]): Promise<TopicResult[]>;
  /** Idempotent producers only: a non-null transactional id is refused. */
  initProducerId(transactionalId: string | null): Promise<ProducerIdResult>;
  /** The broker that coordinates `groupId`, or an error code (COORDINATOR_NOT_AVAILABLE …). */
  findCoordinator(groupId: string): Promise<{ errorCode: number; broker: BrokerAddress | null }>;
  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResponse>;
  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse>;
  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse>;
  leaveGroup(req: LeaveGroupRequest): Promise<LeaveGroupResponse>;
  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse>;
  fetchOffsets(req: OffsetFetchRequest): Promise<OffsetFetchResponse>;
  describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]>;
  listGroups(): Promise<ListedGroup[]>;
  /**
   * The port is shutting down: answer parked long polls now with what there is, and answer later
   * fetches at once, so draining connections does not wait out their maxWait.
   */
  quiesce(): void;
  /** Answers what is waiting (long polls, held joins with an error), then closes storage. */
  close(): Promise<void>;
}
