/**
 * A simulated Kafka node in KRaft's combined mode: a voter of the metadata quorum (a RaftNode
 * over the MetadataMachine), the active controller while that Raft server leads (controller.ts),
 * and a broker whose replicas (src/protocols/isr) act on each partition only as the metadata it
 * has applied says — and only once it has applied the registration of its current life, so a
 * restarted broker never acts in an epoch its earlier life acted in.
 *
 * The node's own proposals travel as client requests of an internal client with negative request
 * ids, as in etcd-raft.ts; the env handed to the RaftNode is wrapped so their replies come here.
 */
import type { Json } from '../../core/json.js';
import type {
  ClientReply,
  ClientRequest,
  Message,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  StartInfo,
} from '../../core/node.js';
import type { RaftMsg } from '../../protocols/raft/messages.js';
import { RaftNode, type RaftOptions } from '../../protocols/raft/raft-node.js';
import type { StoredBatch } from '../../protocols/isr/batch.js';
import { isIsrMsg } from '../../protocols/isr/messages.js';
import { NO_ISR_MUTANTS } from '../../protocols/isr/mutants.js';
import { ReplicaManager, type ReplicaOptions } from '../../protocols/isr/replica-manager.js';
import { clientOpOf, groupOf } from './client-ops.js';
import { Controller, type ControllerOptions } from './controller.js';
import { isControllerMsg, type ControllerMsg } from './controller-messages.js';
import { MetadataMachine } from './metadata-machine.js';
import type { MetadataOp } from './metadata-records.js';
import { pollRedirect } from './topic-deletion.js';

/** Broker heartbeats, the controller's checks and the ISR checks run this often. */
export const TICK_MS = 50;
const TICK = 'kafka-tick';
const INCARNATION_KEY = 'kafka/incarnation';
const INTERNAL_PREFIX = 'kafka-internal/';
/** Records a poll returns at most. */
const POLL_MAX = 16;

export interface KafkaNodeOptions {
  readonly raft: RaftOptions;
  readonly replicas: Omit<ReplicaOptions, 'mutants' | 'recorder'> & Partial<ReplicaOptions>;
  readonly controller: ControllerOptions;
  readonly unclean: boolean;
  /** The `keep-data-on-delete` mutant: replicas of a deleted topic keep their data. */
  readonly keepDataOnDelete?: boolean;
  /** The `reuse-partition-names` mutant: a re-created topic's partitions get the old names. */
  readonly reusePartitionNames?: boolean;
}

export class KafkaNode implements ProtocolNode<Message> {
  readonly raft: RaftNode;
  readonly machine: MetadataMachine;
  readonly replicas: ReplicaManager;
  private readonly controller: Controller;
  private incarnation = 0;
  /** The incarnation counter is on disk: heartbeats may name it. */
  private ready = false;
  private registered = false;
  private internalSeq = 0;
  /** A real broker's Kafka address, carried by its heartbeats into its registration. */
  private address: string | undefined;
  private nextInternalId = -1;

  constructor(
    private readonly env: NodeEnv<Message>,
    private readonly options: KafkaNodeOptions,
  ) {
    this.machine = new MetadataMachine(options.unclean, options.reusePartitionNames === true);
    const inner: NodeEnv<RaftMsg> = {
      id: env.id,
      cluster: env.cluster,
      peers: env.peers,
      get random() {
        return env.random;
      },
      get storage() {
        return env.storage;
      },
      now: () => env.now(),
      send: (to, msg) => env.send(to, msg),
      setTimer: (delayMs, name, data) => env.setTimer(delayMs, name, data),
      cancelTimer: (id) => env.cancelTimer(id),
      reply: (id, reply) => {
        // Replies to the node's own proposals end here: the log tells it what happened.
        if (id >= 0) env.reply(id, reply);
      },
      log: (message, fields) => env.log(message, fields),
      metric: (name, value) => env.metric(name, value),
    };
    this.raft = new RaftNode(inner, this.machine, options.raft);
    this.replicas = new ReplicaManager(
      env,
      {
        mutants: NO_ISR_MUTANTS,
        ...options.replicas,
      },
      (r) => this.toController({ type: 'ctl-alter-partition', ...r }),
    );
    this.controller = new Controller(this.machine, options.controller, {
      now: () => env.now(),
      cluster: env.cluster,
      propose: (op) => this.propose(op),
    });
  }

  /** Sets the Kafka address this broker's registrations carry (before `start`). */
  advertise(address: string): void {
    this.address = address;
  }

  get incarnationNow(): number {
    return this.incarnation;
  }

  start(info: StartInfo): void {
    const last = this.env.storage.get(INCARNATION_KEY);
    this.incarnation = (typeof last === 'number' ? last : 0) + 1;
    this.env.storage.put(INCARNATION_KEY, this.incarnation);
    // A life is named only once its number is on disk: else a crash could reuse it.
    this.env.storage.sync(() => {
      this.ready = true;
    });
    this.raft.start(info);
    this.env.setTimer(TICK_MS, TICK);
    this.afterStep();
  }

