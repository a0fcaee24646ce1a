/**
 * Logarithm, exponential and power computed only with + − × ÷, which IEEE 754 rounds the same
 * on every engine. `Math.log`, `Math.exp` and `Math.pow` are not so specified, and do differ in
 * their last bits between Node 20 and current Chromium — enough to make the same seed give a
 * different run in the lab than in the CLI. Everything that shapes a simulated run uses these.
 */

const LN2 = 0.6931471805599453;
// ln 2 split so that k · LN2_HI is exact for |k| < 2^11 (Cody–Waite): keeps range reduction
// accurate far from zero.
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.9082149292705877e-10;
const SQRT2 = 1.4142135623730951;
const TWO_32 = 4294967296;

/** Natural logarithm (accurate to about 1 ulp for normal positive x). */
export function detLog(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  // x = m · 2^e with m in [√½, √2): scaling by 2 is exact.
  let m = x;
  let e = 0;
  while (m >= TWO_32) {
    m /= TWO_32;
    e += 32;
  }
  while (m < 1 / TWO_32) {
    m *= TWO_32;
    e -= 32;
  }
  while (m >= SQRT2) {
    m /= 2;
    e++;
  }
  while (m < SQRT2 / 2) {
    m *= 2;
    e--;
  }
  // ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172: the series converges fast.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = 0;
  for (let k = 1; k < 60; k += 2) {
    const next = sum + term / k;
    if (next === sum) break;
    sum = next;
    term *= s2;
  }
  return e * LN2_HI + (2 * sum + e * LN2_LO);
}

/** e^x. */
export function detExp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  // e^x = 2^k · e^r with |r| ≤ ln2/2; 2^k by exact doublings.
  const k = Math.round(x / LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 40; n++) {
    term *= r / n;
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  // Scale step by step: 2^k alone would overflow (or underflow) near the limits.
  const factor = k >= 0 ? 2 : 0.5;
  for (let steps = Math.abs(k); steps > 0; steps--) sum *= factor;
  return sum;
}

/** base^exponent for base > 0 (exact for integer exponents of small magnitude). */
export function detPow(base: number, exponent: number): number {
  if (Number.isInteger(exponent) && Math.abs(exponent) <= 64) {
    let result = 1;
    let b = exponent >= 0 ? base : 1 / base;
    let n = Math.abs(exponent);
    while (n > 0) {
      if (n & 1) result *= b;
      b *= b;
      n >>= 1;
    }
    return result;
  }
  if (base === 0) return exponent > 0 ? 0 : Infinity;
  if (base < 0) return NaN;
  return detExp(exponent * detLog(base));
}
