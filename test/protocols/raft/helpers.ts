/** A small harness for Raft scenario tests: a kv-raft cluster driven through the Simulator. */
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { ClientReply, NodeId } from '../../../src/core/node.js';
import { RaftNode } from '../../../src/protocols/raft/raft-node.js';
import { Simulator } from '../../../src/sim/simulator.js';
import { kvRaftSystem } from '../../../src/systems/kv/kv-raft.js';

export interface ClusterOptions {
  readonly nodes?: number;
  readonly seed?: number;
  readonly mutant?: string;
  readonly params?: Record<string, string>;
}

export class Cluster {
  readonly sim: Simulator;
  private seq = 0;

  constructor(options: ClusterOptions = {}) {
    const n = options.nodes ?? 5;
    this.sim = new Simulator({
      seed: options.seed ?? 1,
      nodeIds: Array.from({ length: n }, (_, i) => `n${i + 1}`),
      factory: kvRaftSystem.createNode({
        ...(options.mutant !== undefined ? { mutant: options.mutant } : {}),
        ...(options.params !== undefined ? { params: options.params } : {}),
      }),
      latency: { kind: 'constant', ms: 1 },
      keepTrace: true,
      tornWrites: false,
      checkInvariants: (nodes) => kvRaftSystem.checkInvariants?.(nodes),
    });
    this.sim.start();
  }

  get ids(): readonly NodeId[] {
    return this.sim.nodeIds;
  }

  raft(id: NodeId): RaftNode {
    const n = this.sim.node(id);
    assert.ok(n instanceof RaftNode, `${id} is down`);
    return n;
  }

  live(): RaftNode[] {
    return [...this.sim.liveNodes().values()] as RaftNode[];
  }

  /** The live leaders (by id), highest term first. */
  leaders(): NodeId[] {
    return [...this.sim.liveNodes()]
      .filter(([, n]) => (n as RaftNode).role === 'leader')
      .sort(([, a], [, b]) => (b as RaftNode).term - (a as RaftNode).term)
      .map(([id]) => id);
  }

  /** Runs until exactly one live leader exists (and at most `ms` more virtual time). */
  awaitLeader(ms = 3000, among?: readonly NodeId[]): NodeId {
    const end = this.sim.now + ms;
    while (this.sim.now < end) {
      this.sim.runUntil(this.sim.now + 5);
      const ls = this.leaders().filter((l) => among === undefined || among.includes(l));
      if (ls.length === 1) return ls[0] as NodeId;
    }
    assert.fail(`no single leader within ${ms} ms: ${JSON.stringify(this.views())}`);
  }

  /** Sends `op` to `node` and runs until the reply arrives (or `ms` pass). */
  call(node: NodeId, op: Json, ms = 2000, client = 'c1'): ClientReply | undefined {
    let reply: ClientReply | undefined;
    this.sim.request(node, client, ++this.seq, op, (r) => (reply = r));
    const end = this.sim.now + ms;
    while (reply === undefined && this.sim.now < end && !this.sim.halted) {
      this.sim.runUntil(this.sim.now + 1);
    }
    return reply;
  }

  /** Sends `op` to the current leader, following redirects, until it succeeds. */
  write(op: Json, ms = 3000): Json {
    const end = this.sim.now + ms;
    let to = this.leaders()[0] ?? (this.ids[0] as NodeId);
    while (this.sim.now < end) {
      const r = this.call(to, op, 1000);
      if (r?.ok === true) return r.value;
      to = (r !== undefined && !r.ok && r.leader) || this.awaitLeader();
      this.sim.runUntil(this.sim.now + 5);
    }
    assert.fail(`${JSON.stringify(op)} did not succeed within ${ms} ms`);
  }

  views(): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [id, n] of this.sim.liveNodes()) out[id] = n.inspect() as Json;
    return out;
  }

  /** Messages of `type` sent so far, from the trace. */
  sent(type: string): number {
    return (this.sim.trace.events ?? []).filter((e) => e.e === 'send' && e.type === type).length;
  }

  /** Cuts `group` off from everyone else, both ways. */
  isolate(group: readonly NodeId[]): void {
    const cut: [NodeId, NodeId][] = [];
    for (const a of group) {
      for (const b of this.ids) if (!group.includes(b)) cut.push([a, b], [b, a]);
    }
    this.sim.setPartition(cut);
  }

  assertNoViolation(): void {
    assert.equal(this.sim.failure, undefined, JSON.stringify(this.sim.failure));
  }
}
