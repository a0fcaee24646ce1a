/**
 * A Monte Carlo double-spend race, block by block. With exponential block times, the sequence
 * of who finds the next block is a series of independent draws (attacker with probability q),
 * so a race needs only those draws: count the attacker's blocks until the honest chain has z
 * confirmations, then walk the gap until the attacker leads by `lead` (success) or falls so far
 * behind that his remaining chance is below `giveUp` (failure — the truncation's bias is at most
 * `giveUp` per race). The discrete-event version of the same attack runs in the `nakamoto`
 * system (miner-node.ts, strategy `double-spend`).
 */
import { detLog } from '../../core/det-math.js';
import type { Random } from '../../core/random.js';

export interface RaceOptions {
  readonly q: number;
  readonly z: number;
  /** 0: catching up counts (whitepaper); 1: the attacker must overtake. */
  readonly lead: 0 | 1;
  readonly giveUp?: number;
}

export function raceOnce(random: Random, o: RaceOptions): boolean {
  const p = 1 - o.q;
  if (o.q >= p) return true;
  const maxDeficit = Math.ceil(detLog(o.giveUp ?? 1e-9) / detLog(o.q / p));
  let honest = 0;
  let attacker = 0;
  while (honest < o.z) {
    if (random.next() < o.q) attacker++;
    else honest++;
  }
  let gap = honest - attacker + o.lead; // blocks the attacker still needs
  while (gap > 0 && gap <= maxDeficit) gap += random.next() < o.q ? -1 : 1;
  return gap <= 0;
}

export interface RateEstimate {
  readonly successes: number;
  readonly trials: number;
  readonly rate: number;
  /** Standard error of the rate (binomial). */
  readonly stderr: number;
}

export function estimate(successes: number, trials: number): RateEstimate {
  const rate = trials === 0 ? 0 : successes / trials;
  return {
    successes,
    trials,
    rate,
    stderr: trials === 0 ? 0 : Math.sqrt((rate * (1 - rate)) / trials),
  };
}

export function raceMany(random: Random, o: RaceOptions, trials: number): RateEstimate {
  let wins = 0;
  for (let i = 0; i < trials; i++) if (raceOnce(random, o)) wins++;
  return estimate(wins, trials);
}
