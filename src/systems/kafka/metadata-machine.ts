/**
 * The metadata state machine of the KRaft-style controller quorum: what applying the metadata
 * log (metadata-records.ts) in order builds on every node — brokers with their incarnation and
 * fencing, topics and partitions with replicas, leader, leader epoch, ISR and partition epoch,
 * and consumer groups' committed offsets. Leader elections happen here, on apply, so every node
 * computes the same outcome from the same records: a broker fenced or started anew leaves the ISRs
 * it was in (the last member stays, as Kafka keeps it) and hands over what it led; a broker
 * unfenced takes the lead of partitions left without one. Brokers act only on what they applied.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import type { Command } from '../../protocols/raft/messages.js';
import type { StateMachine } from '../../protocols/raft/state-machine.js';
import type { PartitionAssignment } from '../../protocols/isr/replica-manager.js';
import { isMetadataOp, partitionName, type MetadataOp } from './metadata-records.js';
import { parseGroupRecord, recordKey, type GroupRecord } from './group-records.js';
import { metadataSnapshotProblem } from './metadata-snapshot-schema.js';
import { electLeader } from './partition-election.js';
import { replicaPartitionName } from './topic-ids.js';

const NONE: readonly string[] = Object.freeze([]);

export interface BrokerRecord {
  readonly incarnation: number;
  readonly fenced: boolean;
  /** Where a real broker's Kafka clients reach it (`host:port`); none in the simulator. */
  readonly address?: string;
}

interface Session {
  readonly seq: number;
  readonly result: Json;
}

/** A live topic: its partition count and its id (topic-ids.ts). */
interface TopicEntry {
  readonly partitions: number;
  readonly id: number;
  /** Its name belonged to a topic deleted before: its partitions' names carry its id. */
  readonly reused: boolean;
}

/** A deleted topic: the names its partitions had, never used again. */
export interface DeletedTopic {
  readonly topic: string;
  readonly id: number;
  readonly partitions: readonly string[];
}

interface MetadataSnapshot {
  readonly brokers: readonly (readonly [NodeId, BrokerRecord])[];
  /**
   * Name, partitions and, once any topic was deleted, id. Until then every topic's id is its place
   * in this list (ids count creations), so the simulator's snapshots stay as they were.
   */
  readonly topics: readonly (readonly [string, number] | readonly [string, number, number])[];
  /** Topics deleted so far, oldest first (absent when none). */
  readonly deleted?: readonly DeletedTopic[];
  readonly partitions: readonly PartitionAssignment[];
  readonly offsets: readonly (readonly [string, Readonly<Record<string, number>>])[];
  readonly sessions: readonly (readonly [string, number, Json])[];
  /** The wire broker's live group records, oldest first (absent when there are none). */
  readonly groups?: readonly Json[];
  /** Producer ids handed out so far (absent when none). */
  readonly producerIds?: number;
}

export class MetadataMachine implements StateMachine {
  private brokers = new Map<NodeId, BrokerRecord>();
  private topics = new Map<string, TopicEntry>();
  private deleted: DeletedTopic[] = [];
  /** Partition names of deleted topics (each name is used by one topic only, ever). */
  private deletedNames = new Set<string>();
  /** Partitions deleted since the node last took them: their replicas drop their data. */
  private dropped = new Set<string>();
  private parts = new Map<string, PartitionAssignment>();
  private offsets = new Map<string, Record<string, number>>();
  private sessions = new Map<string, Session>();
  /** The last group record per compaction key (recordKey), in order of their last write. */
  private groups = new Map<string, GroupRecord>();
  private producerIds = 0;
  /** Partitions changed since the node last took them (`takeChanged`). */
  private changed = new Set<string>();
  /** Leaders elected from outside the ISR (unclean elections), counted. */
  uncleanElections = 0;

  /**
   * `reuseNames`: the `reuse-partition-names` mutant — a topic created under a deleted one's name
   * names its partitions as the deleted one did, so their leader epochs start again at 0 where
   * replicas already acted in later ones.
   */
  constructor(
    private readonly unclean: boolean,
    private readonly reuseNames = false,
  ) {}

