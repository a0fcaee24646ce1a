/**
 * The visible time window of the diagram and the mapping between virtual time and pixels.
 * Zoom keeps the time under the pointer fixed; pan and zoom are clamped to the run's extent.
 */
export interface Viewport {
  /** Virtual time at the left edge, in ms. */
  readonly t0: number;
  /** Virtual time at the right edge, in ms. */
  readonly t1: number;
}

/** The narrowest window: a fraction of a millisecond shows individual message hops. */
export const MIN_SPAN_MS = 0.5;

export function timeToX(v: Viewport, width: number, t: number): number {
  return ((t - v.t0) / (v.t1 - v.t0)) * width;
}

export function xToTime(v: Viewport, width: number, x: number): number {
  return v.t0 + (x / width) * (v.t1 - v.t0);
}

/** Zooms by `factor` (<1 zooms in) around time `at`, staying within [0, extent]. */
export function zoom(v: Viewport, factor: number, at: number, extent: number): Viewport {
  const span = Math.min(
    Math.max((v.t1 - v.t0) * factor, MIN_SPAN_MS),
    Math.max(extent, MIN_SPAN_MS),
  );
  const ratio = (at - v.t0) / (v.t1 - v.t0);
  return clamp({ t0: at - ratio * span, t1: at - ratio * span + span }, extent);
}

/** Moves the window by `dt` ms, staying within [0, extent]. */
export function pan(v: Viewport, dt: number, extent: number): Viewport {
  return clamp({ t0: v.t0 + dt, t1: v.t1 + dt }, extent);
}

/** Centres the window on `t` without changing its width. */
export function centreOn(v: Viewport, t: number, extent: number): Viewport {
  const half = (v.t1 - v.t0) / 2;
  return clamp({ t0: t - half, t1: t + half }, extent);
}

function clamp(v: Viewport, extent: number): Viewport {
  const span = v.t1 - v.t0;
  const max = Math.max(extent, span);
  let t0 = Math.max(0, v.t0);
  if (t0 + span > max) t0 = max - span;
  return { t0, t1: t0 + span };
}

/** Tick spacing for a time axis: a 1-2-5 step giving roughly `target` ticks. */
export function tickStep(span: number, target = 8): number {
  const raw = span / target;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / pow;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * pow;
}

/** Tick times within the viewport, as multiples of `tickStep`. */
export function ticks(v: Viewport, target = 8): number[] {
  const step = tickStep(v.t1 - v.t0, target);
  const out: number[] = [];
  for (let t = Math.ceil(v.t0 / step) * step; t <= v.t1; t += step) out.push(t);
  return out;
}
