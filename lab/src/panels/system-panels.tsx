/**
 * The panels a system declares (src/core/lab-views.ts), drawn by kind: charts with uPlot,
 * tables, and trees and timelines as SVG. A panel whose data is empty is left out, so a run never shows an
 * empty chart; the lab knows nothing of any particular system here.
 */
import uPlot from 'uplot';
import { useRef } from 'preact/hooks';
import {
  panelHasData,
  type ChartData,
  type LabPanel,
  type LabRun,
  type TimelineKind,
  type TimelineSpan,
  type TreeNode,
} from '../../../src/core/lab-views.js';
import { COLORS } from '../canvas.js';
import { axisTicks } from '../lamport/axis.js';
import { BAND_GAP, LINE_HEIGHT, timelineLayout } from '../timeline-layout.js';
import { COLUMN_WIDTH, ROW_HEIGHT, treeLayout } from '../tree-layout.js';
import { Chart } from './charts.js';

/** Line colours, in order, for a chart's series (one per node, usually). */
const PALETTE = ['#2d69b4', '#e0a21e', '#2f9e5b', '#c81e1e', '#7b2fd6', '#52606d', '#d9822b'];

export type PanelContent = NonNullable<ReturnType<typeof panelHasData>>;

/** What was typed in each timeline's focus box, by panel id. */
export type PanelFocus = Readonly<Record<string, string>>;

/**
 * Each declared panel with its data, leaving out the empty ones — except a timeline narrowed by
 * its focus box to nothing, which stays (empty) so the box can be cleared.
 */
export function panelContents(
  panels: readonly LabPanel[],
  run: LabRun,
  focus: PanelFocus = {},
): { readonly panel: LabPanel; readonly content: PanelContent }[] {
  const out: { panel: LabPanel; content: PanelContent }[] = [];
  for (const panel of panels) {
    const typed = panel.kind === 'timeline' ? focusOf(panel, focus) : undefined;
    const content =
      panelHasData(panel, run, typed) ??
      (typed !== undefined ? { kind: 'timeline' as const, spans: [] } : undefined);
    if (content !== undefined) out.push({ panel, content });
  }
  return out;
}

function focusOf(panel: LabPanel, focus: PanelFocus): string | undefined {
  const typed = panel.kind === 'timeline' && panel.focus !== undefined ? focus[panel.id] : '';
  return typed === undefined || typed.trim() === '' ? undefined : typed.trim();
}

/** Least wall time between two recomputations of the panels while a run plays. */
const MIN_EVERY_MS = 1000;

/**
 * The panels' contents, recomputed when one of `deps` changes but, while the run plays, no more
 * often than ten times their own cost (and at least a second apart), so that costly panels
 * (a long chain's tree) never take more than a tenth of the time the run has to advance. A
 * `final` state (the run ended) is always computed.
 */
export function useThrottledPanels(
  compute: () => { readonly panel: LabPanel; readonly content: PanelContent }[],
  deps: readonly unknown[],
  final: boolean,
): readonly { readonly panel: LabPanel; readonly content: PanelContent }[] {
  const last = useRef<{
    deps: readonly unknown[];
    at: number;
    cost: number;
    value: { readonly panel: LabPanel; readonly content: PanelContent }[];
  } | null>(null);
  const prev = last.current;
  const now = performance.now();
  if (
    prev === null ||
    (deps.some((d, i) => !Object.is(d, prev.deps[i])) &&
      (final || now - prev.at >= Math.max(MIN_EVERY_MS, 10 * prev.cost)))
  ) {
    const value = compute();
    const done = performance.now();
    last.current = { deps, at: done, cost: done - now, value };
    return value;
  }
  return prev.value;
}

