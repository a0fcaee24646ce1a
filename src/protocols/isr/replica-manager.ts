/**
 * One broker's replicas of every partition it holds: for each, its log (partition-log.ts) and
 * its role in the partition's current leader epoch — leader (partition-leader.ts), follower
 * (partition-follower.ts) or neither — as the metadata the broker has applied says
 * (`assign`). It routes Fetches and their answers, the fetch timers, produce and read requests,
 * holds long-polling fetches it has nothing for (parked-fetches.ts), and makes the logs' writes
 * durable in batches (one sync in flight at a time).
 */
import type { Json } from '../../core/json.js';
import type { ClientReply, Message, NodeEnv, NodeId, RequestId } from '../../core/node.js';
import type { BatchInput, StoredBatch } from './batch.js';
import type { IsrRecorder } from './invariants.js';
import { IsrInvariantError } from './isr-assert.js';
import type { FetchMsg, IsrMsg } from './messages.js';
import type { IsrMutants } from './mutants.js';
import { ParkedFetches, type ParkingMutant } from './parked-fetches.js';
import { PartitionFollower } from './partition-follower.js';
import { PartitionLeader, type Acks, type AlterIsrRequest } from './partition-leader.js';
import { PartitionLog } from './partition-log.js';

/** A partition as the controller's records describe it. */
export interface PartitionAssignment {
  readonly partition: string;
  readonly replicas: readonly NodeId[];
  /** null: no leader (no eligible replica alive). */
  readonly leader: NodeId | null;
  readonly leaderEpoch: number;
  readonly isr: readonly NodeId[];
  readonly partitionEpoch: number;
}

export interface ReplicaOptions {
  readonly minIsr: number;
  readonly lagTimeMs: number;
  readonly fetchIdleMs: number;
  readonly fetchTimeoutMs: number;
  /** replica.fetch.wait.max.ms: how long a follower's fetch may be held (0: no long poll). */
  readonly fetchWaitMs?: number;
  /** A broken long poll, for the test that catches it (parked-fetches.ts). */
  readonly parkingMutant?: ParkingMutant;
  readonly maxFetchBatches: number;
  readonly mutants: IsrMutants;
  readonly recorder?: IsrRecorder;
}

export const FETCH_TIMER = 'isr-fetch';

type Role =
  | { readonly kind: 'leader'; readonly leader: PartitionLeader }
  | { readonly kind: 'follower'; readonly follower: PartitionFollower }
  | { readonly kind: 'none'; readonly epoch: number };

export type ReadResult =
  | { readonly ok: true; readonly batches: readonly StoredBatch[]; readonly highWatermark: number }
  | { readonly ok: false; readonly error: string; readonly leader: NodeId | null };

export class ReplicaManager {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly roles = new Map<string, Role>();
  /** Partitions' latest assignments, for a client's "who leads it" hint. */
  private readonly assignments = new Map<string, PartitionAssignment>();
  /** Durable log end offset per partition; `generation` moves on every truncation. */
  private readonly durable = new Map<string, { leo: number; generation: number }>();
  private syncing: (() => void)[] | null = null;
  private waitingSync: (() => void)[] = [];
  /** Followers' long polls this broker holds as a leader. */
  private readonly parked: ParkedFetches;

  constructor(
    private readonly env: NodeEnv<Message>,
    private readonly options: ReplicaOptions,
    private readonly alterIsr: (request: AlterIsrRequest) => void,
  ) {
    this.parked = new ParkedFetches(
      {
        setTimer: (delayMs, name, data) => env.setTimer(delayMs, name, data),
        cancelTimer: (id) => env.cancelTimer(id),
        answer: (from, msg) => this.onFetch(from, msg),
      },
      options.parkingMutant,
    );
  }

  get recorder(): IsrRecorder | undefined {
    return this.options.recorder;
  }

  logOf(partition: string): PartitionLog {
    let log = this.logs.get(partition);
    if (log === undefined) {
      log = new PartitionLog(this.env.storage, partition);
      this.logs.set(partition, log);
      // What a restart finds on disk is durable.
      this.durable.set(partition, { leo: log.leo, generation: 0 });
    }
    return log;
  }

  /** Followers' fetches held now, waiting for an append (parked-fetches.ts). */
  get heldFetches(): number {
    return this.parked.size;
  }

  roleOf(partition: string): Role | undefined {
    return this.roles.get(partition);
  }

  get partitions(): readonly string[] {
    return [...this.logs.keys()];
  }

  /** Runs `then` once every write issued so far is on disk; one sync in flight at a time. */
  afterDurable(then: () => void): void {
    if (this.syncing === null && this.env.storage.unsyncedWrites === 0) return then();
    this.waitingSync.push(then);
    this.startSync();
  }