  broker(id: NodeId): BrokerRecord | undefined {
    return this.brokers.get(id);
  }

  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Topics and their partition counts. */
  get topicList(): readonly (readonly [string, number])[] {
    return [...this.topics.entries()].map(([t, e]) => [t, e.partitions] as const);
  }

  /** The id of the live topic `topic` (topic-ids.ts). */
  topicId(topic: string): number | undefined {
    return this.topics.get(topic)?.id;
  }

  private namesOf(topic: string, e: TopicEntry): string[] {
    return Array.from({ length: e.partitions }, (_, i) =>
      replicaPartitionName(topic, i, e.id, e.reused),
    );
  }

  /** The replicas' name of partition `i` of the live topic `topic` (undefined: no such). */
  partitionNameOf(topic: string, i: number): string | undefined {
    const e = this.topics.get(topic);
    if (e === undefined || !Number.isSafeInteger(i) || i < 0 || i >= e.partitions) return undefined;
    return replicaPartitionName(topic, i, e.id, e.reused);
  }

  /**
   * The partition names of `topic` as it is, or as it was when last deleted, or (never created)
   * its plain names: where a group's committed offsets of the topic are kept.
   */
  partitionNamesOf(topic: string, partitions: number): string[] {
    const e = this.topics.get(topic);
    if (e !== undefined) return this.namesOf(topic, e);
    const last = this.deleted.findLast((d) => d.topic === topic);
    if (last !== undefined) return [...last.partitions];
    return Array.from({ length: partitions }, (_, i) => partitionName(topic, i));
  }

  /** Every partition name of a topic since deleted. */
  get deletedPartitionNames(): readonly string[] {
    return [...this.deletedNames];
  }

  /** Whether `name` was a partition of a topic since deleted. */
  isDeletedPartition(name: string): boolean {
    return this.deletedNames.has(name);
  }

  get deletedTopics(): readonly DeletedTopic[] {
    return this.deleted;
  }

  /** Partitions deleted (or found deleted in a snapshot) since the last call. */
  takeDropped(): readonly string[] {
    if (this.dropped.size === 0) return NONE; // every node step asks
    const out = [...this.dropped];
    this.dropped.clear();
    return out;
  }

  /** The live group records, in the order a coordinator replays them. */
  get groupRecords(): readonly GroupRecord[] {
    return [...this.groups.values()];
  }

  partition(name: string): PartitionAssignment | undefined {
    return this.parts.get(name);
  }

  get partitionList(): readonly PartitionAssignment[] {
    return [...this.parts.values()];
  }

  get brokerIds(): readonly NodeId[] {
    return [...this.brokers.keys()];
  }

  takeChanged(): PartitionAssignment[] {
    const out: PartitionAssignment[] = [];
    for (const name of this.changed) {
      const p = this.parts.get(name);
      if (p !== undefined) out.push(p);
    }
    this.changed.clear();
    return out;
  }

  valid(op: Json): boolean {
    return isMetadataOp(op);
  }

  isRead(op: Json): boolean {
    return (op as unknown as MetadataOp).kind === 'offset-fetch';
  }

