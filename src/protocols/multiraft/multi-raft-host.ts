/**
 * Many Raft groups in one node, as CockroachDB runs a Raft group per range: each group is an
 * ordinary RaftNode given an environment of its own — its messages travel inside a `group`
 * envelope over the node's one transport, its timers carry the group's name, and its storage is
 * a GroupStore over the node's one store. The node that embeds the host hands it the envelopes
 * and timers and asks it for a group by id; everything Raft does stays in RaftNode.
 */
import type { Json } from '../../core/json.js';
import type {
  ClientReply,
  Message,
  NodeEnv,
  NodeId,
  RequestId,
  StartInfo,
} from '../../core/node.js';
import type { RaftMsg } from '../raft/messages.js';
import { raftMessageProblem } from '../raft/message-schema.js';
import type { RaftNode } from '../raft/raft-node.js';
import { GroupStore } from './group-store.js';

export interface GroupEnvelope extends Message {
  readonly type: 'group';
  readonly group: string;
  readonly msg: RaftMsg;
}

export interface HostedGroup {
  readonly id: string;
  /** The nodes holding a replica of this group, this node among them. */
  readonly replicas: readonly NodeId[];
}

/** Builds the RaftNode of one group from the environment the host made for it. */
export type GroupNodeFactory = (env: NodeEnv<RaftMsg>, group: HostedGroup) => RaftNode;

export type MultiRaftErrorCode = 'bad-group-id' | 'not-a-replica' | 'already-open';

export class MultiRaftError extends Error {
  constructor(
    readonly code: MultiRaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MultiRaftError';
  }
}

const TIMER_PREFIX = 'group|';
const GROUP_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export function isGroupEnvelope(msg: Message): msg is GroupEnvelope {
  return msg.type === 'group';
}

interface Open {
  readonly spec: HostedGroup;
  readonly node: RaftNode;
  readonly store: GroupStore;
}

export class MultiRaftHost {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly env: NodeEnv<Message>,
    private readonly makeNode: GroupNodeFactory,
    /** Where a group's replies to client requests go (default: straight to the client). */
    private readonly onReply: (group: string, id: RequestId, reply: ClientReply) => void = (
      _g,
      id,
      reply,
    ) => env.reply(id, reply),
  ) {}

  /** Groups this node has any stored state for: what to reopen after a crash. */
  storedGroups(): string[] {
    return GroupStore.groupsIn(this.env.storage);
  }

  openGroup(spec: HostedGroup, info: StartInfo): RaftNode {
    if (!GROUP_ID.test(spec.id))
      throw new MultiRaftError('bad-group-id', `bad group id '${spec.id}'`);
    if (!spec.replicas.includes(this.env.id)) {
      throw new MultiRaftError(
        'not-a-replica',
        `${this.env.id} holds no replica of group ${spec.id}`,
      );
    }
    if (this.open.has(spec.id))
      throw new MultiRaftError('already-open', `group ${spec.id} is already open`);
    const store = new GroupStore(this.env.storage, spec.id);
    const node = this.makeNode(this.groupEnv(spec, store), spec);
    this.open.set(spec.id, { spec, node, store });
    node.start(info);
    return node;
  }

  /** Stops hosting a group; with `destroy`, deletes its state from the node's store too. */
  closeGroup(id: string, opts: { readonly destroy: boolean }): void {
    const g = this.open.get(id);
    if (g === undefined) return;
    this.open.delete(id);
    if (opts.destroy) g.store.destroy();
  }

  group(id: string): RaftNode | undefined {
    return this.open.get(id)?.node;
  }

  groups(): string[] {
    return [...this.open.keys()].sort();
  }

  /**
   * Hands an envelope to its group. Answers why it was dropped (a malformed envelope, a group
   * not hosted here — a replica not created yet or already removed, which Raft's retries cover),
   * or undefined when delivered.
   */
  onMessage(from: NodeId, envelope: GroupEnvelope): string | undefined {
    if (typeof envelope.group !== 'string') return 'group envelope without a group id';
    const g = this.open.get(envelope.group);
    if (g === undefined) return `no replica of group ${envelope.group} here`;
    if (!g.spec.replicas.includes(from))
      return `${from} is not a replica of group ${envelope.group}`;
    const problem = raftMessageProblem(envelope.msg, g.spec.replicas);
    if (problem !== undefined) return `group ${envelope.group}: ${problem}`;
    g.node.onMessage(from, envelope.msg);
    return undefined;
  }

  /** Delivers a timer a group set; false when `name` is not a group's timer. */
  onTimer(name: string, data: Json | undefined): boolean {
    if (!name.startsWith(TIMER_PREFIX)) return false;
    const rest = name.slice(TIMER_PREFIX.length);
    const bar = rest.indexOf('|');
    if (bar < 0) return false;
    // A timer of a group closed since it was set fires into nothing, as a stopped node's would.
    this.open.get(rest.slice(0, bar))?.node.onTimer(rest.slice(bar + 1), data);
    return true;
  }

  private groupEnv(spec: HostedGroup, store: GroupStore): NodeEnv<RaftMsg> {
    const env = this.env;
    const peers = spec.replicas.filter((n) => n !== env.id);
    return {
      id: env.id,
      cluster: spec.replicas,
      peers,
      now: () => env.now(),
      get random() {
        return env.random;
      },
      send: (to, msg) => {
        const envelope: GroupEnvelope = { type: 'group', group: spec.id, msg };
        env.send(to, envelope);
      },
      setTimer: (delayMs, name, data) =>
        env.setTimer(delayMs, `${TIMER_PREFIX}${spec.id}|${name}`, data),
      cancelTimer: (id) => env.cancelTimer(id),
      storage: store,
      reply: (id, reply) => this.onReply(spec.id, id, reply),
      log: (message, fields) => env.log(message, { ...fields, group: spec.id }),
      metric: (name, value) => env.metric(name, value),
    };
  }
}
