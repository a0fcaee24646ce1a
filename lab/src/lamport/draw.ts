/**
 * Drawing the space-time diagram on a canvas. Only what overlaps the viewport is drawn: the
 * model answers window queries by binary search, so a 20,000-event run costs what is on screen.
 * Messages of one kind go into one path, so thousands of arrows are a handful of strokes.
 */
import { COLORS } from '../canvas.js';
import type { LeaderSpan } from '../snapshots.js';
import { axisTicks } from './axis.js';
import { arrowsWouldFill, BIN_PX, binDensity, densityAlpha } from './density.js';
import { placeLabels, type Box, type LabelRequest, type PlacedLabel } from './label-layout.js';
import type { DiagramMessage, DiagramModel } from './layout.js';
import { timeToX, type Viewport } from './viewport.js';

export const AXIS_HEIGHT = 34;
export const LANE_HEIGHT = 44;
export const GUTTER = 92;

export interface LaneLabel {
  readonly title: string;
  readonly detail: string;
  readonly leader: boolean;
  readonly down: boolean;
}

export interface DiagramFrame {
  readonly model: DiagramModel;
  readonly viewport: Viewport;
  readonly width: number;
  readonly cursor: number;
  /** Virtual time now (in-flight messages are drawn up to it). */
  readonly now: number;
  readonly leaders: readonly LeaderSpan[];
  readonly labels: readonly LaneLabel[];
}

export function diagramHeight(lanes: number): number {
  return AXIS_HEIGHT + Math.max(1, lanes) * LANE_HEIGHT + 8;
}

export function laneY(lane: number): number {
  return AXIS_HEIGHT + lane * LANE_HEIGHT + LANE_HEIGHT / 2;
}

/** What a frame drew: its labels (placed so none overlaps another) and how messages were shown. */
export interface DrawnDiagram {
  readonly labels: readonly PlacedLabel[];
  readonly messages: 'arrows' | 'density';
}

const FONT_SMALL = '10px system-ui, sans-serif';

/** Collects the frame's labels; they are placed and drawn last, on top, none overlapping. */
class Labels {
  readonly requests: LabelRequest[] = [];
  constructor(private readonly ctx: CanvasRenderingContext2D) {}

  add(
    text: string,
    font: string,
    color: string,
    priority: number,
    positions: readonly { x: number; y: number }[],
    bounds: Box,
  ): void {
    this.ctx.font = font;
    const size = Number(/(\d+)px/.exec(font)?.[1] ?? 10);
    this.requests.push({
      text,
      priority,
      width: Math.ceil(this.ctx.measureText(text).width) + 2,
      height: size + 3,
      positions,
      bounds,
      style: `${font}|${color}`,
    });
  }

  /** `text`, cut with an ellipsis to fit `maxWidth` in `font`. */
  fit(text: string, font: string, maxWidth: number): string {
    this.ctx.font = font;
    if (this.ctx.measureText(text).width + 2 <= maxWidth) return text;
    let cut = text;
    while (cut.length > 1 && this.ctx.measureText(`${cut}…`).width + 2 > maxWidth)
      cut = cut.slice(0, -1);
    return `${cut}…`;
  }

  draw(): PlacedLabel[] {
    const placed = placeLabels(this.requests);
    const ctx = this.ctx;
    ctx.textBaseline = 'top';
    for (const l of placed) {
      const [font, color] = (l.style ?? '').split('|');
      ctx.font = font ?? FONT_SMALL;
      ctx.fillStyle = color ?? '#333';
      ctx.fillText(l.text, l.x + 1, l.y + 1);
    }
    ctx.textBaseline = 'alphabetic';
    return placed;
  }
}