  private startSync(): void {
    if (this.syncing !== null || this.waitingSync.length === 0) return;
    const batch = this.waitingSync;
    this.waitingSync = [];
    this.syncing = batch;
    this.env.storage.sync(() => {
      this.syncing = null;
      for (const f of batch) f();
      this.startSync();
    });
  }

  /** What of `partition`'s log is on disk: known for every log this broker has opened. */
  private durableOf(partition: string): { leo: number; generation: number } {
    const d = this.durable.get(partition);
    if (d === undefined) throw new IsrInvariantError('log-opened', `${partition}: no log opened`);
    return d;
  }

  /** Makes `partition`'s log durable as it stands now, then tells its leader. */
  private flush(partition: string): void {
    const log = this.logOf(partition);
    const d = this.durableOf(partition);
    const leo = log.leo;
    const generation = d.generation;
    this.afterDurable(() => {
      if (d.generation !== generation) return;
      d.leo = Math.max(d.leo, Math.min(leo, log.leo));
      const role = this.roles.get(partition);
      if (role?.kind === 'leader') role.leader.onDurable();
    });
  }

  private truncated(partition: string, to: number): void {
    this.env.metric('isr-truncations');
    const d = this.durableOf(partition);
    d.generation++;
    d.leo = Math.min(d.leo, to);
  }

  /** Acts on the partition as `a` says (the broker applied a record changing it). */
  assign(a: PartitionAssignment): void {
    this.assignments.set(a.partition, a);
    const me = this.env.id;
    const role = this.roles.get(a.partition);
    const epochNow =
      role === undefined
        ? -1
        : role.kind === 'leader'
          ? role.leader.epoch
          : role.kind === 'follower'
            ? role.follower.epoch
            : role.epoch;
    if (a.leaderEpoch < epochNow) return;
    if (a.leaderEpoch === epochNow && role !== undefined) {
      if (role.kind === 'leader') role.leader.isrChanged(a.isr, a.partitionEpoch);
      return;
    }
    this.stop(a.partition);
    if (!a.replicas.includes(me) || a.leader === null) {
      this.roles.set(a.partition, { kind: 'none', epoch: a.leaderEpoch });
      return;
    }
    const log = this.logOf(a.partition);
    this.options.recorder?.acting(me, a.partition, a.leaderEpoch, a.leader === me);
    if (a.leader === me) {
      this.options.recorder?.leading(me, a.partition, a.leaderEpoch, (o) => log.batchAt(o));
      const leader = new PartitionLeader(
        log,
        {
          epoch: a.leaderEpoch,
          isr: a.isr,
          partitionEpoch: a.partitionEpoch,
          replicas: a.replicas,
        },
        {
          minIsr: this.options.minIsr,
          lagTimeMs: this.options.lagTimeMs,
          maxFetchBatches: this.options.maxFetchBatches,
          mutants: this.options.mutants,
        },
        {
          id: me,
          now: () => this.env.now(),
          durableLeo: () => this.durable.get(a.partition)?.leo ?? 0,
          flush: () => this.flush(a.partition),
          alterIsr: (r) => {
            this.env.metric('isr-change-asked');
            this.alterIsr(r);
          },
          reply: (r, reply) => {
            if (!reply.ok) this.env.metric(`produce-${reply.error}`);
            this.env.reply(r, reply);
          },
          committed: (batches) =>
            this.options.recorder?.committed(me, a.partition, a.leaderEpoch, batches),
        },
      );
      this.roles.set(a.partition, { kind: 'leader', leader });
      // What it appended as a follower counts toward the HW once known to be on disk.
      this.flush(a.partition);
      this.env.log('leads partition', { partition: a.partition, epoch: a.leaderEpoch });
      return;
    }
    const follower = new PartitionFollower(
      log,
      a.leader,
      a.leaderEpoch,
      {
        idleMs: this.options.fetchIdleMs,
        timeoutMs: this.options.fetchTimeoutMs,
        waitMs: this.options.fetchWaitMs ?? 0,
        mutants: this.options.mutants,
      },
      {
        send: (to, msg) => this.env.send(to, msg),
        schedule: (delayMs, id) =>
          void this.env.setTimer(delayMs, FETCH_TIMER, { partition: a.partition, id }),
        afterDurable: (then) => this.afterDurable(then),
        truncated: (to) => this.truncated(a.partition, to),
      },
    );
    this.roles.set(a.partition, { kind: 'follower', follower });
    follower.start();
  }

  private stop(partition: string): void {
    const role = this.roles.get(partition);
    if (role?.kind === 'leader') role.leader.resign();
    if (role?.kind === 'follower') role.follower.stop();
    this.roles.delete(partition);
    // Fetches held by the leader it was are answered now, by whatever it is next.
    this.parked.release(partition);
  }

