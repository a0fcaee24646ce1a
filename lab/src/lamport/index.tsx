/**
 * The space-time diagram: a canvas redrawn whenever the run, the viewport or the cursor
 * changes. Wheel zooms around the pointer, dragging pans, a click moves the time cursor.
 */
import { useEffect, useRef } from 'preact/hooks';
import { prepareCanvas, useElementWidth } from '../canvas.js';
import type { LeaderSpan } from '../snapshots.js';
import { diagramHeight, drawDiagram, GUTTER, type LaneLabel } from './draw.js';
import type { DiagramModel } from './layout.js';
import { pan, xToTime, zoom, type Viewport } from './viewport.js';

export interface LamportProps {
  readonly model: DiagramModel;
  /** Bumped whenever the model grew, so the canvas is redrawn. */
  readonly version: number;
  readonly viewport: Viewport;
  readonly onViewport: (v: Viewport) => void;
  readonly cursor: number;
  readonly onCursor: (t: number) => void;
  readonly now: number;
  readonly extent: number;
  readonly leaders: readonly LeaderSpan[];
  readonly labels: readonly LaneLabel[];
}

export function LamportDiagram(props: LamportProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const width = useElementWidth(box);
  const drag = useRef<{ x: number; moved: boolean; viewport: Viewport } | null>(null);
  const height = diagramHeight(props.model.lanes.length);

  useEffect(() => {
    const c = canvas.current;
    if (c === null) return;
    const ctx = prepareCanvas(c, width, height);
    const drawn = drawDiagram(ctx, {
      model: props.model,
      viewport: props.viewport,
      width,
      cursor: props.cursor,
      now: props.now,
      leaders: props.leaders,
      labels: props.labels,
    });
    // For tests and curious readers: what was drawn, where (a canvas has no DOM to inspect).
    c.dataset.messages = drawn.messages;
    c.dataset.labels = JSON.stringify(
      drawn.labels.map((l) => ({ text: l.text, x: l.x, y: l.y, w: l.w, h: l.h })),
    );
  });

  const plotTime = (clientX: number): number => {
    const rect = (canvas.current as HTMLCanvasElement).getBoundingClientRect();
    return xToTime(props.viewport, width - GUTTER, clientX - rect.left - GUTTER);
  };

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const span = props.viewport.t1 - props.viewport.t0;
      const d = (e.shiftKey ? e.deltaY : e.deltaX) / (width - GUTTER);
      props.onViewport(pan(props.viewport, d * span, props.extent));
    } else {
      const factor = Math.pow(1.0015, e.deltaY);
      props.onViewport(zoom(props.viewport, factor, plotTime(e.clientX), props.extent));
    }
  };

  // Registered by hand: Preact's onWheel is passive in some browsers, and zooming must not scroll.
  useEffect(() => {
    const c = canvas.current;
    if (c === null) return;
    c.addEventListener('wheel', onWheel, { passive: false });
    return () => c.removeEventListener('wheel', onWheel);
  });

  const onPointerDown = (e: PointerEvent) => {
    (e.currentTarget as HTMLCanvasElement).setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, moved: false, viewport: props.viewport };
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (d === null) return;
    const dx = e.clientX - d.x;
    if (Math.abs(dx) > 3) d.moved = true;
    if (!d.moved) return;
    const span = d.viewport.t1 - d.viewport.t0;
    props.onViewport(pan(d.viewport, (-dx / (width - GUTTER)) * span, props.extent));
  };
  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (d !== null && !d.moved)
      props.onCursor(Math.max(0, Math.min(props.extent, plotTime(e.clientX))));
  };

  return (
    <div class="lamport" ref={box}>
      <canvas
        ref={canvas}
        data-testid="lamport-canvas"
        aria-label="space-time diagram"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onDblClick={(e) =>
          props.onViewport(zoom(props.viewport, 0.5, plotTime(e.clientX), props.extent))
        }
      />
    </div>
  );
}