export function drawDiagram(ctx: CanvasRenderingContext2D, f: DiagramFrame): DrawnDiagram {
  const { model, viewport: v } = f;
  const labels = new Labels(ctx);
  const plotW = f.width - GUTTER;
  const x = (t: number): number => GUTTER + timeToX(v, plotW, t);
  const clampX = (t: number): number => Math.max(GUTTER - 2, Math.min(f.width + 2, x(t)));
  const lanes = model.lanes.length;
  const bottom = AXIS_HEIGHT + lanes * LANE_HEIGHT;
  const plot: Box = { x: GUTTER, y: AXIS_HEIGHT, w: plotW, h: bottom - AXIS_HEIGHT };

  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, 0, plotW, bottom + 8);
  ctx.clip();

  // Partitions: lanes tinted by the group they are cut into.
  for (const p of model.visiblePartitions(v.t0, v.t1)) {
    const x0 = clampX(p.start);
    const x1 = clampX(Math.min(p.end, f.now));
    if (p.groups.length > 1) {
      p.groups.forEach((g, gi) => {
        ctx.fillStyle = COLORS.groups[gi % COLORS.groups.length] as string;
        for (const lane of g) ctx.fillRect(x0, laneY(lane) - LANE_HEIGHT / 2, x1 - x0, LANE_HEIGHT);
      });
    } else {
      ctx.fillStyle = COLORS.cut;
      ctx.fillRect(x0, AXIS_HEIGHT, x1 - x0, bottom - AXIS_HEIGHT);
    }
    // At the top of the diagram or of a group's first lane, wherever nothing else is.
    const px = Math.max(x0, GUTTER) + 4;
    const tops = [AXIS_HEIGHT + 1, ...p.groups.map((g) => laneY(g[0] ?? 0) - LANE_HEIGHT / 2 + 1)];
    labels.add(
      `partition ${p.label}`,
      '11px system-ui, sans-serif',
      COLORS.dropPartition,
      50,
      tops.map((y) => ({ x: px, y })),
      { ...plot, w: Math.max(0, Math.min(x1, f.width) - GUTTER) },
    );
  }

  // Down, paused and skewed stretches of lanes.
  for (const iv of model.visibleIntervals(v.t0, v.t1)) {
    const x0 = clampX(iv.start);
    const x1 = clampX(Math.min(iv.end, f.now));
    const y = laneY(iv.lane);
    if (iv.kind === 'clock') {
      ctx.strokeStyle = COLORS.clock;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x0, y + 9);
      ctx.lineTo(x1, y + 9);
      ctx.stroke();
      ctx.setLineDash([]);
      const cx = Math.max(x0, GUTTER) + 3;
      labels.add(
        `clock ${iv.label}`,
        FONT_SMALL,
        COLORS.clock,
        35,
        [
          { x: cx, y: y + 10 },
          { x: cx, y: y - 22 },
        ],
        plot,
      );
    } else {
      ctx.fillStyle = iv.kind === 'down' ? COLORS.down : COLORS.paused;
      ctx.fillRect(x0, y - 12, x1 - x0, 24);
      const ix = Math.max(x0, GUTTER) + 3;
      labels.add(
        iv.label,
        FONT_SMALL,
        '#333',
        45,
        [
          { x: ix, y: y - 21 },
          { x: ix, y: y + 12 },
        ],
        plot,
      );
    }
  }

  // Lanes, thick where the node leads.
  ctx.lineWidth = 1;
  ctx.strokeStyle = COLORS.lane;
  ctx.beginPath();
  for (let lane = 0; lane < lanes; lane++) {
    ctx.moveTo(GUTTER, laneY(lane));
    ctx.lineTo(f.width, laneY(lane));
  }
  ctx.stroke();
  ctx.lineWidth = 5;
  ctx.strokeStyle = COLORS.leader;
  for (const s of f.leaders) {
    if (s.start > v.t1 || s.end < v.t0) continue;
    const lane = model.lanes.indexOf(s.node);
    if (lane < 0) continue;
    const x0 = clampX(s.start);
    const x1 = clampX(Math.min(s.end, f.now));
    ctx.beginPath();
    ctx.moveTo(x0, laneY(lane));
    ctx.lineTo(x1, laneY(lane));
    ctx.stroke();
    labels.add(
      `★ leader${s.term !== undefined ? ` t${s.term}` : ''}`,
      FONT_SMALL,
      '#8a5a00',
      40,
      [
        { x: x0 + 2, y: laneY(lane) + 5 },
        { x: x0 + 2, y: laneY(lane) - 19 },
      ],
      { ...plot, w: Math.max(0, Math.min(x1, f.width) - GUTTER) },
    );
  }

  const visible = model.visibleMessages(v.t0, v.t1);
  const dense = arrowsWouldFill(visible.length, plotW);
  if (dense) drawDensity(ctx, visible, lanes, v, plotW);
  else drawMessages(ctx, visible, x, f.now, labels, plot);

  // Point events on lanes. Timers and client calls only once zoomed in, where they are legible.
  const marks = model.visibleMarks(v.t0, v.t1);
  const detailed = marks.length < 1500;
  for (const m of marks) {
    const mx = x(m.t);
    const y = laneY(m.lane);
    switch (m.kind) {
      case 'crash':
        cross(ctx, mx, y, 8, COLORS.crash, 3);
        break;
      case 'restart':
        ctx.fillStyle = COLORS.restart;
        ctx.beginPath();
        ctx.moveTo(mx, y - 8);
        ctx.lineTo(mx + 9, y);
        ctx.lineTo(mx, y + 8);
        ctx.fill();
        break;
      case 'pause':
      case 'resume':
        ctx.fillStyle = '#7a4bc4';
        if (m.kind === 'pause') {
          ctx.fillRect(mx - 5, y - 7, 3, 14);
          ctx.fillRect(mx + 1, y - 7, 3, 14);
        } else {
          ctx.beginPath();
          ctx.moveTo(mx - 4, y - 7);
          ctx.lineTo(mx + 5, y);
          ctx.lineTo(mx - 4, y + 7);
          ctx.fill();
        }
        break;
      case 'clock':
        ctx.fillStyle = COLORS.clock;
        ctx.beginPath();
        ctx.arc(mx, y, 5, 0, Math.PI * 2);
        ctx.fill();
        break;
      case 'timer':
        if (!detailed) break;
        ctx.strokeStyle = '#8895a3';
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(mx, y - 4);
        ctx.lineTo(mx, y + 4);
        ctx.stroke();
        break;
      case 'request':
      case 'reply':
        if (!detailed) break;
        ctx.fillStyle = m.kind === 'request' ? '#2f9e5b' : '#1b6e3e';
        ctx.fillRect(mx - 1.5, y - (m.kind === 'request' ? 9 : -5), 3, 4);
        break;
    }
  }

  // Nemesis phases and invariant violations cross every lane.
  for (const g of model.visibleGlobals(v.t0, v.t1)) {
    const gx = x(g.t);
    ctx.strokeStyle =
      g.kind === 'nemesis-heal'
        ? COLORS.healLine
        : g.kind === 'link'
          ? COLORS.clock
          : COLORS.faultLine;
    ctx.lineWidth = g.kind === 'invariant' ? 3 : 1;
    ctx.setLineDash(g.kind === 'invariant' ? [] : [3, 3]);
    ctx.beginPath();
    ctx.moveTo(gx, AXIS_HEIGHT);
    ctx.lineTo(gx, bottom);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // The scrubbed instant.
  if (f.cursor >= v.t0 && f.cursor <= v.t1) {
    ctx.strokeStyle = COLORS.cursor;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x(f.cursor), AXIS_HEIGHT - 6);
    ctx.lineTo(x(f.cursor), bottom);
    ctx.stroke();
  }
  ctx.restore();

  drawAxis(ctx, v, f.width, x, labels);
  laneLabels(model.lanes, f.labels, labels);
  return { labels: labels.draw(), messages: dense ? 'density' : 'arrows' };
}