  onMessage(from: NodeId, msg: Message): void {
    if (isIsrMsg(msg)) {
      if (this.registered) this.replicas.onMessage(from, msg);
    } else if (isControllerMsg(msg)) {
      this.onControllerMsg(from, msg);
    } else {
      this.raft.onMessage(from, msg as RaftMsg);
    }
    this.afterStep();
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === TICK) {
      this.tick();
      this.env.setTimer(TICK_MS, TICK);
    } else if (!this.replicas.onTimer(name, data)) {
      this.raft.onTimer(name, data);
    }
    this.afterStep();
  }

  private tick(): void {
    if (this.ready) {
      this.toController({
        type: 'ctl-heartbeat',
        incarnation: this.incarnation,
        caughtUp: this.registered,
        ...(this.address !== undefined ? { address: this.address } : {}),
      });
    }
    this.controller.tick();
    if (this.registered) this.replicas.tick();
  }

  private onControllerMsg(from: NodeId, msg: ControllerMsg): void {
    if (msg.type === 'ctl-heartbeat') this.controller.onHeartbeat(from, msg);
    else this.controller.onAlterPartition(from, msg);
  }

  /** To the active controller as this node knows it: itself, the Raft leader, or everyone. */
  private toController(msg: ControllerMsg): void {
    const leader = this.raft.leader;
    if (leader === this.env.id) this.onControllerMsg(this.env.id, msg);
    else if (leader !== null) this.env.send(leader, msg);
    else for (const p of this.env.peers) this.env.send(p, msg);
  }

  private propose(op: MetadataOp): void {
    this.env.metric(`controller-${op.kind}`);
    const id = this.nextInternalId--;
    this.raft.onClientRequest({
      id,
      client: `${INTERNAL_PREFIX}${this.env.id}/${this.incarnation}`,
      seq: ++this.internalSeq,
      op: op as unknown as Json,
    });
  }

  /**
   * A partition of a deleted topic whose data this node still stores, or undefined: once a node
   * has applied a deletion its replicas hold nothing of it (the `keep-data-on-delete` rule).
   */
  leftoverOfDeleted(): string | undefined {
    for (const name of this.machine.deletedPartitionNames) {
      if (this.env.storage.keys(`isr/${name}/`).length > 0) return name;
    }
    return undefined;
  }

  /** After every step: follow the controller role and what the metadata log now says. */
  private afterStep(): void {
    // Its proposals are named by this life's incarnation, so only once that is on disk: a life
    // that crashed before would otherwise share the name, and its numbers, with the next.
    this.controller.setActive(this.raft.role === 'leader' && this.ready);
    for (const p of this.machine.takeDropped()) {
      this.replicas.drop(p, this.options.keepDataOnDelete === true);
    }
    const me = this.machine.broker(this.env.id);
    const registered = this.ready && me?.incarnation === this.incarnation;
    if (registered && !this.registered) {
      this.registered = true;
      this.machine.takeChanged();
      for (const p of this.machine.partitionList) this.replicas.assign(p);
      return;
    }
    if (!registered) {
      this.machine.takeChanged();
      if (this.registered) this.replicas.stopAll();
      this.registered = false;
      return;
    }
    for (const p of this.machine.takeChanged()) this.replicas.assign(p);
  }

  onClientRequest(request: ClientRequest): void {
    const op = clientOpOf(request.op);
    if (op === undefined || request.client.startsWith(INTERNAL_PREFIX)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    switch (op.f) {
      case 'send':
        this.replicas.produce(request.id, op.key, {
          count: 1,
          producerId: -1,
          producerEpoch: -1,
          baseSequence: -1,
          maxTimestamp: Math.max(0, Math.floor(this.env.now())),
          payload: [op.value],
        });
        break;
      case 'poll':
        this.poll(request.id, op.from);
        break;
      case 'delete-topic':
        this.raftRequest(request, { kind: 'delete-topic', topic: op.key });
        break;
      case 'commit':
        this.raftRequest(request, {
          kind: 'offset-commit',
          group: groupOf(request.client),
          offsets: op.value,
        });
        break;
      case 'meta':
        this.raftRequest(request, op.op);
        break;
      case 'produce-batch':
        this.replicas.produce(request.id, op.partition, op.batch, op.acks);
        break;
      case 'seek-committed':
        this.raftRequest(request, {
          kind: 'offset-fetch',
          group: groupOf(request.client),
          partitions: this.machine.partitionNamesOf(
            this.options.controller.topic,
            this.options.controller.partitions,
          ),
        });
        break;
    }
    this.afterStep();
  }

  private raftRequest(request: ClientRequest, op: MetadataOp): void {
    this.raft.onClientRequest({ ...request, op: op as unknown as Json });
  }

  private poll(id: RequestId, from: Readonly<Record<string, number>>): void {
    const [partition, position] = Object.entries(from)[0] as [string, number];
    const moved = pollRedirect(this.machine, partition);
    if (moved !== undefined) {
      this.env.reply(id, moved);
      return;
    }
    const r = this.replicas.read(partition, position, POLL_MAX);
    if (!r.ok) {
      const reply: ClientReply = {
        ok: false,
        error: r.error,
        definite: true,
        ...(r.leader !== null && r.leader !== this.env.id ? { leader: r.leader } : {}),
      };
      this.env.reply(id, reply);
      return;
    }
    const records: Json[] = [];
    for (const b of r.batches) recordsOf(partition, b, position, r.highWatermark, records);
    this.env.reply(id, { ok: true, value: { records } });
  }

  inspect(): NodeView {
    return {
      role: this.raft.role,
      term: this.raft.term,
      raft: this.raft.inspect(),
      incarnation: this.incarnation,
      registered: this.registered,
      partitions: this.replicas.summary(),
    };
  }
}

/** The records of `b` at offsets in [from, hw), as the history's `[key, offset, value]`. */
function recordsOf(partition: string, b: StoredBatch, from: number, hw: number, out: Json[]): void {
  const values = Array.isArray(b.payload) ? (b.payload as readonly Json[]) : [];
  for (let i = 0; i < b.count; i++) {
    const offset = b.baseOffset + i;
    if (offset >= from && offset < hw) out.push([partition, offset, values[i] ?? null]);
  }
}
