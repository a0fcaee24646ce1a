/**
 * Monte Carlo double-spend races, block by block, one per attacker model — each simulating its
 * model's own assumptions rather than its formula, so a race agreeing with a closed form checks
 * the algebra and not just the code path.
 *
 * With exponential block times the sequence of who finds the next block is a series of
 * independent draws (attacker with probability q), so `raceOnce` needs only those draws: the
 * attacker starts with `headStart` pre-mined blocks, counts his blocks until the honest chain
 * has z confirmations, then walks the gap until he leads by `lead` (success) or falls so far
 * behind that his remaining chance is below `giveUp` (failure — the truncation's bias is at most
 * `giveUp` per race). `poissonRaceOnce` instead gives the honest network exactly its expected
 * time for the z blocks, as Nakamoto's section 11 does. The discrete-event version of the
 * no-head-start attack runs in the `nakamoto` system (miner-node.ts, strategy `double-spend`).
 */
import { detLog } from '../../core/det-math.js';
import type { Random } from '../../core/random.js';
import type { AttackerModel } from './attacker-math.js';

export interface RaceOptions {
  readonly q: number;
  readonly z: number;
  /** 0: catching up counts (whitepaper); 1: the attacker must overtake. */
  readonly lead: 0 | 1;
  /** Blocks the attacker mined on the payment's parent before he paid (default 0). */
  readonly headStart?: number;
  readonly giveUp?: number;
}

function checkRace(q: number, z: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`attacker share q must be in [0, 1], got ${q}`);
  if (!Number.isInteger(z) || z < 0) throw new RangeError(`z must be a whole number ≥ 0`);
}

/** Deficits beyond which the attacker's chance (q/p)^deficit is below giveUp. */
function maxDeficit(q: number, giveUp: number): number {
  return Math.ceil(detLog(giveUp) / detLog(q / (1 - q)));
}

/** From `gap` blocks short, walk block by block until the attacker closes it or gives up. */
function closeGap(random: Random, q: number, gap: number, giveUp: number): boolean {
  if (gap <= 0) return true;
  if (q === 0) return false;
  const limit = maxDeficit(q, giveUp);
  while (gap > 0 && gap <= limit) gap += random.next() < q ? -1 : 1;
  return gap <= 0;
}

export function raceOnce(random: Random, o: RaceOptions): boolean {
  checkRace(o.q, o.z);
  const headStart = o.headStart ?? 0;
  if (!Number.isInteger(headStart) || headStart < 0) {
    throw new RangeError(`headStart must be a whole number ≥ 0, got ${headStart}`);
  }
  const p = 1 - o.q;
  if (o.q >= p) return true;
  let honest = 0;
  let attacker = headStart;
  while (honest < o.z) {
    if (random.next() < o.q) attacker++;
    else honest++;
  }
  return closeGap(random, o.q, honest - attacker + o.lead, o.giveUp ?? 1e-9);
}

/**
 * Nakamoto's section-11 race: the honest network takes exactly z/p (in units of the whole
 * network's mean block interval) for its z blocks, the attacker's blocks arrive at rate q in
 * that time, and from there catching up (a tie) counts as success.
 */
export function poissonRaceOnce(
  random: Random,
  o: { readonly q: number; readonly z: number; readonly giveUp?: number },
): boolean {
  checkRace(o.q, o.z);
  const p = 1 - o.q;
  if (o.q >= p) return true;
  if (o.q === 0) return o.z === 0;
  const horizon = o.z / p;
  let attacker = 0;
  for (let t = random.exponential(1 / o.q); t < horizon; t += random.exponential(1 / o.q)) {
    attacker++;
  }
  return closeGap(random, o.q, o.z - attacker, o.giveUp ?? 1e-9);
}

/** One race under `model`'s own assumptions. */
export function modelRaceOnce(random: Random, model: AttackerModel, q: number, z: number): boolean {
  switch (model) {
    case 'nakamoto-poisson':
      return poissonRaceOnce(random, { q, z });
    case 'rosenfeld-catch-up':
      // Rosenfeld's reading of "catching up": an attacker who pre-mined one block needs only
      // to draw level with the honest chain to publish a strictly longer one.
      return raceOnce(random, { q, z, lead: 1, headStart: 1 });
    case 'overtake-no-head-start':
      return raceOnce(random, { q, z, lead: 1, headStart: 0 });
  }
}

export interface RateEstimate {
  readonly successes: number;
  readonly trials: number;
  readonly rate: number;
  /** Standard error of the rate (binomial). */
  readonly stderr: number;
  /** Wilson score interval at 95 % (z = 1.96): honest even when no race succeeded. */
  readonly lo: number;
  readonly hi: number;
}

const Z95 = 1.959963984540054;

export function estimate(successes: number, trials: number): RateEstimate {
  if (trials === 0) return { successes, trials, rate: 0, stderr: 0, lo: 0, hi: 1 };
  const rate = successes / trials;
  const z2 = Z95 * Z95;
  const centre = (rate + z2 / (2 * trials)) / (1 + z2 / trials);
  const half =
    (Z95 / (1 + z2 / trials)) *
    Math.sqrt((rate * (1 - rate)) / trials + z2 / (4 * trials * trials));
  return {
    successes,
    trials,
    rate,
    stderr: Math.sqrt((rate * (1 - rate)) / trials),
    lo: Math.max(0, centre - half),
    hi: Math.min(1, centre + half),
  };
}

export function raceMany(random: Random, o: RaceOptions, trials: number): RateEstimate {
  let wins = 0;
  for (let i = 0; i < trials; i++) if (raceOnce(random, o)) wins++;
  return estimate(wins, trials);
}

export function modelRaceMany(
  random: Random,
  model: AttackerModel,
  q: number,
  z: number,
  trials: number,
): RateEstimate {
  let wins = 0;
  for (let i = 0; i < trials; i++) if (modelRaceOnce(random, model, q, z)) wins++;
  return estimate(wins, trials);
}