/** Density bands between neighbouring lanes, binned by time, with drops as a red core. */
function drawDensity(
  ctx: CanvasRenderingContext2D,
  messages: readonly DiagramMessage[],
  lanes: number,
  v: Viewport,
  plotW: number,
): void {
  const grid = binDensity(messages, lanes, v.t0, v.t1, Math.ceil(plotW / BIN_PX));
  const binW = plotW / grid.bins;
  grid.crossing.forEach((row, g) => {
    const top = laneY(g) + 4;
    const height = LANE_HEIGHT - 8;
    const drops = grid.dropped[g] as readonly number[];
    row.forEach((count, k) => {
      if (count === 0) return;
      const bx = GUTTER + k * binW;
      // One pixel between bins keeps the texture of traffic visible.
      ctx.fillStyle = `rgba(45, 105, 180, ${densityAlpha(count, grid.maxCrossing).toFixed(3)})`;
      ctx.fillRect(bx, top, Math.max(1, binW - 1), height);
      const d = drops[k] as number;
      if (d > 0) {
        ctx.fillStyle = `rgba(214, 69, 69, ${(0.3 + 0.6 * (d / Math.max(1, grid.maxDropped))).toFixed(3)})`;
        ctx.fillRect(bx, top + height / 2 - 3, Math.max(1, binW - 1), 6);
      }
    });
  });
}

