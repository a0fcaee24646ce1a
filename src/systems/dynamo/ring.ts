/**
 * Consistent hashing with virtual nodes (Dynamo, §4.2): each node owns `vnodes` tokens on a
 * 32-bit ring; a key belongs to the range ending at the first token at or after its hash, and
 * its preference list is the first N distinct nodes met walking clockwise from there. The
 * nodes past the first N, in the same order, are where a sloppy quorum sends a write whose
 * replica it cannot reach. Hashes are FNV-1a, so every node computes the same ring.
 */
import type { NodeId } from '../../core/node.js';

export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // A final avalanche: FNV's low bits of short similar strings are poorly spread on a ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export interface Token {
  readonly at: number;
  readonly node: NodeId;
}

export class Ring {
  readonly tokens: readonly Token[];
  private readonly walks: readonly (readonly NodeId[])[];

  constructor(nodes: readonly NodeId[], vnodes: number) {
    if (nodes.length === 0 || vnodes < 1) throw new RangeError('a ring needs nodes and tokens');
    const tokens: Token[] = [];
    for (const node of nodes) {
      for (let v = 0; v < vnodes; v++) tokens.push({ at: hash32(`${node}#${v}`), node });
    }
    tokens.sort((a, b) => a.at - b.at || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    this.tokens = tokens;
    this.walks = tokens.map((_, i) => {
      const seen: NodeId[] = [];
      for (let k = 0; k < tokens.length && seen.length < nodes.length; k++) {
        const node = (tokens[(i + k) % tokens.length] as Token).node;
        if (!seen.includes(node)) seen.push(node);
      }
      return seen;
    });
  }

  /** The index of the range `key` falls in: its first token at or after the key's hash. */
  rangeOf(key: string): number {
    const h = hash32(key);
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.tokens[mid] as Token).at < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.tokens.length ? 0 : lo;
  }

  /** Every node, in the order a walk from range `range` meets them. */
  walkFrom(range: number): readonly NodeId[] {
    return this.walks[range] as readonly NodeId[];
  }

  /** The first `n` distinct nodes clockwise from `key`: the replicas that own it. */
  preferenceList(key: string, n: number): readonly NodeId[] {
    return this.walkFrom(this.rangeOf(key)).slice(0, n);
  }
}
