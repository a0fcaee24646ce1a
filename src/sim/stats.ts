/** Small exact statistics over a run's few thousand samples (no histogram needed at that size). */

/** Nearest-rank percentile of `values` (q in [0, 1]); 0 for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Rounds to microseconds, so printed figures stay short and stable. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