function drawMessages(
  ctx: CanvasRenderingContext2D,
  messages: readonly DiagramMessage[],
  x: (t: number) => number,
  now: number,
  labels: Labels,
  plot: Box,
): void {
  const many = messages.length > 3000;
  const delivered = new Path2D();
  const duplicates = new Path2D();
  const arrowHeads = new Path2D();
  const inFlight = new Path2D();
  const drops: { x: number; y: number; color: string }[] = [];
  for (const m of messages) {
    const x0 = x(m.sent);
    const y0 = laneY(m.from);
    const y1 = laneY(m.to);
    if (m.fate === 'in-flight') {
      inFlight.moveTo(x0, y0);
      inFlight.lineTo(Math.max(x0 + 4, x(now)), (y0 + y1) / 2);
      continue;
    }
    if (m.fate === 'partition' || m.fate === 'loss') {
      // Dropped at the sender: a short stub towards the receiver ending in a cross.
      const sx = x0 + 10;
      const sy = y0 + Math.sign(y1 - y0) * 10;
      const color = m.fate === 'partition' ? COLORS.dropPartition : COLORS.dropLoss;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(sx, sy);
      ctx.stroke();
      drops.push({ x: sx, y: sy, color });
      continue;
    }
    const x1 = x(m.end);
    const path = m.duplicate ? duplicates : delivered;
    path.moveTo(x0, y0);
    path.lineTo(x1, y1);
    if (m.fate === 'down') drops.push({ x: x1, y: y1, color: COLORS.dropDown });
    else if (!many && Math.hypot(x1 - x0, y1 - y0) > 14) arrowHead(arrowHeads, x0, y0, x1, y1);
  }
  ctx.lineWidth = 1;
  ctx.strokeStyle = many ? COLORS.messageFaint : COLORS.message;
  ctx.stroke(delivered);
  ctx.strokeStyle = COLORS.duplicate;
  ctx.stroke(duplicates);
  ctx.fillStyle = COLORS.message;
  ctx.fill(arrowHeads);
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = COLORS.inFlight;
  ctx.stroke(inFlight);
  ctx.setLineDash([]);
  if (!many) for (const d of drops) cross(ctx, d.x, d.y, 3.5, d.color, 1.5);
  // Message types, once few enough to read.
  if (messages.length <= 120) {
    for (const m of messages) {
      if (m.fate !== 'delivered') continue;
      const mx = (x(m.sent) + x(m.end)) / 2;
      const my = (laneY(m.from) + laneY(m.to)) / 2;
      labels.add(
        m.type,
        '9px system-ui, sans-serif',
        '#334e68',
        10,
        [
          { x: mx + 3, y: my - 12 },
          { x: mx + 3, y: my + 1 },
        ],
        plot,
      );
    }
  }
}

function arrowHead(path: Path2D, x0: number, y0: number, x1: number, y1: number): void {
  const a = Math.atan2(y1 - y0, x1 - x0);
  path.moveTo(x1, y1);
  path.lineTo(x1 - 7 * Math.cos(a - 0.35), y1 - 7 * Math.sin(a - 0.35));
  path.lineTo(x1 - 7 * Math.cos(a + 0.35), y1 - 7 * Math.sin(a + 0.35));
  path.closePath();
}

function cross(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  r: number,
  color: string,
  width: number,
): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.moveTo(x - r, y - r);
  ctx.lineTo(x + r, y + r);
  ctx.moveTo(x - r, y + r);
  ctx.lineTo(x + r, y - r);
  ctx.stroke();
}

function drawAxis(
  ctx: CanvasRenderingContext2D,
  v: Viewport,
  width: number,
  x: (t: number) => number,
  labels: Labels,
): void {
  ctx.strokeStyle = '#d9e2ec';
  ctx.lineWidth = 1;
  const bounds: Box = { x: GUTTER, y: 0, w: width - GUTTER, h: AXIS_HEIGHT };
  ctx.font = '11px system-ui, sans-serif';
  for (const tick of axisTicks(v, width - GUTTER)) {
    const tx = x(tick.t);
    ctx.beginPath();
    ctx.moveTo(tx, AXIS_HEIGHT - 14);
    ctx.lineTo(tx, AXIS_HEIGHT - 4);
    ctx.stroke();
    labels.add(
      tick.label,
      '11px system-ui, sans-serif',
      COLORS.axis,
      90,
      [
        { x: tx + 2, y: AXIS_HEIGHT - 29 },
        // The last tick's label, if it would run off the right edge, sits left of its tick.
        { x: tx - 2 - ctx.measureText(tick.label).width - 4, y: AXIS_HEIGHT - 29 },
      ],
      bounds,
    );
  }
}

function laneLabels(lanes: readonly string[], given: readonly LaneLabel[], labels: Labels): void {
  const gutter: Box = { x: 0, y: AXIS_HEIGHT, w: GUTTER, h: lanes.length * LANE_HEIGHT };
  lanes.forEach((node, lane) => {
    const y = laneY(lane);
    const label = given[lane];
    const color = label?.down ? '#9aa5b1' : label?.leader ? '#8a5a00' : '#1f2933';
    const bold = 'bold 13px system-ui, sans-serif';
    const title = labels.fit(`${label?.leader ? '★ ' : ''}${node}`, bold, GUTTER - 8);
    labels.add(title, bold, color, 100, [{ x: 6, y: y - 16 }], gutter);
    if (label !== undefined && label.detail !== '')
      labels.add(
        labels.fit(label.detail, FONT_SMALL, GUTTER - 8),
        FONT_SMALL,
        '#52606d',
        95,
        [{ x: 6, y: y + 2 }],
        gutter,
      );
  });
}
