/**
 * Merkle inclusion proofs over a Bitcoin-shaped tree (see merkle.ts): the sibling hash at each
 * level from a leaf to the root — ceil(log2 n) hashes, what an SPV wallet receives to check a
 * transaction is in a block without the block.
 *
 * The proof carries the leaf count. Without it a proof cannot tell a real leaf from the
 * duplicate that padded an odd level (CVE-2012-2459's ambiguity); with it the verifier knows
 * exactly where duplication must happen — there the sibling must equal the node itself — and
 * rejects a pair of equal siblings anywhere else.
 */
import { equalBytes, toDisplayHex, fromDisplayHex } from './bytes.js';
import { hashPair } from './merkle.js';
import { sha256d } from './sha256.js';

export interface MerkleProof {
  readonly index: number;
  readonly leafCount: number;
  /** Raw byte order, leaf level first. */
  readonly siblings: readonly Uint8Array[];
}

/** Number of sibling hashes a proof in a tree of `n` leaves has. */
export function proofDepth(n: number): number {
  let depth = 0;
  for (let width = n; width > 1; width = Math.ceil(width / 2)) depth++;
  return depth;
}

export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} is outside 0..${leaves.length - 1}`);
  }
  const siblings: Uint8Array[] = [];
  let level = [...leaves];
  let i = index;
  while (level.length > 1) {
    if (level.length % 2 === 1) level.push(level[level.length - 1] as Uint8Array);
    siblings.push(level[i ^ 1] as Uint8Array);
    const next: Uint8Array[] = [];
    for (let j = 0; j < level.length; j += 2) {
      next.push(hashPair(level[j] as Uint8Array, level[j + 1] as Uint8Array));
    }
    level = next;
    i >>= 1;
  }
  return { index, leafCount: leaves.length, siblings };
}

export type ProofCheck = { ok: true } | { ok: false; reason: string };

/** Recomputes the root from `leaf` and the proof: O(log n) hashes. */
export function verifyMerkleProof(
  root: Uint8Array,
  leaf: Uint8Array,
  proof: MerkleProof,
): ProofCheck {
  const { index, leafCount, siblings } = proof;
  if (!Number.isInteger(leafCount) || leafCount < 1) {
    return { ok: false, reason: 'leaf count must be at least 1' };
  }
  if (!Number.isInteger(index) || index < 0 || index >= leafCount) {
    return { ok: false, reason: `index ${index} is outside 0..${leafCount - 1}` };
  }
  if (siblings.length !== proofDepth(leafCount)) {
    return {
      ok: false,
      reason: `a tree of ${leafCount} leaves needs ${proofDepth(leafCount)} siblings, got ${siblings.length}`,
    };
  }
  let hash = leaf;
  let i = index;
  let width = leafCount;
  for (const [level, sibling] of siblings.entries()) {
    const padded = i === width - 1 && i % 2 === 0;
    if (padded && !equalBytes(sibling, hash)) {
      return {
        ok: false,
        reason: `level ${level}: the last node of an odd level pairs with itself`,
      };
    }
    if (!padded && equalBytes(sibling, hash)) {
      return { ok: false, reason: `level ${level}: equal siblings (the CVE-2012-2459 shape)` };
    }
    hash = i % 2 === 0 ? hashPair(hash, sibling) : hashPair(sibling, hash);
    i >>= 1;
    width = Math.ceil(width / 2);
  }
  return equalBytes(hash, root) ? { ok: true } : { ok: false, reason: 'root mismatch' };
}

const utf8 = new TextEncoder();

/** A data leaf's hash: double SHA-256 of its UTF-8 bytes (as a txid is of a transaction). */
export function leafHash(text: string): Uint8Array {
  return sha256d(utf8.encode(text));
}

/** A proof as plain JSON, hashes in display order like txids. */
export interface MerkleProofJson {
  readonly index: number;
  readonly leafCount: number;
  readonly siblings: readonly string[];
}

export function proofToJson(p: MerkleProof): MerkleProofJson {
  return { index: p.index, leafCount: p.leafCount, siblings: p.siblings.map(toDisplayHex) };
}

export function proofFromJson(j: MerkleProofJson): MerkleProof {
  return {
    index: j.index,
    leafCount: j.leafCount,
    siblings: j.siblings.map((s, i) => fromDisplayHex(s, `sibling ${i}`)),
  };
}
