/**
 * Where a timeline panel's spans go: one band per row, in the order the rows' first spans
 * come, and inside a band as many lines as its overlapping spans need (each span on the first
 * line whose last span has ended by its start), so no span hides another. The x range is the
 * spans' own, from the earliest start to the latest end. Pure, so it is unit-tested in Node.
 */
import type { TimelineSpan } from '../../src/core/lab-views.js';

export const LINE_HEIGHT = 16;
/** Space between two rows' bands. */
export const BAND_GAP = 4;

export interface PlacedSpan {
  readonly span: TimelineSpan;
  /** The line it is drawn on, counted from the top of the panel. */
  readonly line: number;
}

export interface TimelineBand {
  readonly row: string;
  /** Its first line, and how many it takes. */
  readonly line: number;
  readonly lines: number;
}

export interface TimelineLayout {
  readonly bands: readonly TimelineBand[];
  readonly placed: readonly PlacedSpan[];
  readonly lines: number;
  /** The time range drawn, in virtual ms (t1 > t0 even for one instant). */
  readonly t0: number;
  readonly t1: number;
}

export function timelineLayout(spans: readonly TimelineSpan[]): TimelineLayout {
  const rows = new Map<string, TimelineSpan[]>();
  for (const s of spans) {
    const list = rows.get(s.row);
    if (list === undefined) rows.set(s.row, [s]);
    else list.push(s);
  }
  const bands: TimelineBand[] = [];
  const placed: PlacedSpan[] = [];
  let line = 0;
  for (const [row, list] of rows) {
    /** Each line's latest end so far. */
    const ends: number[] = [];
    for (const span of [...list].sort((a, b) => a.start - b.start || a.end - b.end)) {
      let i = ends.findIndex((end) => end <= span.start);
      if (i < 0) i = ends.push(span.end) - 1;
      else ends[i] = span.end;
      placed.push({ span, line: line + i });
    }
    bands.push({ row, line, lines: ends.length });
    line += ends.length;
  }
  const t0 = spans.reduce((m, s) => Math.min(m, s.start), Infinity);
  const t1 = spans.reduce((m, s) => Math.max(m, s.end), -Infinity);
  return spans.length === 0
    ? { bands, placed, lines: 0, t0: 0, t1: 1 }
    : { bands, placed, lines: line, t0, t1: t1 > t0 ? t1 : t0 + 1 };
}
