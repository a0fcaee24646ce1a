/**
 * The active controller: the part of a node that acts while its Raft server leads the metadata
 * quorum (KRaft's active controller is the quorum leader). It turns brokers' heartbeats into
 * registration and unfencing records, fences a broker whose heartbeats stopped for a session
 * timeout, creates the topic once, and proposes partition leaders' AlterPartition requests. Its
 * proposals may be stale (a new leader's applied state can lag); the machine checks each record
 * against the state it is applied to, so a stale one changes nothing.
 */
import type { NodeId } from '../../core/node.js';
import type { AlterPartitionMsg, BrokerHeartbeatMsg } from './controller-messages.js';
import type { MetadataMachine } from './metadata-machine.js';
import type { MetadataOp } from './metadata-records.js';

export interface ControllerHost {
  now(): number;
  readonly cluster: readonly NodeId[];
  propose(op: MetadataOp): void;
}

export interface ControllerOptions {
  readonly sessionTimeoutMs: number;
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** The same record is not proposed again within this (it may still be on its way). */
const REPROPOSE_MS = 150;

export class Controller {
  private active = false;
  private readonly lastHeard = new Map<NodeId, number>();
  private readonly proposed = new Map<string, number>();

  constructor(
    private readonly machine: MetadataMachine,
    private readonly options: ControllerOptions,
    private readonly host: ControllerHost,
  ) {}

  /** Called after every step with whether this node's Raft server leads now. */
  setActive(leads: boolean): void {
    if (leads && !this.active) {
      // A new controller has heard nobody yet: every broker gets a full session from now.
      const now = this.host.now();
      for (const id of this.host.cluster) this.lastHeard.set(id, now);
      this.proposed.clear();
    }
    this.active = leads;
  }

  private propose(op: MetadataOp): void {
    const key = JSON.stringify(op);
    const now = this.host.now();
    const at = this.proposed.get(key);
    if (at !== undefined && now - at < REPROPOSE_MS) return;
    this.proposed.set(key, now);
    this.host.propose(op);
  }

  onHeartbeat(from: NodeId, msg: BrokerHeartbeatMsg): void {
    if (!this.active) return;
    this.lastHeard.set(from, this.host.now());
    const b = this.machine.broker(from);
    if (b === undefined || b.incarnation < msg.incarnation) {
      this.propose({
        kind: 'register',
        broker: from,
        incarnation: msg.incarnation,
        ...(msg.address !== undefined ? { address: msg.address } : {}),
      });
    } else if (b.incarnation === msg.incarnation && b.fenced && msg.caughtUp) {
      this.propose({ kind: 'unfence', broker: from, incarnation: msg.incarnation });
    }
  }

  onAlterPartition(from: NodeId, msg: AlterPartitionMsg): void {
    if (!this.active) return;
    this.propose({
      kind: 'alter-partition',
      broker: from,
      partition: msg.partition,
      leaderEpoch: msg.leaderEpoch,
      partitionEpoch: msg.partitionEpoch,
      isr: msg.isr,
    });
  }

  tick(): void {
    if (!this.active) return;
    const now = this.host.now();
    for (const id of this.machine.brokerIds) {
      const b = this.machine.broker(id);
      if (b === undefined || b.fenced) continue;
      if (now - (this.lastHeard.get(id) ?? now) > this.options.sessionTimeoutMs) {
        this.propose({ kind: 'fence', broker: id, incarnation: b.incarnation });
      }
    }
    if (!this.machine.hasTopic(this.options.topic)) {
      this.propose({
        kind: 'create-topic',
        topic: this.options.topic,
        replicas: this.assignment(),
      });
    }
    for (const [key, at] of this.proposed) if (now - at >= REPROPOSE_MS) this.proposed.delete(key);
  }

  /** Partition i's replicas: `replicationFactor` brokers from the i-th on, in cluster order. */
  private assignment(): NodeId[][] {
    const c = this.host.cluster;
    const out: NodeId[][] = [];
    for (let i = 0; i < this.options.partitions; i++) {
      const r: NodeId[] = [];
      for (let k = 0; k < this.options.replicationFactor; k++)
        r.push(c[(i + k) % c.length] as NodeId);
      out.push(r);
    }
    return out;
  }
}
