/**
 * The diagram's time axis: tick steps chosen by zoom, and labels printed with just enough
 * decimals for the step, so two ticks never read the same (10 ms steps of 0.2 ms used to all
 * print "10 ms"). Ticks are whole multiples of the step, computed by index rather than by
 * repeated addition, which would drift (0.30000000000000004).
 */
import type { Viewport } from './viewport.js';

export interface AxisTick {
  readonly t: number;
  readonly label: string;
}

/** Room for one label ("1234.56 ms" at 11 px) and a gap: the fewest pixels between ticks. */
export const MIN_TICK_GAP_PX = 96;

export function axisTicks(
  v: Viewport,
  plotWidthPx: number,
  minGapPx = MIN_TICK_GAP_PX,
): AxisTick[] {
  const span = v.t1 - v.t0;
  if (!(span > 0) || !(plotWidthPx > 0)) return [];
  const step = stepAtLeast((span * minGapPx) / plotWidthPx);
  const format = tickFormat(step);
  const out: AxisTick[] = [];
  for (let i = Math.ceil(v.t0 / step - 1e-9); i * step <= v.t1 + step * 1e-9; i++) {
    const t = i * step;
    out.push({ t, label: format(t) });
  }
  return out;
}

/** The smallest 1-2-5 step (…, 0.5, 1, 2, 5, 10, …) of at least `min` ms. */
export function stepAtLeast(min: number): number {
  const pow = 10 ** Math.floor(Math.log10(min));
  for (const m of [1, 2, 5]) if (m * pow >= min * (1 - 1e-9)) return m * pow;
  return 10 * pow;
}

/** The unit and decimals a step needs: every multiple of it prints differently. */
export function tickFormat(step: number): (t: number) => string {
  const seconds = step >= 1000;
  const unitStep = seconds ? step / 1000 : step;
  const decimals = decimalsOf(unitStep);
  return (t: number) => {
    const value = seconds ? t / 1000 : t;
    // −0 would print as "-0".
    const text = (Math.abs(value) < 1e-12 ? 0 : value).toFixed(decimals);
    return `${text} ${seconds ? 's' : 'ms'}`;
  };
}

/** Decimals needed to write `x` exactly (for 1-2-5 steps: 0.05 → 2, 2 → 0), at most 6. */
function decimalsOf(x: number): number {
  for (let d = 0; d < 6; d++) {
    const scaled = x * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 6;
}
