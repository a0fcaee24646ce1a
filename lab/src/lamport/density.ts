/**
 * Message density, for zoom levels where arrows would fill the lanes. Thousands of one-pixel
 * arrows overlap into one solid block that says nothing; counting the messages that cross each
 * gap between neighbouring lanes, per time bin, shows where traffic is heavy, where it stops
 * (a crash, a partition) and where drops happen.
 */
import type { DiagramMessage } from './layout.js';

/** Above this many visible messages per pixel of plot width, arrows give way to density. */
export const DENSITY_ABOVE_PER_PX = 0.5;

/** Width of a time bin in pixels. */
export const BIN_PX = 6;

export function arrowsWouldFill(visibleMessages: number, plotWidthPx: number): boolean {
  return visibleMessages > DENSITY_ABOVE_PER_PX * Math.max(1, plotWidthPx);
}

export interface DensityGrid {
  readonly t0: number;
  /** Virtual ms per bin. */
  readonly binMs: number;
  readonly bins: number;
  /** [gap][bin]: messages crossing the gap between lane g and lane g + 1. */
  readonly crossing: readonly (readonly number[])[];
  /** [gap][bin]: of those, the ones dropped (partition, loss, a dead receiver). */
  readonly dropped: readonly (readonly number[])[];
  readonly maxCrossing: number;
  readonly maxDropped: number;
}

/**
 * Bins messages over [t0, t1] into `bins` time bins, per gap between neighbouring lanes. A
 * message counts once in every gap its arrow crosses, at the midpoint of its flight (a message
 * still in flight, at its send).
 */
export function binDensity(
  messages: readonly DiagramMessage[],
  lanes: number,
  t0: number,
  t1: number,
  bins: number,
): DensityGrid {
  const n = Math.max(1, Math.floor(bins));
  const binMs = (t1 - t0) / n;
  const gaps = Math.max(0, lanes - 1);
  const crossing = Array.from({ length: gaps }, () => new Array<number>(n).fill(0));
  const dropped = Array.from({ length: gaps }, () => new Array<number>(n).fill(0));
  let maxCrossing = 0;
  let maxDropped = 0;
  for (const m of messages) {
    if (m.from === m.to) continue;
    const at = m.fate === 'in-flight' ? m.sent : (m.sent + m.end) / 2;
    if (at < t0 || at > t1 || !(binMs > 0)) continue;
    const bin = Math.min(n - 1, Math.floor((at - t0) / binMs));
    const lost = m.fate !== 'delivered' && m.fate !== 'in-flight';
    for (let g = Math.min(m.from, m.to); g < Math.max(m.from, m.to); g++) {
      const row = crossing[g] as number[];
      row[bin] = (row[bin] as number) + 1;
      maxCrossing = Math.max(maxCrossing, row[bin] as number);
      if (lost) {
        const d = dropped[g] as number[];
        d[bin] = (d[bin] as number) + 1;
        maxDropped = Math.max(maxDropped, d[bin] as number);
      }
    }
  }
  return { t0, binMs, bins: n, crossing, dropped, maxCrossing, maxDropped };
}

/**
 * Opacity for a count: logarithmic, so a bin with a tenth of the busiest bin's traffic still
 * shows, and the busiest stays translucent (never a solid block).
 */
export function densityAlpha(count: number, max: number): number {
  if (count <= 0 || max <= 0) return 0;
  return 0.12 + 0.58 * (Math.log(1 + count) / Math.log(1 + max));
}
