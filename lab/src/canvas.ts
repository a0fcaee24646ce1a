import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
/** Sizing a canvas for the device's pixel ratio, so lines stay sharp on high-DPI screens. */
export function prepareCanvas(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.floor(width * ratio));
  const h = Math.max(1, Math.floor(height * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('this browser has no 2D canvas');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** Short time labels for axes: 0.5 ms, 12 ms, 1.25 s. */
export function formatMs(t: number): string {
  if (!Number.isFinite(t)) return '…';
  const a = Math.abs(t);
  if (a >= 10_000) return `${(t / 1000).toFixed(1)} s`;
  if (a >= 1000) return `${(t / 1000).toFixed(2)} s`;
  if (a >= 10 || a === 0) return `${Math.round(t)} ms`;
  return `${t.toFixed(1)} ms`;
}

/** Colours shared by the diagram, the timeline and the legend. */
export const COLORS = {
  lane: '#9aa5b1',
  message: 'rgba(45, 105, 180, 0.75)',
  messageFaint: 'rgba(45, 105, 180, 0.35)',
  duplicate: 'rgba(130, 60, 170, 0.8)',
  dropPartition: '#d64545',
  dropLoss: '#e08a1e',
  dropDown: '#6b6b6b',
  inFlight: 'rgba(45, 105, 180, 0.5)',
  leader: '#e3a008',
  down: 'rgba(60, 60, 60, 0.28)',
  paused: 'rgba(140, 90, 200, 0.22)',
  clock: '#d9822b',
  crash: '#c81e1e',
  restart: '#1f8a4c',
  groups: ['rgba(66, 135, 245, 0.10)', 'rgba(245, 160, 66, 0.13)', 'rgba(80, 190, 120, 0.13)'],
  cut: 'rgba(214, 69, 69, 0.10)',
  cursor: '#0b5cff',
  faultLine: 'rgba(200, 30, 30, 0.55)',
  healLine: 'rgba(31, 138, 76, 0.55)',
  axis: '#52606d',
  ok: '#2f9e5b',
  fail: '#9aa5b1',
  unknown: '#e0a21e',
  pending: '#b8c4ce',
  blocked: '#d62020',
  deadline: '#7b2fd6',
  prefix: '#2d69b4',
} as const;

/** The width of the element behind `box`, kept current as the page resizes (at least 300). */
export function useElementWidth(box: RefObject<HTMLElement | null>, initial = 900): number {
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(300, el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return width;
}
