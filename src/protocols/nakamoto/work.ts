/**
 * Chain work. Fork choice follows the chain with the most cumulative work, not the most blocks:
 * a block's work is the expected number of hashes needed to meet its target, 2^256 / (target+1),
 * computed as Bitcoin Core's GetBlockProof does.
 */
import { decodeCompact } from './compact-target.js';

const U256 = (1n << 256n) - 1n;

export function workForTarget(target: bigint): bigint {
  // (~target / (target + 1)) + 1 equals 2^256 / (target + 1) without needing 2^256 itself.
  return (U256 - target) / (target + 1n) + 1n;
}

export function blockWork(bits: number): bigint {
  const d = decodeCompact(bits);
  if (d.negative || d.overflow || d.target === 0n) return 0n;
  return workForTarget(d.target);
}
