/**
 * Selfish mining (Eyal & Sirer, "Majority is not enough", 2014). A pool with share α keeps the
 * blocks it finds private and publishes them only to orphan honest blocks: on a lead of 1 it
 * races (a fraction γ of honest miners build on its block), on a lead of 2 it publishes both,
 * on longer leads it reveals one block per honest block. Above the threshold
 * α > (1 − γ) / (3 − 2γ) its share of the main chain exceeds α: honest mining is not incentive
 * compatible below 50 %.
 */
import type { Random } from '../../core/random.js';

/** Eyal–Sirer's closed form for the pool's share of main-chain blocks. */
export function selfishRevenue(alpha: number, gamma: number): number {
  const a = alpha;
  const num = a * (1 - a) * (1 - a) * (4 * a + gamma * (1 - 2 * a)) - a * a * a;
  const den = 1 - a * (1 + (2 - a) * a);
  return num / den;
}

/** The least share above which selfish mining pays, for a given γ. */
export function selfishThreshold(gamma: number): number {
  return (1 - gamma) / (3 - 2 * gamma);
}

export interface SelfishOutcome {
  readonly selfishBlocks: number;
  readonly honestBlocks: number;
  readonly share: number;
}

/**
 * Runs the strategy's state machine over `blocks` found blocks (each the pool's with
 * probability α; in a tie race, the next honest block lands on the pool's branch with
 * probability γ) and counts whose blocks end up in the main chain.
 */
export function simulateSelfish(
  random: Random,
  alpha: number,
  gamma: number,
  blocks: number,
): SelfishOutcome {
  let lead = 0;
  let tie = false;
  let selfish = 0;
  let honest = 0;
  for (let i = 0; i < blocks; i++) {
    if (random.next() < alpha) {
      if (tie) {
        // The pool extends its own branch of the tie and publishes: both its blocks win.
        selfish += 2;
        tie = false;
      } else lead++;
      continue;
    }
    if (tie) {
      if (random.next() < gamma) {
        selfish += 1;
        honest += 1;
      } else honest += 2;
      tie = false;
    } else if (lead === 0) honest += 1;
    else if (lead === 1) {
      tie = true; // the pool publishes its one block: a race of two branches
      lead = 0;
    } else if (lead === 2) {
      selfish += 2; // publishing both orphans the honest block
      lead = 0;
    } else {
      selfish += 1; // reveals one block; it will end up in the main chain
      lead--;
    }
  }
  const total = selfish + honest;
  return { selfishBlocks: selfish, honestBlocks: honest, share: total === 0 ? 0 : selfish / total };
}
