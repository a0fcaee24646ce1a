/**
 * The double-spend arithmetic. An attacker with a share q of the hash power secretly mines a
 * chain without the merchant's payment; the honest network (share p = 1 − q) mines the payment
 * and z blocks on it. Can the attacker's chain still replace it?
 *
 * Three models answer that, and they disagree by up to a factor of two at z = 1, so every caller
 * names the one it uses (`AttackerModel`):
 *
 * - `nakamoto-poisson` — Nakamoto (2008), section 11, exactly as its C listing: the attacker's
 *   progress while the honest network mines z blocks is taken to be Poisson with mean z·q/p (as
 *   if the honest blocks took exactly their expected time), and from k blocks behind he catches
 *   up with the gambler's-ruin probability (q/p)^k. A tie counts as success.
 * - `rosenfeld-catch-up` — Rosenfeld (2014); the same closed form as Grunspan & Pérez-Marco
 *   (2017, Theorem 1, I_4pq(z, 1/2)): the attacker's progress is negative binomial (the number of
 *   his blocks before the z-th honest block, each block his with probability q) and catching up
 *   counts as success — which is what overtaking takes for an attacker who pre-mined one block
 *   before paying.
 * - `overtake-no-head-start` — the same negative binomial race, but the attacker holds no block
 *   in advance and must end strictly ahead (ties go to the block seen first). The model most
 *   favourable to the merchant; what `double-spend` in the simulated network measures.
 */
import { detExp, detPow } from '../../core/det-math.js';

function checkQ(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`attacker share q must be in [0, 1], got ${q}`);
}

function checkZ(z: number): void {
  if (!Number.isInteger(z) || z < 0) throw new RangeError(`z must be a whole number ≥ 0`);
}

/** Whitepaper §11: the probability an attacker with share q ever catches up from z behind. */
export function nakamotoCatchUp(q: number, z: number): number {
  checkQ(q);
  checkZ(z);
  const p = 1 - q;
  if (q >= p) return 1;
  const lambda = z * (q / p);
  let sum = 1;
  for (let k = 0; k <= z; k++) {
    let poisson = detExp(-lambda);
    for (let i = 1; i <= k; i++) poisson *= lambda / i;
    sum -= poisson * (1 - detPow(q / p, z - k));
  }
  return sum;
}

/**
 * The negative binomial race without the Poisson approximation: the attacker starts mining when
 * the payment's block does and must end ahead by at least `lead` blocks. lead 0 (catch up) is
 * `rosenfeld-catch-up`; lead 1 (overtake, no block in advance) is `overtake-no-head-start`.
 */
export function exactCatchUp(q: number, z: number, lead: 0 | 1 = 0): number {
  checkQ(q);
  checkZ(z);
  const p = 1 - q;
  if (q >= p) return 1;
  const ruin = (deficit: number): number => (deficit <= 0 ? 1 : detPow(q / p, deficit));
  if (z === 0) return ruin(lead);
  // Σ over k (attacker blocks by the z-th honest block) of NB(k) · ruin(z − k + lead),
  // written as 1 − Σ over the finitely many k with a deficit left, to avoid the infinite tail.
  let sum = 1;
  let nb = detPow(p, z); // NB(0) = p^z; NB(k) = NB(k−1) · q · (z + k − 1) / k
  for (let k = 0; z - k + lead > 0; k++) {
    if (k > 0) nb *= (q * (z + k - 1)) / k;
    sum -= nb * (1 - ruin(z - k + lead));
  }
  return Math.max(0, sum);
}

/** The least z for which the whitepaper's catch-up probability is below `target`. */
export function leastSafeZ(q: number, target: number, maxZ = 100_000): number | undefined {
  checkQ(q);
  if (!(target > 0 && target < 1)) throw new RangeError('target must be in (0, 1)');
  if (q >= 0.5) return undefined;
  for (let z = 0; z <= maxZ; z++) if (nakamotoCatchUp(q, z) < target) return z;
  return undefined;
}

/** The double-spend models, each named for what it assumes (see the top of this file). */
export type AttackerModel = 'nakamoto-poisson' | 'rosenfeld-catch-up' | 'overtake-no-head-start';

export const ATTACKER_MODELS: readonly AttackerModel[] = [
  'nakamoto-poisson',
  'rosenfeld-catch-up',
  'overtake-no-head-start',
];

export function isAttackerModel(name: string): name is AttackerModel {
  return (ATTACKER_MODELS as readonly string[]).includes(name);
}

/** The probability that a payment with z confirmations is reversed, under `model`. */
export function reversalProbability(model: AttackerModel, q: number, z: number): number {
  switch (model) {
    case 'nakamoto-poisson':
      return nakamotoCatchUp(q, z);
    case 'rosenfeld-catch-up':
      return exactCatchUp(q, z, 0);
    case 'overtake-no-head-start':
      return exactCatchUp(q, z, 1);
  }
}

/**
 * The attacker share q at which `model` gives reversal probability `risk` after z ≥ 1
 * confirmations. Every model rises strictly with q on [0, 0.5] (from 0 to 1), so bisection finds
 * the one root; 60 halvings leave an interval below 1e-18.
 */
export function shareForRisk(model: AttackerModel, z: number, risk: number): number {
  checkZ(z);
  if (z < 1) throw new RangeError('shareForRisk needs z ≥ 1: at z = 0 no share gives a risk');
  if (!(risk > 0 && risk < 1)) throw new RangeError(`risk must be in (0, 1), got ${risk}`);
  let lo = 0;
  let hi = 0.5;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (reversalProbability(model, mid, z) < risk) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