  onMessage(from: NodeId, msg: IsrMsg): void {
    if (msg.type === 'isr-fetch') return this.onFetch(from, msg);
    const role = this.roles.get(msg.partition);
    if (role?.kind === 'follower' && role.follower.leader === from) role.follower.onResponse(msg);
  }

  /** Answers a follower's fetch, or holds it when it long-polls and there is nothing for it. */
  private onFetch(from: NodeId, msg: FetchMsg): void {
    const role = this.roles.get(msg.partition);
    if (role?.kind !== 'leader') {
      this.env.send(from, {
        type: 'isr-fetch-resp',
        partition: msg.partition,
        leaderEpoch: msg.leaderEpoch,
        fetchId: msg.fetchId,
        error: 'NOT_LEADER_OR_FOLLOWER',
        highWatermark: 0,
        batches: [],
        diverging: null,
      } satisfies IsrMsg as Message);
      return;
    }
    const answer = role.leader.onFetch(from, msg);
    const wait = msg.maxWaitMs ?? 0;
    const empty = answer.error === null && answer.diverging === null && answer.batches.length === 0;
    if (wait > 0 && empty) this.parked.park(from, msg, wait);
    else this.env.send(from, answer);
  }

  /** Returns true when the timer was a replica's. */
  onTimer(name: string, data: Json | undefined): boolean {
    if (this.parked.onTimer(name, data)) return true;
    if (name !== FETCH_TIMER) return false;
    const d = data as { partition?: Json; id?: Json } | undefined;
    if (typeof d?.partition !== 'string' || typeof d.id !== 'number') return true;
    const role = this.roles.get(d.partition);
    if (role?.kind === 'follower') role.follower.onTimer(d.id);
    return true;
  }

  /** Periodic work of every partition this broker leads. */
  tick(): void {
    for (const role of this.roles.values()) if (role.kind === 'leader') role.leader.tick();
  }

  /** Where a client should go for `partition`, as far as this broker knows. */
  leaderOf(partition: string): NodeId | null {
    return this.assignments.get(partition)?.leader ?? null;
  }

  produce(request: RequestId, partition: string, input: BatchInput, acks: Acks = 'all'): void {
    const role = this.roles.get(partition);
    if (role?.kind !== 'leader') {
      this.env.reply(request, this.notLeader(partition));
      return;
    }
    role.leader.produce(request, input, acks);
    this.parked.appended(partition);
  }

  notLeader(partition: string): ClientReply {
    const leader = this.leaderOf(partition);
    return {
      ok: false,
      error: 'NOT_LEADER_OR_FOLLOWER',
      definite: true,
      ...(leader !== null && leader !== this.env.id ? { leader } : {}),
    };
  }

  /** Committed batches of `partition` from the one holding `from`, as its leader serves them. */
  read(partition: string, from: number, max: number): ReadResult {
    const role = this.roles.get(partition);
    if (role?.kind !== 'leader') {
      return { ok: false, error: 'NOT_LEADER_OR_FOLLOWER', leader: this.leaderOf(partition) };
    }
    const log = role.leader.log;
    if (from > log.leo) return { ok: false, error: 'OFFSET_OUT_OF_RANGE', leader: null };
    return { ok: true, batches: log.read(from, log.hw, max), highWatermark: log.hw };
  }

  /**
   * The partition's topic was deleted: the replica stops acting on it and, unless `keepData`
   * (the `keep-data-on-delete` mutant), deletes its stored data, made durable by the next sync.
   */
  drop(partition: string, keepData = false): void {
    this.stop(partition);
    this.roles.delete(partition);
    this.assignments.delete(partition);
    this.logs.delete(partition);
    const d = this.durable.get(partition);
    if (d !== undefined) d.generation++; // a flush in flight no longer counts
    this.durable.delete(partition);
    if (keepData) return;
    PartitionLog.deleteStored(this.env.storage, partition);
    this.afterDurable(() => {});
  }

  /** Leaves every partition (the broker may no longer act on its metadata). */
  stopAll(): void {
    for (const p of [...this.roles.keys()]) this.stop(p);
  }

  /** Per partition: role, epoch, LEO, HW (for inspect and the lab). */
  summary(): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [p, log] of this.logs) {
      const role = this.roles.get(p);
      out[p] = {
        role: role?.kind ?? 'none',
        epoch:
          role?.kind === 'leader'
            ? role.leader.epoch
            : role?.kind === 'follower'
              ? role.follower.epoch
              : (role?.epoch ?? -1),
        leo: log.leo,
        hw: log.hw,
        ...(role?.kind === 'leader' ? { isr: [...role.leader.currentIsr] } : {}),
      };
    }
    return out;
  }
}
