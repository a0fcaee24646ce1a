/**
 * The node contract. A node is a deterministic state machine: it reacts to start, a peer's
 * message, a timer it set and a client request, and acts only through its NodeEnv. The
 * simulator and the real runtime are two implementations of NodeEnv; a node never knows which.
 */
import type { Json } from './json.js';
import type { Random } from './random.js';
import type { DurableStore } from './storage.js';

export type NodeId = string;
export type TimerId = number;
export type RequestId = number;

/** Every message is plain data with a `type` tag; the runtime copies or encodes it in transit. */
export interface Message {
  readonly type: string;
}

/** A client's call as a node receives it. `client` + `seq` identify it across retries. */
export interface ClientRequest<Op = Json> {
  readonly id: RequestId;
  readonly client: string;
  readonly seq: number;
  readonly op: Op;
}

/**
 * A node's answer to a client. A failure is `definite` when the operation certainly did not
 * take effect (so the client may retry it elsewhere); otherwise its outcome is unknown.
 * `leader` is a hint of where to retry.
 */
export type ClientReply<Result = Json> =
  | { readonly ok: true; readonly value: Result }
  | {
      readonly ok: false;
      readonly error: string;
      readonly definite: boolean;
      readonly leader?: NodeId;
    };

export type LogFields = Readonly<Record<string, Json>>;

export interface NodeEnv<Msg extends Message = Message> {
  readonly id: NodeId;
  /** Every member of the cluster, this node included, in a fixed order. */
  readonly cluster: readonly NodeId[];
  /** The other members. */
  readonly peers: readonly NodeId[];
  /** This node's local clock in milliseconds. It may be offset, drift, and jump backwards. */
  now(): number;
  /** This node's own seeded random stream. */
  readonly random: Random;
  send(to: NodeId, msg: Msg): void;
  /**
   * Fires `onTimer(name, data)` after `delayMs` of this node's local time, unless cancelled.
   * A delay of 0 fires after the events already due now: in the simulator, after the other
   * events of this instant; in the runtime, at the end of this turn of the event loop. A node
   * can so act once on everything that arrived together (Raft sends one append for them all).
   */
  setTimer(delayMs: number, name: string, data?: Json): TimerId;
  cancelTimer(id: TimerId): void;
  readonly storage: DurableStore;
  reply(request: RequestId, reply: ClientReply): void;
  log(message: string, fields?: LogFields): void;
  /**
   * Records one sample of a named measurement (1 for a plain count): elections, commit latency…
   * The simulator reports count, sum and percentiles per name; the real runtime exports them.
   */
  metric(name: string, value?: number): void;
}

export interface StartInfo {
  /** True when the node restarts after a crash and must rebuild itself from `env.storage`. */
  readonly recovered: boolean;
}

/** A small read-only summary of a node's state for tests, traces and the lab. */
export type NodeView = Readonly<Record<string, Json>>;

export interface ProtocolNode<Msg extends Message = Message, Op = Json> {
  start(info: StartInfo): void;
  onMessage(from: NodeId, msg: Msg): void;
  onTimer(name: string, data: Json | undefined): void;
  onClientRequest(request: ClientRequest<Op>): void;
  inspect(): NodeView;
}

export type NodeFactory<Msg extends Message = Message, Op = Json> = (
  env: NodeEnv<Msg>,
) => ProtocolNode<Msg, Op>;

/**
 * A node that applies a replicated log in index order (Raft). A front end that forwards a
 * client's request to the leader uses it to answer only once its own node has applied the
 * outcome too, as etcd does, so a read or watch at the member the client called sees the write
 * (src/runtime/applied-waits.ts). Outside the node contract: only the real runtime calls it.
 */
export interface AppliesLog {
  /** The last entry applied: its index and term. */
  appliedEntry(): { readonly index: number; readonly term: number };
  /**
   * The leader says the entry at `index` with `term` is committed. A node whose log holds that
   * entry may commit through it at once; otherwise the call changes nothing.
   */
  learnCommitted(index: number, term: number): void;
}

export function appliesLogOf(node: unknown): AppliesLog | undefined {
  return typeof node === 'object' &&
    node !== null &&
    typeof (node as Partial<AppliesLog>).learnCommitted === 'function' &&
    typeof (node as Partial<AppliesLog>).appliedEntry === 'function'
    ? (node as AppliesLog)
    : undefined;
}
