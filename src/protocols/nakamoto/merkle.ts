/**
 * Bitcoin's Merkle root over transaction ids, exactly as Bitcoin Core's ComputeMerkleRoot:
 * hash pairs with double SHA-256 level by level, and when a level has an odd number of hashes,
 * pair the last one with itself.
 *
 * That duplication makes the tree ambiguous — CVE-2012-2459: the lists [a, b, c] and
 * [a, b, c, c] have the same root, so a node could be fed a block with a duplicated
 * transaction, reject it as invalid, and then wrongly remember the (valid) block's hash as
 * invalid. Core detects the shape: a level in which two hashes that would be paired are equal
 * is "mutated", and such a block is rejected without caching its hash as bad. So do we.
 */
import { fromDisplayHex, toDisplayHex } from './bytes.js';
import { sha256d } from './sha256.js';

export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return sha256d(buf);
}

export interface MerkleRootResult {
  /** Raw byte order; 32 zero bytes for an empty list (as Core returns). */
  readonly root: Uint8Array;
  /** True when a level paired two equal hashes: the CVE-2012-2459 shape. */
  readonly mutated: boolean;
}

/** The Merkle root of raw (internal byte order) leaf hashes. */
export function merkleRoot(leaves: readonly Uint8Array[]): MerkleRootResult {
  if (leaves.length === 0) return { root: new Uint8Array(32), mutated: false };
  let level = [...leaves];
  let mutated = false;
  while (level.length > 1) {
    for (let i = 0; i + 1 < level.length; i += 2) {
      if (sameHash(level[i] as Uint8Array, level[i + 1] as Uint8Array)) mutated = true;
    }
    if (level.length % 2 === 1) level.push(level[level.length - 1] as Uint8Array);
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(hashPair(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    }
    level = next;
  }
  return { root: level[0] as Uint8Array, mutated };
}

/** The block's Merkle root from txids in display order, as explorers list them. */
export function bitcoinMerkleRoot(txids: readonly string[]): { root: string; mutated: boolean } {
  const r = merkleRoot(txids.map((t, i) => fromDisplayHex(t, `txid ${i + 1}`)));
  return { root: toDisplayHex(r.root), mutated: r.mutated };
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}
