/**
 * The series the charts plot, computed from operations and leader spans. uPlot wants columns
 * (one array of x values, one per series) with x sorted, which is what these return.
 */
import type { LeaderSpan } from './snapshots.js';
import type { OpBar } from './ops-model.js';
import { tickStep } from './lamport/viewport.js';

/** Latency of each successful operation against its completion time. */
export function latencySeries(bars: readonly OpBar[]): [number[], number[]] {
  const ok = bars
    .filter((b) => b.outcome === 'ok')
    .map((b) => [b.complete, b.complete - b.invoke] as const)
    .sort((a, b) => a[0] - b[0]);
  return [ok.map((p) => p[0]), ok.map((p) => p[1])];
}

/**
 * Successful and unsuccessful completions per second of virtual time, in buckets of a round
 * width chosen so that the run spans about `buckets` of them. x is each bucket's start.
 */
export function throughputSeries(
  bars: readonly OpBar[],
  end: number,
  buckets = 60,
): [number[], number[], number[]] {
  const width = tickStep(Math.max(end, 1), buckets);
  const n = Math.max(1, Math.ceil(end / width));
  const ok = new Array<number>(n).fill(0);
  const notOk = new Array<number>(n).fill(0);
  for (const b of bars) {
    if (b.outcome === 'pending') continue;
    const i = Math.min(n - 1, Math.floor(b.complete / width));
    if (b.outcome === 'ok') ok[i]! += 1;
    else notOk[i]! += 1;
  }
  const perSecond = 1000 / width;
  return [
    ok.map((_, i) => i * width),
    ok.map((c) => c * perSecond),
    notOk.map((c) => c * perSecond),
  ];
}

/** The number of times a new leader took over, as a step function of time up to `end`. */
export function leaderChangeSeries(
  spans: readonly LeaderSpan[],
  end: number,
): [number[], number[]] {
  const xs: number[] = [0];
  const ys: number[] = [0];
  spans.forEach((s, i) => {
    xs.push(s.start);
    ys.push(i + 1);
  });
  // Carry the count on to the end of the run, so the chart spans the same time as the others.
  if (end > (xs[xs.length - 1] as number)) {
    xs.push(end);
    ys.push(spans.length);
  }
  return [xs, ys];
}
