/**
 * Confidence intervals from independent batches (one per seed): the batches' mean ± Student's
 * t × their standard error. Runs of one seed are correlated inside (a fork touches its
 * neighbours), so the spread between seeds, not a binomial count, says how sure a mean is.
 */

/**
 * Two-sided quantiles of Student's t for 1…30 degrees of freedom (beyond 30, the 30th: a
 * slightly wide interval): 95 %, and 99.8 % (a 99 % family over five intervals, by Bonferroni).
 */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];
const T998 = [
  318.31, 22.327, 10.215, 7.173, 5.893, 5.208, 4.785, 4.501, 4.297, 4.144, 4.025, 3.93, 3.852,
  3.787, 3.733, 3.686, 3.646, 3.61, 3.579, 3.552, 3.527, 3.505, 3.485, 3.467, 3.45, 3.435, 3.421,
  3.408, 3.396, 3.385,
];

export interface BatchInterval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly batches: number;
}

export function batchInterval(
  values: readonly number[],
  confidence: 0.95 | 0.998 = 0.95,
): BatchInterval {
  const k = values.length;
  if (k < 2) throw new RangeError('a confidence interval needs at least two batches');
  const mean = values.reduce((a, b) => a + b, 0) / k;
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (k - 1);
  const table = confidence === 0.95 ? T95 : T998;
  const t = table[Math.min(k - 1, table.length) - 1] as number;
  const half = t * Math.sqrt(variance / k);
  return { mean, lo: mean - half, hi: mean + half, batches: k };
}
