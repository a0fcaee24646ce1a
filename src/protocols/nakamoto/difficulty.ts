/**
 * Difficulty as a property of the chain: the bits every block must carry follow from its
 * ancestors alone, so two nodes that hold the same chain demand the same target, and a block
 * that carries any other target is invalid wherever it arrives.
 *
 * This is Bitcoin's GetNextWorkRequired with a shorter period: the target stays as it is within
 * a period of `retargetBlocks` blocks, and the first block of the next period gets the target
 * `nextBits` computes from the period's first and last timestamps (×4 clamp, proof-of-work
 * limit and the first-to-last off-by-one included). A period of 0 never retargets.
 */
import { decodeCompact } from './compact-target.js';
import type { Block } from './block.js';
import { nextBits } from './retarget.js';

/** Regtest's easiest target (bits 0x207fffff): room for the simulated network to ease off. */
export const REGTEST_POW_LIMIT = decodeCompact(0x207fffff).target;

export interface DifficultyRule {
  /** The bits of every block in the first period (genesis itself keeps its own). */
  readonly startBits: number;
  /** Blocks per retarget period; 0 for a fixed difficulty. */
  readonly retargetBlocks: number;
  /** Header seconds a period should take (Bitcoin: 2016 × 600). */
  readonly timespan: number;
  readonly powLimit: bigint;
}

export class DifficultyRuleError extends Error {}

export function fixedDifficulty(bits: number): DifficultyRule {
  return { startBits: bits, retargetBlocks: 0, timespan: 0, powLimit: REGTEST_POW_LIMIT };
}

export function checkRule(rule: DifficultyRule): DifficultyRule {
  const n = rule.retargetBlocks;
  if (!Number.isInteger(n) || n < 0 || n === 1) {
    throw new DifficultyRuleError(`a retarget period is 0 (none) or at least 2 blocks, not ${n}`);
  }
  if (n > 0 && (!Number.isInteger(rule.timespan) || rule.timespan < 4)) {
    throw new DifficultyRuleError(
      `a retarget timespan is a whole number ≥ 4, not ${rule.timespan}`,
    );
  }
  return rule;
}

/**
 * The bits a child of `parent` must carry. `lookup` finds ancestors by hash (a miner's secret
 * branch is not in its chain yet, so the caller decides where to look).
 */
export function requiredBits(
  rule: DifficultyRule,
  parent: Block,
  lookup: (hash: string) => Block | undefined,
): number {
  const parentBits = parent.height === 0 ? rule.startBits : parent.header.bits;
  const n = rule.retargetBlocks;
  if (n === 0) return rule.startBits;
  if ((parent.height + 1) % n !== 0) return parentBits;
  // The period's first block is n − 1 blocks before its last (the parent).
  let first = parent;
  for (let i = 0; i < n - 1; i++) {
    const prev = lookup(first.header.prevHash);
    if (prev === undefined) {
      throw new DifficultyRuleError(`ancestor ${first.header.prevHash} of a period is unknown`);
    }
    first = prev;
  }
  return nextBits(parentBits, first.header.time, parent.header.time, {
    powLimit: rule.powLimit,
    timespanS: rule.timespan,
  });
}
