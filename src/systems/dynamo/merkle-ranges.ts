/**
 * Anti-entropy's Merkle trees (Dynamo, §4.7): two replicas compare the key ranges they both
 * hold by hashing each range's keys and states into a leaf and the leaves into a root
 * (truthkit's Merkle code, src/protocols/nakamoto/merkle.ts). Equal roots: nothing to do, one
 * small message. Different roots: the leaves say which ranges differ, and only those ranges'
 * keys are exchanged.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { toHex } from '../../protocols/nakamoto/bytes.js';
import { merkleRoot } from '../../protocols/nakamoto/merkle.js';
import { sha256Text } from '../../protocols/nakamoto/sha256.js';
import type { Ring } from './ring.js';

/** The ranges both `a` and `b` replicate (each in the other's first `n` of the walk), ascending. */
export function sharedRanges(ring: Ring, n: number, a: NodeId, b: NodeId): number[] {
  const out: number[] = [];
  for (let i = 0; i < ring.tokens.length; i++) {
    const owners = ring.walkFrom(i).slice(0, n);
    if (owners.includes(a) && owners.includes(b)) out.push(i);
  }
  return out;
}

/** One leaf per range: the hash of its keys and states, in key order. */
export function rangeLeaves(
  ranges: readonly number[],
  byRange: ReadonlyMap<number, ReadonlyMap<string, Json>>,
): Uint8Array[] {
  return ranges.map((r) => {
    const keys = [...(byRange.get(r)?.entries() ?? [])].sort(([x], [y]) => (x < y ? -1 : 1));
    return sha256Text(JSON.stringify(keys));
  });
}

export function rootHex(leaves: readonly Uint8Array[]): string {
  return toHex(merkleRoot(leaves).root);
}

export function leavesHex(leaves: readonly Uint8Array[]): string[] {
  return leaves.map(toHex);
}
