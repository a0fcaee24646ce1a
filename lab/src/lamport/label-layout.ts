/**
 * Placing the diagram's text labels so that none overlaps another: each label offers one or
 * more positions, in order of preference; labels are placed by priority, each at its first
 * position that overlaps nothing placed before, and left out if none is free. Greedy and
 * O(n²), for the few dozen labels a diagram shows.
 */

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface LabelRequest {
  readonly text: string;
  /** Higher goes first. */
  readonly priority: number;
  readonly width: number;
  readonly height: number;
  /** Top-left corners to try, in order. */
  readonly positions: readonly { readonly x: number; readonly y: number }[];
  /** Where the label may be drawn at all (its box must fit inside). */
  readonly bounds?: Box;
  /** Carried through for the caller (colour, font). */
  readonly style?: string;
}

export interface PlacedLabel extends Box {
  readonly text: string;
  readonly style?: string;
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function inside(a: Box, b: Box): boolean {
  return a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w && a.y + a.h <= b.y + b.h;
}

/** The labels that fit, each at its chosen position, in placement order. */
export function placeLabels(requests: readonly LabelRequest[]): PlacedLabel[] {
  const order = requests
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i);
  const placed: PlacedLabel[] = [];
  for (const { r } of order) {
    for (const p of r.positions) {
      const box: Box = { x: p.x, y: p.y, w: r.width, h: r.height };
      if (r.bounds !== undefined && !inside(box, r.bounds)) continue;
      if (placed.some((q) => overlaps(q, box))) continue;
      placed.push({ ...box, text: r.text, ...(r.style !== undefined ? { style: r.style } : {}) });
      break;
    }
  }
  return placed;
}
