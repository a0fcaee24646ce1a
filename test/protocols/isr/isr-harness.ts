/**
 * A hand-driven cluster of ISR replicas of one partition, for scripted scenarios: the test plays
 * the controller (`assign`), the network (every message is delivered at once unless `drop` says
 * otherwise), the clock (`advance`) and the disks (SimDisk; `crash` keeps only what was synced).
 */
import type { Json } from '../../../src/core/json.js';
import type { ClientReply, Message, NodeEnv, NodeId } from '../../../src/core/node.js';
import { streamFor } from '../../../src/core/random.js';
import { SimDisk } from '../../../src/sim/disk.js';
import type { StoredBatch } from '../../../src/protocols/isr/batch.js';
import { IsrRecorder } from '../../../src/protocols/isr/invariants.js';
import { isrMutantsFor } from '../../../src/protocols/isr/mutants.js';
import type { ParkingMutant } from '../../../src/protocols/isr/parked-fetches.js';
import type { Acks, AlterIsrRequest } from '../../../src/protocols/isr/partition-leader.js';
import {
  ReplicaManager,
  type PartitionAssignment,
} from '../../../src/protocols/isr/replica-manager.js';

export const P = 't-0';

interface Replica {
  readonly disk: SimDisk;
  syncs: (() => void)[];
  rm: ReplicaManager | null;
}

interface Timer {
  readonly at: number;
  readonly node: NodeId;
  readonly name: string;
  readonly data: Json | undefined;
  readonly id: number;
  cancelled: boolean;
}

export class IsrHarness {
  now = 0;
  readonly recorder = new IsrRecorder();
  readonly replies = new Map<number, ClientReply>();
  /** AlterPartition requests the leaders sent, in order. */
  readonly alters: AlterIsrRequest[] = [];
  /** Messages matching this are lost. */
  drop: (from: NodeId, to: NodeId, msg: Message) => boolean = () => false;
  /** While set, no sync completes: every disk holds its writes in its cache. */
  holdSyncs = false;
  private readonly queue: { from: NodeId; to: NodeId; msg: Message }[] = [];
  private timers: Timer[] = [];
  private nextTimer = 1;
  private readonly replicas = new Map<NodeId, Replica>();
  private nextRequest = 1;

  constructor(
    readonly ids: readonly NodeId[],
    private readonly mutant: string | undefined,
    private readonly minIsr: number,
    private readonly lagTimeMs = 10_000,
    /** Followers long-poll for this long (0: they poll every 5 ms). */
    private readonly fetchWaitMs = 0,
    private readonly parkingMutant?: ParkingMutant,
  ) {
    for (const id of ids) {
      const r: Replica = {
        disk: new SimDisk({ scheduleSync: (_n, done) => r.syncs.push(done) }),
        syncs: [],
        rm: null,
      };
      this.replicas.set(id, r);
      this.boot(id);
    }
  }

  private boot(id: NodeId): void {
    const r = this.replicas.get(id) as Replica;
    const env: NodeEnv<Message> = {
      id,
      cluster: this.ids,
      peers: this.ids.filter((x) => x !== id),
      now: () => this.now,
      random: streamFor(1, `isr-harness:${id}`),
      send: (to, msg) => this.queue.push({ from: id, to, msg: structuredClone(msg) }),
      setTimer: (delayMs, name, data) => {
        const t = {
          at: this.now + delayMs,
          node: id,
          name,
          data,
          id: this.nextTimer++,
          cancelled: false,
        };
        this.timers.push(t);
        return t.id;
      },
      cancelTimer: (tid) => {
        for (const t of this.timers) if (t.id === tid) t.cancelled = true;
      },
      storage: r.disk,
      reply: (req, reply) => this.replies.set(req, reply),
      log: () => {},
      metric: () => {},
    };
    r.rm = new ReplicaManager(
      env,
      {
        minIsr: this.minIsr,
        lagTimeMs: this.lagTimeMs,
        fetchIdleMs: 5,
        fetchTimeoutMs: 50,
        maxFetchBatches: 8,
        fetchWaitMs: this.fetchWaitMs,
        ...(this.parkingMutant !== undefined ? { parkingMutant: this.parkingMutant } : {}),
        mutants: isrMutantsFor(this.mutant),
        recorder: this.recorder,
      },
      (request) => this.alters.push(request),
    );
  }

  rm(id: NodeId): ReplicaManager {
    const rm = this.replicas.get(id)?.rm;
    if (rm === null || rm === undefined) throw new Error(`${id} is down`);
    return rm;
  }

  /** What the controller's record says, applied by every replica that is up. */
  assign(a: Omit<PartitionAssignment, 'partition'>, only?: readonly NodeId[]): void {
    for (const [id, r] of this.replicas) {
      if (r.rm !== null && (only === undefined || only.includes(id)))
        r.rm.assign({ ...a, partition: P });
    }
  }

  produce(leader: NodeId, value: number, acks: Acks = 'all'): number {
    const id = this.nextRequest++;
    this.rm(leader).produce(
      id,
      P,
      {
        count: 1,
        producerId: -1,
        producerEpoch: -1,
        baseSequence: -1,
        maxTimestamp: this.now,
        payload: [value],
      },
      acks,
    );
    return id;
  }

  /** Every sync pending completes, and every message queued is delivered, until quiet. */
  settle(): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const r of this.replicas.values()) {
        if (this.holdSyncs) break;
        const s = r.syncs;
        r.syncs = [];
        for (const f of s) {
          busy = true;
          f();
        }
      }
      const msgs = this.queue.splice(0);
      for (const { from, to, msg } of msgs) {
        busy = true;
        const rm = this.replicas.get(to)?.rm;
        if (rm === null || rm === undefined || this.drop(from, to, msg)) continue;
        rm.onMessage(from, msg as never);
      }
      if (!busy) return;
    }
    throw new Error('the harness never settled');
  }

  /** Time passes in 1 ms steps: ticks and timers due fire, then the cluster settles. */
  advance(ms: number): void {
    for (let i = 0; i < ms; i++) {
      this.now++;
      // The broker's periodic tick (kafka-node.ts runs it every 50 ms; here every 10).
      if (this.now % 10 === 0) for (const r of this.replicas.values()) r.rm?.tick();
      const due = this.timers.filter((t) => t.at <= this.now && !t.cancelled);
      this.timers = this.timers.filter((t) => t.at > this.now && !t.cancelled);
      for (const t of due) {
        const rm = this.replicas.get(t.node)?.rm;
        if (rm !== null && rm !== undefined) rm.onTimer(t.name, t.data);
      }
      this.settle();
    }
  }

  /** Every write of every replica made durable now. */
  syncAll(): void {
    for (const r of this.replicas.values()) r.disk.sync(() => {});
    this.settle();
  }

  /** The node stops; its disk keeps only what was synced. */
  crash(id: NodeId): void {
    const r = this.replicas.get(id) as Replica;
    r.disk.crash(0, false);
    r.syncs = [];
    r.rm = null;
    this.timers = this.timers.filter((t) => t.node !== id);
  }

  restart(id: NodeId): void {
    this.boot(id);
  }

  /** The values of `id`'s log, offset by offset. */
  values(id: NodeId): Json[] {
    const log = this.rm(id).logOf(P);
    return log.read(0, log.leo, 1000).flatMap((b: StoredBatch) => b.payload as Json[]);
  }
}
