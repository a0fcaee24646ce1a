/**
 * Where a simulated client asks next after a definite refusal. It follows the leader the refusal
 * names, as real clients do, and otherwise the next node in order. But hints can be stale in a
 * loop: a learner dropped from later configurations still names the leader it last knew, a
 * wiped or removed node names none, and a client bouncing between them never reaches the node
 * that leads (`kv-raft --swarm --seed 9543`, 300 ops, of the 10,000-seed sweep at a93cbe3: n1 →
 * n3 → n4 → n1 … past n2, the sole voter, for the rest of the run). So, as a real client tries
 * every endpoint before trusting the same hints again: once it has asked as many times as there
 * are nodes without reaching them all, a hint naming a node already asked is passed over for the
 * next node not yet asked. Short retry chains (an election's few hops) are unchanged.
 */
import type { NodeId } from '../core/node.js';

export class RetryRoute {
  private readonly asked = new Set<NodeId>();
  private attempts = 0;

  constructor(private readonly nodes: readonly NodeId[]) {}

  /** The node to ask after `from` refused, naming `hint` as the leader (or no one). */
  next(from: NodeId, hint: NodeId | undefined): NodeId {
    this.asked.add(from);
    this.attempts++;
    if (this.asked.size >= this.nodes.length) {
      this.asked.clear();
      this.attempts = 0;
    }
    const inOrder = this.nodes[(this.nodes.indexOf(from) + 1) % this.nodes.length] as NodeId;
    const proposed = hint !== undefined && this.nodes.includes(hint) ? hint : inOrder;
    if (this.attempts < this.nodes.length || !this.asked.has(proposed)) return proposed;
    const start = this.nodes.indexOf(from);
    for (let i = 1; i <= this.nodes.length; i++) {
      const n = this.nodes[(start + i) % this.nodes.length] as NodeId;
      if (!this.asked.has(n)) return n;
    }
    return proposed;
  }
}
