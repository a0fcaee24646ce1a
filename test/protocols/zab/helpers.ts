/** A small harness for Zab scenario tests: a kv-zab cluster driven through the Simulator. */
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { ClientReply, NodeId } from '../../../src/core/node.js';
import { ZabNode } from '../../../src/protocols/zab/zab-node.js';
import { Simulator } from '../../../src/sim/simulator.js';
import { kvZabSystem } from '../../../src/systems/zab/kv-zab.js';

export interface ZabClusterOptions {
  readonly nodes?: number;
  readonly seed?: number;
  readonly mutant?: string;
  readonly params?: Record<string, string>;
  /** Milliseconds an fsync takes (constant). */
  readonly syncMs?: number;
}

export class ZabCluster {
  readonly sim: Simulator;
  private seq = 0;

  constructor(options: ZabClusterOptions = {}) {
    const n = options.nodes ?? 3;
    this.sim = new Simulator({
      seed: options.seed ?? 1,
      nodeIds: Array.from({ length: n }, (_, i) => `n${i + 1}`),
      factory: kvZabSystem.createNode({
        ...(options.mutant !== undefined ? { mutant: options.mutant } : {}),
        ...(options.params !== undefined ? { params: options.params } : {}),
      }),
      latency: { kind: 'constant', ms: 1 },
      syncLatency: { kind: 'constant', ms: options.syncMs ?? 0.5 },
      keepTrace: true,
      tornWrites: false,
      checkInvariants: (nodes) => kvZabSystem.checkInvariants?.(nodes),
    });
    this.sim.start();
  }

  get ids(): readonly NodeId[] {
    return this.sim.nodeIds;
  }

  zab(id: NodeId): ZabNode {
    const n = this.sim.node(id);
    assert.ok(n instanceof ZabNode, `${id} is down`);
    return n;
  }

  /** Live servers leading an established epoch. */
  leaders(): NodeId[] {
    return [...this.sim.liveNodes()]
      .filter(([, n]) => (n as ZabNode).state === 'leading' && (n as ZabNode).phase === 'broadcast')
      .map(([id]) => id);
  }

  /** Runs until exactly one established leader among `among` (default all) is live. */
  awaitLeader(ms = 5000, among?: readonly NodeId[]): NodeId {
    const end = this.sim.now + ms;
    while (this.sim.now < end && !this.sim.halted) {
      this.sim.runUntil(this.sim.now + 1);
      const ls = this.leaders().filter((l) => among === undefined || among.includes(l));
      if (ls.length === 1) return ls[0] as NodeId;
    }
    assert.fail(`no single leader within ${ms} ms: ${JSON.stringify(this.views())}`);
  }

  /** Sends `op` to `node` (reply ignored) and returns its request's sequence number. */
  send(node: NodeId, op: Json, client = 'c1'): void {
    this.sim.request(node, client, ++this.seq, op, () => {});
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

  /** Runs in small steps until `done()` holds (or `ms` pass, or the run halts). */
  until(done: () => boolean, ms = 2000, step = 0.1): boolean {
    const end = this.sim.now + ms;
    while (!done() && this.sim.now < end && !this.sim.halted)
      this.sim.runUntil(this.sim.now + step);
    return done();
  }

  views(): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [id, n] of this.sim.liveNodes()) out[id] = n.inspect() as Json;
    return out;
  }

  /** Cuts `group` off from everyone else, both ways. */
  isolate(group: readonly NodeId[]): void {
    const cut: [NodeId, NodeId][] = [];
    for (const a of group) {
      for (const b of this.ids) if (!group.includes(b)) cut.push([a, b], [b, a]);
    }
    this.sim.setPartition(cut);
  }

  /** The first invariant violation or exception, or undefined. */
  violation(): string | undefined {
    return this.sim.failure?.message;
  }
}
