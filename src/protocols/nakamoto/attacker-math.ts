/**
 * The double-spend arithmetic. An attacker with a share q of the hash power secretly mines a
 * chain without the merchant's payment; the honest network (share p = 1 − q) mines the payment
 * and z blocks on it. Can the attacker's chain still catch up?
 *
 * - `nakamotoCatchUp` is section 11 of the Bitcoin whitepaper, exactly as its C listing: the
 *   attacker's progress while the honest network mines z blocks is taken to be Poisson with mean
 *   z·q/p (as if the honest blocks took exactly their expected time), and from k blocks behind
 *   he catches up with the gambler's-ruin probability (q/p)^k.
 * - `exactCatchUp` drops the Poisson approximation: the attacker's progress is negative
 *   binomial — the number of attacker blocks before the z-th honest block, each block being his
 *   with probability q (Rosenfeld 2014; Grunspan & Pérez-Marco 2017). This is what a simulation
 *   of racing miners measures. `lead` = 1 asks for a strictly longer chain, which is what
 *   replacing a chain under most-work-with-first-seen-ties actually takes.
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
 * The exact probability of a successful double spend after z confirmations: the attacker
 * starts with the payment's block, ends ahead by at least `lead` blocks (0 = catch up, as the
 * whitepaper counts; 1 = overtake).
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