  read(op: Json): Json {
    const o = op as unknown as MetadataOp;
    if (o.kind !== 'offset-fetch') return null;
    const committed = this.offsets.get(o.group) ?? {};
    const out: Record<string, Json> = {};
    for (const p of o.partitions) out[p] = committed[p] ?? null;
    return out;
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  apply(command: Command): Json {
    const s = this.sessions.get(command.client);
    // Already applied (a duplicate in the log): answer from the session, change nothing.
    if (s !== undefined && command.seq <= s.seq) return command.seq === s.seq ? s.result : null;
    const result = this.applyOp(command.op as unknown as MetadataOp);
    this.sessions.set(command.client, { seq: command.seq, result });
    return result;
  }

  private live = (id: NodeId): boolean => this.brokers.get(id)?.fenced === false;

  private set(p: PartitionAssignment): void {
    this.parts.set(p.partition, p);
    this.changed.add(p.partition);
  }

  private applyOp(op: MetadataOp): Json {
    switch (op.kind) {
      case 'register': {
        const b = this.brokers.get(op.broker);
        if (b !== undefined && b.incarnation >= op.incarnation) return 'STALE_BROKER_EPOCH';
        this.brokers.set(op.broker, {
          incarnation: op.incarnation,
          fenced: true,
          ...(op.address !== undefined ? { address: op.address } : {}),
        });
        // The broker's earlier life ended: whatever it led gets a new epoch (a new leader, or
        // none), so its new life never acts in an epoch its old one acted in.
        this.leaveIsrs(op.broker);
        return true;
      }
      case 'fence': {
        const b = this.brokers.get(op.broker);
        if (b === undefined || b.incarnation !== op.incarnation || b.fenced) return false;
        this.brokers.set(op.broker, { ...b, fenced: true });
        this.leaveIsrs(op.broker);
        return true;
      }
      case 'unfence': {
        const b = this.brokers.get(op.broker);
        if (b === undefined || b.incarnation !== op.incarnation || !b.fenced) return false;
        this.brokers.set(op.broker, { ...b, fenced: false });
        for (const p of this.parts.values()) {
          if (p.leader === null && p.replicas.includes(op.broker)) this.elect(p, p.isr);
        }
        return true;
      }
      case 'create-topic': {
        if (this.topics.has(op.topic)) return 'TOPIC_ALREADY_EXISTS';
        const entry: TopicEntry = {
          partitions: op.replicas.length,
          // Ids count creations: every topic created is live or deleted.
          id: this.topics.size + this.deleted.length,
          reused: !this.reuseNames && this.deleted.some((d) => d.topic === op.topic),
        };
        this.topics.set(op.topic, entry);
        op.replicas.forEach((replicas, i) => {
          // A new partition's logs are all empty, so every replica is in sync.
          const e = electLeader(replicas, replicas, this.live, false);
          this.set({
            partition: replicaPartitionName(op.topic, i, entry.id, entry.reused),
            replicas,
            leader: e.leader,
            leaderEpoch: 0,
            isr: replicas,
            partitionEpoch: 0,
          });
        });
        return true;
      }
      case 'delete-topic':
        return this.deleteTopic(op.topic);
      case 'alter-partition':
        return this.alterPartition(op);
      case 'offset-commit': {
        this.offsets.set(op.group, { ...(this.offsets.get(op.group) ?? {}), ...op.offsets });
        return true;
      }
      case 'offset-fetch':
        return null;
      case 'group-records':
        for (const r of op.records) {
          const record = parseGroupRecord(r);
          const key = recordKey(record);
          this.groups.delete(key);
          // A deletion's tombstone supersedes what it deletes and is then not needed.
          if (record.type !== 'offset-delete' && record.type !== 'group-delete') {
            this.groups.set(key, record);
          }
        }
        return true;
      case 'alloc-producer-id':
        return this.producerIds++;
    }
  }

  /**
   * The topic and its partitions go; the names are kept as tombstones, so that every broker, also
   * one that learns of the deletion from a snapshot, drops its replicas' data of them. Committed
   * offsets stay: they are kept by these names, which no later topic has.
   */
  private deleteTopic(topic: string): Json {
    const e = this.topics.get(topic);
    if (e === undefined) return 'UNKNOWN_TOPIC_OR_PARTITION';
    const names = this.namesOf(topic, e);
    this.topics.delete(topic);
    for (const n of names) {
      this.parts.delete(n);
      this.changed.delete(n);
      this.deletedNames.add(n);
      this.dropped.add(n);
    }
    this.deleted.push({ topic, id: e.id, partitions: names });
    return true;
  }

  private alterPartition(op: Extract<MetadataOp, { kind: 'alter-partition' }>): Json {
    const p = this.parts.get(op.partition);
    if (p === undefined) return 'UNKNOWN_TOPIC_OR_PARTITION';
    if (p.leader !== op.broker) return 'NOT_LEADER_OR_FOLLOWER';
    if (p.leaderEpoch !== op.leaderEpoch) return 'FENCED_LEADER_EPOCH';
    if (p.partitionEpoch !== op.partitionEpoch) return 'INVALID_UPDATE_VERSION';
    const ok =
      op.isr.includes(op.broker) &&
      op.isr.every((r) => p.replicas.includes(r)) &&
      op.isr.every((r) => p.isr.includes(r) || this.live(r));
    if (!ok) return 'INVALID_REQUEST';
    this.set({ ...p, isr: op.isr, partitionEpoch: p.partitionEpoch + 1 });
    return true;
  }

  /** `broker` is fenced or gone: it leaves every ISR it is in but a last one. */
  private leaveIsrs(broker: NodeId): void {
    for (const p of this.parts.values()) {
      if (!p.isr.includes(broker) && p.leader !== broker) continue;
      const isr = p.isr.length > 1 ? p.isr.filter((r) => r !== broker) : p.isr;
      if (p.leader === broker) this.elect(p, isr);
      else if (isr !== p.isr) this.set({ ...p, isr, partitionEpoch: p.partitionEpoch + 1 });
    }
  }

  /** A new leader epoch for `p`, its leader chosen from `isr` (or none). */
  private elect(p: PartitionAssignment, isr: readonly NodeId[]): void {
    const e = electLeader(p.replicas, isr, this.live, this.unclean);
    if (e.leader === null && p.leader === null) {
      if (isr !== p.isr) this.set({ ...p, isr, partitionEpoch: p.partitionEpoch + 1 });
      return;
    }
    if (e.unclean) this.uncleanElections++;
    this.set({
      ...p,
      leader: e.leader,
      isr: e.isr,
      leaderEpoch: p.leaderEpoch + 1,
      partitionEpoch: p.partitionEpoch + 1,
    });
  }

  snapshot(): Json {
    const snap: MetadataSnapshot = {
      brokers: [...this.brokers.entries()],
      topics: [...this.topics.entries()].map(([t, e]) =>
        this.deleted.length > 0 ? ([t, e.partitions, e.id] as const) : ([t, e.partitions] as const),
      ),
      ...(this.deleted.length > 0
        ? { deleted: this.deleted.map((d) => ({ ...d, partitions: [...d.partitions] })) }
        : {}),
      partitions: [...this.parts.values()],
      offsets: [...this.offsets.entries()],
      sessions: [...this.sessions.entries()].map(([c, s]) => [c, s.seq, s.result] as const),
      // Only when used, so the simulator's snapshots stay as they were.
      ...(this.groups.size > 0 ? { groups: [...this.groups.values()] as unknown as Json[] } : {}),
      ...(this.producerIds > 0 ? { producerIds: this.producerIds } : {}),
    };
    return snap as unknown as Json;
  }

  snapshotProblem(data: Json): string | undefined {
    return metadataSnapshotProblem(data);
  }

  restore(data: Json): void {
    const snap = data as unknown as MetadataSnapshot;
    this.brokers = new Map(snap.brokers.map(([id, b]) => [id, b]));
    this.deleted = (snap.deleted ?? []).map((d) => ({ ...d, partitions: [...d.partitions] }));
    this.deletedNames = new Set(this.deleted.flatMap((d) => d.partitions));
    const deletedTopicNames = new Set(this.deleted.map((d) => d.topic));
    this.topics = new Map(
      snap.topics.map((e, i) => [
        e[0],
        {
          partitions: e[1],
          id: e.length === 3 ? e[2] : i,
          reused: !this.reuseNames && deletedTopicNames.has(e[0]),
        },
      ]),
    );
    // A broker that missed the deletion records (they were compacted away) drops the data here.
    for (const n of this.deletedNames) this.dropped.add(n);
    this.parts = new Map(snap.partitions.map((p) => [p.partition, p]));
    this.offsets = new Map(snap.offsets.map(([g, o]) => [g, { ...o }]));
    this.sessions = new Map(snap.sessions.map(([c, seq, result]) => [c, { seq, result }]));
    this.groups = new Map();
    for (const r of snap.groups ?? []) {
      const record = parseGroupRecord(r);
      this.groups.set(recordKey(record), record);
    }
    this.producerIds = snap.producerIds ?? 0;
    for (const p of this.parts.keys()) this.changed.add(p);
  }

  summary(): Record<string, Json> {
    return {
      brokers: this.brokers.size,
      partitions: this.parts.size,
      groups: this.offsets.size,
      uncleanElections: this.uncleanElections,
    };
  }
}
