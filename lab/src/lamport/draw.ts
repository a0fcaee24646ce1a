/**
 * Drawing the space-time diagram on a canvas. Only what overlaps the viewport is drawn: the
 * model answers window queries by binary search, so a 20,000-event run costs what is on screen.
 * Messages of one kind go into one path, so thousands of arrows are a handful of strokes.
 */
import { COLORS, formatMs } from '../canvas.js';
import type { LeaderSpan } from '../snapshots.js';
import type { DiagramMessage, DiagramModel } from './layout.js';
import { ticks, timeToX, type Viewport } from './viewport.js';

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

export function drawDiagram(ctx: CanvasRenderingContext2D, f: DiagramFrame): void {
  const { model, viewport: v } = f;
  const plotW = f.width - GUTTER;
  const x = (t: number): number => GUTTER + timeToX(v, plotW, t);
  const clampX = (t: number): number => Math.max(GUTTER - 2, Math.min(f.width + 2, x(t)));
  const lanes = model.lanes.length;
  const bottom = AXIS_HEIGHT + lanes * LANE_HEIGHT;

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
    // Labels only where they fit, so a busy zoomed-out run does not turn into text soup.
    if (x1 - x0 > 90) {
      ctx.fillStyle = COLORS.dropPartition;
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(`partition ${p.label}`, Math.max(x0, GUTTER) + 4, AXIS_HEIGHT + 11);
    }
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
      if (x1 - x0 > 90) {
        ctx.fillStyle = COLORS.clock;
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(`clock ${iv.label}`, Math.max(x0, GUTTER) + 3, y + 20);
      }
    } else {
      ctx.fillStyle = iv.kind === 'down' ? COLORS.down : COLORS.paused;
      ctx.fillRect(x0, y - 12, x1 - x0, 24);
      if (x1 - x0 > 40) {
        ctx.fillStyle = '#333';
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(iv.label, Math.max(x0, GUTTER) + 3, y - 14);
      }
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
  ctx.fillStyle = '#8a5a00';
  ctx.font = '10px system-ui, sans-serif';
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
    if (x1 - x0 > 50)
      ctx.fillText(
        `★ leader${s.term !== undefined ? ` t${s.term}` : ''}`,
        x0 + 2,
        laneY(lane) + 16,
      );
  }

  drawMessages(ctx, model.visibleMessages(v.t0, v.t1), x, f.now);

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

  drawAxis(ctx, v, f.width, x);
  drawLaneLabels(ctx, model.lanes, f.labels);
}

function drawMessages(
  ctx: CanvasRenderingContext2D,
  messages: readonly DiagramMessage[],
  x: (t: number) => number,
  now: number,
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
    ctx.fillStyle = '#334e68';
    ctx.font = '9px system-ui, sans-serif';
    for (const m of messages) {
      if (m.fate !== 'delivered') continue;
      const mx = (x(m.sent) + x(m.end)) / 2;
      const my = (laneY(m.from) + laneY(m.to)) / 2;
      ctx.fillText(m.type, mx + 3, my - 2);
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
): void {
  ctx.fillStyle = COLORS.axis;
  ctx.strokeStyle = '#d9e2ec';
  ctx.lineWidth = 1;
  ctx.font = '11px system-ui, sans-serif';
  for (const t of ticks(v, Math.max(2, Math.floor((width - GUTTER) / 110)))) {
    const tx = x(t);
    ctx.beginPath();
    ctx.moveTo(tx, AXIS_HEIGHT - 14);
    ctx.lineTo(tx, AXIS_HEIGHT - 4);
    ctx.stroke();
    ctx.fillText(formatMs(t), tx + 3, AXIS_HEIGHT - 18);
  }
}

function drawLaneLabels(
  ctx: CanvasRenderingContext2D,
  lanes: readonly string[],
  labels: readonly LaneLabel[],
): void {
  lanes.forEach((node, lane) => {
    const y = laneY(lane);
    const label = labels[lane];
    ctx.fillStyle = label?.down ? '#9aa5b1' : label?.leader ? '#8a5a00' : '#1f2933';
    ctx.font = 'bold 13px system-ui, sans-serif';
    ctx.fillText(`${label?.leader ? '★ ' : ''}${node}`, 8, y - 2);
    if (label !== undefined && label.detail !== '') {
      ctx.font = '10px system-ui, sans-serif';
      ctx.fillStyle = '#52606d';
      ctx.fillText(label.detail, 8, y + 12);
    }
  });
}
