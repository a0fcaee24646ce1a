/**
 * Client operations on the same time axis as the diagram: one row per client, a bar from
 * invocation to completion coloured by outcome. Operations in the checker's evidence are
 * outlined: red for the impossible ones, purple for the deadline, blue for the placed prefix.
 */
import { useEffect, useRef } from 'preact/hooks';
import { COLORS, prepareCanvas, useElementWidth } from '../canvas.js';
import { GUTTER } from '../lamport/draw.js';
import { timeToX, xToTime, type Viewport } from '../lamport/viewport.js';
import { processesOf, type OpBar, type OpHighlight } from '../ops-model.js';

const ROW = 16;
const TOP = 6;

export function OpsTimeline(props: {
  readonly bars: readonly OpBar[];
  readonly version: number;
  readonly highlights: ReadonlyMap<number, OpHighlight>;
  readonly viewport: Viewport;
  readonly cursor: number;
  readonly now: number;
  readonly onCursor: (t: number) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const width = useElementWidth(box);
  const processes = processesOf(props.bars);
  const height = TOP * 2 + Math.max(1, processes.length) * ROW;

  useEffect(() => {
    const c = canvas.current;
    if (c === null) return;
    const ctx = prepareCanvas(c, width, height);
    draw(ctx, props, processes, width);
  });

  return (
    <div class="ops-timeline" ref={box}>
      <canvas
        ref={canvas}
        data-testid="ops-canvas"
        aria-label="client operations"
        onClick={(e) => {
          const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
          props.onCursor(
            Math.max(0, xToTime(props.viewport, width - GUTTER, e.clientX - rect.left - GUTTER)),
          );
        }}
      />
    </div>
  );
}

const OUTCOME_COLOR = {
  ok: COLORS.ok,
  fail: COLORS.fail,
  unknown: COLORS.unknown,
  pending: COLORS.pending,
} as const;

const HIGHLIGHT_COLOR: Record<OpHighlight, string | undefined> = {
  blocked: COLORS.blocked,
  deadline: COLORS.deadline,
  prefix: COLORS.prefix,
  partition: undefined,
};

function draw(
  ctx: CanvasRenderingContext2D,
  props: Parameters<typeof OpsTimeline>[0],
  processes: readonly number[],
  width: number,
): void {
  const v = props.viewport;
  const plotW = width - GUTTER;
  const x = (t: number): number => GUTTER + timeToX(v, plotW, t);
  const row = new Map(processes.map((p, i) => [p, i]));
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#52606d';
  processes.forEach((p, i) => ctx.fillText(`client ${p}`, 8, TOP + i * ROW + 11));
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, 0, plotW, TOP * 2 + processes.length * ROW);
  ctx.clip();
  const outlined: [OpBar, string][] = [];
  const dimOthers = props.highlights.size > 0;
  for (const b of props.bars) {
    const end = Math.min(b.complete, props.now);
    if (b.invoke > v.t1 || end < v.t0) continue;
    const y = TOP + (row.get(b.process) ?? 0) * ROW + 2;
    const x0 = x(b.invoke);
    const w = Math.max(2, x(end) - x0);
    const h = props.highlights.get(b.id);
    ctx.globalAlpha = dimOthers && h === undefined ? 0.35 : 1;
    ctx.fillStyle = OUTCOME_COLOR[b.outcome];
    ctx.fillRect(x0, y, w, ROW - 4);
    const outline = h === undefined ? undefined : HIGHLIGHT_COLOR[h];
    if (outline !== undefined) outlined.push([b, outline]);
  }
  ctx.globalAlpha = 1;
  // Outlines last, so neighbours do not paint over them.
  ctx.lineWidth = 2.5;
  for (const [b, color] of outlined) {
    const y = TOP + (row.get(b.process) ?? 0) * ROW + 2;
    const x0 = x(b.invoke);
    ctx.strokeStyle = color;
    ctx.strokeRect(
      x0 - 1,
      y - 1,
      Math.max(4, x(Math.min(b.complete, props.now)) - x0 + 2),
      ROW - 2,
    );
  }
  if (props.cursor >= v.t0 && props.cursor <= v.t1) {
    ctx.strokeStyle = COLORS.cursor;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x(props.cursor), 0);
    ctx.lineTo(x(props.cursor), TOP * 2 + processes.length * ROW);
    ctx.stroke();
  }
  ctx.restore();
}
