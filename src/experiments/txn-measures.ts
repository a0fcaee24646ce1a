/**
 * What the transaction experiments (commit-wait, clock-skew, txn-failover) read from a run of the
 * simulated `spanner` and `cockroach` systems: committed transactions' latencies from the
 * history, and a least-squares line through measured points.
 */
import type { HistoryOp } from '../core/history.js';

/**
 * Transactions invoked before this are left out of latency figures: the ranges' first
 * elections (150–300 ms timeouts) and the clients' first routes are not what is measured.
 */
export const WARM_UP_MS = 1000;

/** invoke → ok of every committed transaction invoked after the warm-up, in history order. */
export function committedLatencies(history: readonly HistoryOp[]): number[] {
  return history
    .filter((o) => o.outcome === 'ok' && o.f === 'txn' && o.invoke >= WARM_UP_MS)
    .map((o) => o.complete - o.invoke);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the mean of no values');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export interface Line {
  readonly slope: number;
  readonly intercept: number;
}

/** The least-squares line y = intercept + slope · x through the points (at least two xs). */
export function fitLine(points: readonly { readonly x: number; readonly y: number }[]): Line {
  if (new Set(points.map((p) => p.x)).size < 2)
    throw new RangeError('a line needs points at two x values at least');
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) * (p.x - mx);
    sxy += (p.x - mx) * (p.y - my);
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
