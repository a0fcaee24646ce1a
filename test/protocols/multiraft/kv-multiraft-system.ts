/**
 * A test system for the multi-Raft host: a KV store whose keys are spread over three Raft groups,
 * every node holding a replica of each, all sharing each node's transport and store. Each key is
 * linearizable within its group, so the simulator's KV checker judges the whole store: a host
 * that crossed groups' messages, timers, logs or replies would show up as a violation.
 */
import { isKvOp } from '../../../src/core/kv.js';
import type { Json } from '../../../src/core/json.js';
import type {
  ClientRequest,
  Message,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  StartInfo,
} from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import {
  isGroupEnvelope,
  MultiRaftHost,
} from '../../../src/protocols/multiraft/multi-raft-host.js';
import { raftMessageProblem } from '../../../src/protocols/raft/message-schema.js';
import { mutantsFor, RAFT_MUTANTS } from '../../../src/protocols/raft/mutants.js';
import { RaftNode } from '../../../src/protocols/raft/raft-node.js';
import { InvariantRecorder } from '../../../src/protocols/raft/invariants.js';
import { KvMachine } from '../../../src/systems/kv/kv-raft.js';

export const GROUPS = ['g0', 'g1', 'g2'] as const;

export function groupOfKey(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return GROUPS[(h >>> 0) % GROUPS.length]!;
}

class KvMultiRaftNode implements ProtocolNode<Message> {
  readonly host: MultiRaftHost;
  dropped = 0;

  constructor(
    private readonly env: NodeEnv<Message>,
    makeRaft: (groupEnv: NodeEnv<never>, group: string) => RaftNode,
  ) {
    this.host = new MultiRaftHost(env, (groupEnv, group) =>
      makeRaft(groupEnv as NodeEnv<never>, group.id),
    );
  }

  start(info: StartInfo): void {
    for (const id of GROUPS) this.host.openGroup({ id, replicas: this.env.cluster }, info);
  }

  onMessage(from: NodeId, msg: Message): void {
    if (!isGroupEnvelope(msg) || this.host.onMessage(from, msg) !== undefined) this.dropped++;
  }

  onTimer(name: string, data: Json | undefined): void {
    if (!this.host.onTimer(name, data)) throw new Error(`not a group timer: ${name}`);
  }

  onClientRequest(request: ClientRequest): void {
    if (!isKvOp(request.op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    this.host.group(groupOfKey(request.op.key))!.onClientRequest(request);
  }

  inspect(): NodeView {
    const g0 = this.host.group('g0')!.inspect();
    const groups: Record<string, Json> = {};
    for (const id of GROUPS) {
      const v = this.host.group(id)!.inspect();
      groups[id] = { role: v.role ?? null, term: v.term ?? null, commit: v.commit ?? null };
    }
    return { role: g0.role ?? null, term: g0.term ?? null, leader: g0.leader ?? null, groups };
  }
}

export const kvMultiRaftSystem: SystemDefinition = {
  name: 'kv-multiraft',
  description:
    'a KV over three Raft groups sharing every node (test system for the multi-Raft host)',
  workload: 'kv',
  model: 'kv',
  mutants: RAFT_MUTANTS.filter((m) => m.name === 'no-sync-before-ack'),
  defaultNodes: 3,
  minNodes: 1,
  createNode(options) {
    const recorders = new Map<string, InvariantRecorder>(
      GROUPS.map((g) => [g, new InvariantRecorder()]),
    );
    const mutants = mutantsFor(options.mutant);
    return (env) =>
      new KvMultiRaftNode(
        env as NodeEnv<Message>,
        (groupEnv, group) =>
          new RaftNode(groupEnv, new KvMachine(), { mutants, recorder: recorders.get(group)! }),
      );
  },
  checkMessage(msg: unknown, cluster: readonly NodeId[]): string | undefined {
    if (typeof msg !== 'object' || msg === null || (msg as Message).type !== 'group')
      return 'not a group envelope';
    const e = msg as { group?: unknown; msg?: unknown };
    if (typeof e.group !== 'string' || !(GROUPS as readonly string[]).includes(e.group))
      return 'unknown group';
    return raftMessageProblem(e.msg, cluster);
  },
  checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
    for (const node of nodes.values()) {
      if (!(node instanceof KvMultiRaftNode)) continue;
      for (const id of GROUPS) {
        const violation = node.host.group(id)?.recorder?.violation;
        if (violation !== undefined) return `group ${id}: ${violation}`;
      }
    }
    return undefined;
  },
};