export function SystemPanels(props: {
  readonly contents: readonly { readonly panel: LabPanel; readonly content: PanelContent }[];
  readonly focus: PanelFocus;
  readonly onFocus: (panel: string, typed: string) => void;
}) {
  return (
    <div class="system-panels">
      {props.contents.map(({ panel, content }) => {
        switch (content.kind) {
          case 'chart':
            return (
              <DeclaredChart
                key={panel.id}
                panel={panel}
                data={content.data}
                stepped={panel.kind === 'chart' && panel.stepped === true}
              />
            );
          case 'table':
            return (
              <TablePanel
                key={panel.id}
                panel={panel}
                columns={panel.kind === 'table' ? panel.columns : []}
                rows={content.rows}
              />
            );
          case 'tree':
            return <TreePanel key={panel.id} panel={panel} nodes={content.nodes} />;
          case 'timeline':
            return (
              <TimelinePanel
                key={panel.id}
                panel={panel}
                kinds={panel.kind === 'timeline' ? panel.kinds : []}
                spans={content.spans}
                focus={props.focus[panel.id] ?? ''}
                onFocus={(typed) => props.onFocus(panel.id, typed)}
              />
            );
        }
      })}
    </div>
  );
}

function DeclaredChart(props: {
  readonly panel: LabPanel;
  readonly data: ChartData;
  readonly stepped: boolean;
}) {
  const yLabel = props.panel.kind === 'chart' ? props.panel.yLabel : '';
  const columns: uPlot.AlignedData = [
    [...props.data.xs],
    ...props.data.lines.map((l) => [...l.ys]),
  ];
  const series: uPlot.Series[] = [
    {},
    ...props.data.lines.map((l, i) => ({
      label: l.label,
      stroke: PALETTE[i % PALETTE.length] as string,
      width: 1.5,
      ...(props.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
    })),
  ];
  // uPlot fixes its series when built: a chart whose line count changes is built anew.
  return (
    <div class="panel-chart" data-testid={`panel-${props.panel.id}`} data-kind="chart">
      <Chart
        key={props.data.lines.length}
        title={props.panel.title}
        testId={`chart-${props.panel.id}`}
        yLabel={yLabel}
        data={columns}
        series={series}
      />
    </div>
  );
}

function TablePanel(props: {
  readonly panel: LabPanel;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}) {
  return (
    <figure class="panel-table" data-testid={`panel-${props.panel.id}`} data-kind="table">
      <figcaption>{props.panel.title}</figcaption>
      <div class="panel-scroll">
        <table>
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r, i) => (
              <tr key={i}>
                {r.map((cell, j) => (
                  <td key={j}>{typeof cell === 'number' ? round(cell) : cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function TreePanel(props: { readonly panel: LabPanel; readonly nodes: readonly TreeNode[] }) {
  const layout = treeLayout(props.nodes);
  const box = { w: COLUMN_WIDTH - 10, h: ROW_HEIGHT - 8 };
  const x = (column: number) => 4 + column * COLUMN_WIDTH;
  const y = (row: number) => 4 + row * ROW_HEIGHT;
  const stale = props.nodes.filter((n) => n.kind === 'stale').length;
  return (
    <figure class="panel-tree" data-testid={`panel-${props.panel.id}`} data-kind="tree">
      <figcaption>
        {props.panel.title}: {props.nodes.length - stale} on the main chain,{' '}
        <span class="stale-key">{stale} stale</span>
      </figcaption>
      <div
        class="panel-scroll"
        ref={(el) => {
          // The newest blocks are on the right: show them.
          if (el !== null) el.scrollLeft = el.scrollWidth;
        }}
      >
        <svg
          width={layout.columns * COLUMN_WIDTH + 8}
          height={layout.rows * ROW_HEIGHT + 8}
          role="img"
          aria-label={props.panel.title}
        >
          {layout.edges.map((e) => (
            <line
              key={`${e.from.node.id}-${e.to.node.id}`}
              x1={x(e.from.column) + box.w}
              y1={y(e.from.row) + box.h / 2}
              x2={x(e.to.column)}
              y2={y(e.to.row) + box.h / 2}
              stroke={COLORS.axis}
            />
          ))}
          {layout.placed.map((p) => (
            <g key={p.node.id} data-kind={p.node.kind}>
              <title>{p.node.id}</title>
              <rect
                x={x(p.column)}
                y={y(p.row)}
                width={box.w}
                height={box.h}
                rx={3}
                fill={p.node.kind === 'main' ? '#dbe8f7' : '#f6dada'}
                stroke={p.node.kind === 'main' ? COLORS.message : COLORS.dropPartition}
              />
              <text x={x(p.column) + 4} y={y(p.row) + box.h - 6} font-size="10">
                {p.node.label}
              </text>
            </g>
          ))}
        </svg>
      </div>
    </figure>
  );
}

/** The timeline's row names column, its plot's width, and the axis strip's height (px). */
const ROW_LABEL_WIDTH = 150;
const PLOT_WIDTH = 760;
const AXIS_HEIGHT = 18;
/** About the width of one character of a span's 10 px label. */
const CHAR_PX = 6;

function TimelinePanel(props: {
  readonly panel: LabPanel;
  readonly kinds: readonly TimelineKind[];
  readonly spans: readonly TimelineSpan[];
  readonly focus: string;
  readonly onFocus: (typed: string) => void;
}) {
  const focusable = props.panel.kind === 'timeline' ? props.panel.focus : undefined;
  const layout = timelineLayout(props.spans);
  const colour = new Map(props.kinds.map((k, i) => [k.id, PALETTE[i % PALETTE.length]!]));
  const present = new Set(props.spans.map((s) => s.kind));
  // Each line's band, for the gap drawn between bands.
  const bandOf: number[] = [];
  layout.bands.forEach((b, i) => {
    for (let l = 0; l < b.lines; l++) bandOf[b.line + l] = i;
  });
  const y = (line: number) => AXIS_HEIGHT + line * LINE_HEIGHT + (bandOf[line] ?? 0) * BAND_GAP;
  const scale = PLOT_WIDTH / (layout.t1 - layout.t0);
  const x = (t: number) => ROW_LABEL_WIDTH + (t - layout.t0) * scale;
  const height = y(layout.lines) + BAND_GAP;
  const ticks = axisTicks({ t0: layout.t0, t1: layout.t1 }, PLOT_WIDTH);
  return (
    <figure class="panel-timeline" data-testid={`panel-${props.panel.id}`} data-kind="timeline">
      <figcaption>
        {props.panel.title}
        {focusable !== undefined && (
          <label class="timeline-focus">
            show only{' '}
            <input
              type="search"
              data-testid={`focus-${props.panel.id}`}
              placeholder={focusable}
              value={props.focus}
              onInput={(e) => props.onFocus(e.currentTarget.value)}
            />
          </label>
        )}
        {props.spans.length === 0 && <span class="timeline-none"> nothing matches</span>}
        <span class="timeline-legend">
          {props.kinds
            .filter((k) => present.has(k.id))
            .map((k) => (
              <span key={k.id} class="timeline-key">
                <span class="timeline-swatch" style={{ background: colour.get(k.id) }} />
                {k.label}
              </span>
            ))}
        </span>
      </figcaption>
      <div class="panel-scroll">
        <svg
          width={ROW_LABEL_WIDTH + PLOT_WIDTH + 8}
          height={height}
          role="img"
          aria-label={props.panel.title}
        >
          {ticks.map((tick) => (
            <g key={tick.t}>
              <line
                x1={x(tick.t)}
                y1={AXIS_HEIGHT - 4}
                x2={x(tick.t)}
                y2={height}
                stroke="#e4e7eb"
              />
              <text x={x(tick.t) + 2} y={AXIS_HEIGHT - 6} font-size="10" fill={COLORS.axis}>
                {tick.label}
              </text>
            </g>
          ))}
          {layout.bands.map((b) => (
            <text key={b.row} x={2} y={y(b.line) + LINE_HEIGHT - 4} font-size="11" data-row={b.row}>
              {b.row}
            </text>
          ))}
          {layout.placed.map((p, i) => {
            const left = x(p.span.start);
            const width = Math.max(2, (p.span.end - p.span.start) * scale);
            const fits = p.span.label.length * CHAR_PX + 4 <= width;
            return (
              <g
                key={i}
                data-kind={p.span.kind}
                data-row={p.span.row}
                data-start={p.span.start}
                data-end={p.span.end}
              >
                <title>
                  {`${p.span.row}: ${p.span.label}, ${round(p.span.start)}–${round(p.span.end)} ms (${round(p.span.end - p.span.start)} ms)`}
                </title>
                <rect
                  x={left}
                  y={y(p.line) + 1}
                  width={width}
                  height={LINE_HEIGHT - 2}
                  rx={2}
                  fill={colour.get(p.span.kind) ?? COLORS.axis}
                  fill-opacity={0.8}
                />
                {fits && (
                  <text x={left + 2} y={y(p.line) + LINE_HEIGHT - 4} font-size="10" fill="#fff">
                    {p.span.label}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
