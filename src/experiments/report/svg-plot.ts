/**
 * An experiment's plot as one SVG string: no DOM, no script, no external file, so the same
 * markup goes into a self-contained HTML report and into the lab's Experiments page. Measured
 * series are points with error bars (lo/hi), claimed series dashed lines with square marks,
 * model series thin solid lines; both axes may be logarithmic.
 *
 * Plain SVG rather than the lab's uPlot: uPlot draws on a canvas from a script (a report would
 * have to inline the library and run it), and it has no error bars of its own.
 */
import type { ExperimentPlot, PlotAxis, PlotPoint, PlotSeries } from '../experiment.js';
import { escapeXml } from './escape.js';

const WIDTH = 640;
const HEIGHT = 380;
const MARGIN = { left: 70, right: 16, top: 34, bottom: 50 } as const;
const LEGEND_ROW = 16;

/** Colours that stay apart for the colour-blind (Okabe–Ito). */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

/** One axis's mapping from data to pixels, and its tick marks. */
interface Scale {
  readonly toPx: (v: number) => number;
  readonly ticks: readonly number[];
}

/** Values a log axis can show (positive and finite); a linear one takes any finite value. */
function drawable(axis: PlotAxis, v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v) && (!axis.log || v > 0);
}

/** Ticks at 1, 2, 5 × 10^k covering [lo, hi], about `count` of them. */
function linearTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return ticks;
}

/** Ticks at each power of ten in range, and at 2 and 5 times them when the range is short. */
function logTicks(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  // Less than a decade or so: round numbers in between, as a linear axis would have them.
  if (Math.log10(hi) - Math.log10(lo) < 1.2) return linearTicks(lo, hi, 8).filter((t) => t > 0);
  const mantissas = last - first <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = first; e <= last; e++) {
    for (const m of mantissas) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks;
}

function scale(axis: PlotAxis, values: readonly number[], px0: number, px1: number): Scale {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (axis.log) {
    if (lo === hi) {
      lo /= 2;
      hi *= 2;
    } else {
      // A little room either side, in log space.
      const pad = (Math.log10(hi) - Math.log10(lo)) * 0.05;
      lo = 10 ** (Math.log10(lo) - pad);
      hi = 10 ** (Math.log10(hi) + pad);
    }
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    let ticks = logTicks(lo, hi);
    if (ticks.length < 2) ticks = [lo, hi];
    return { toPx: (v) => px0 + ((Math.log10(v) - l0) / (l1 - l0)) * (px1 - px0), ticks };
  }
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) / 2;
    lo -= d;
    hi += d;
  } else {
    const pad = (hi - lo) * 0.05;
    // Keep a zero baseline when the data start at zero.
    lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
    hi += pad;
  }
  return { toPx: (v) => px0 + ((v - lo) / (hi - lo)) * (px1 - px0), ticks: linearTicks(lo, hi, 6) };
}

/** A tick label: short, exact for round numbers. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

const px = (v: number): string => String(Math.round(v * 10) / 10);

function seriesMarkup(
  s: PlotSeries,
  colour: string,
  x: Scale,
  y: Scale & { readonly axis: PlotAxis; readonly floorPx: number },
  points: readonly PlotPoint[],
): string {
  const parts: string[] = [];
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(x.toPx(p.x))},${px(y.toPx(p.y))}`);
  const dash =
    s.role === 'claimed'
      ? ' stroke-dasharray="7 4"'
      : s.role === 'model'
        ? ' stroke-dasharray="2 3"'
        : '';
  const width = s.role === 'measured' ? 1.5 : s.role === 'claimed' ? 2 : 1.25;
  if (points.length > 1) {
    parts.push(
      `<path d="${path.join('')}" fill="none" stroke="${colour}" stroke-width="${width}"${dash}` +
        `${s.role === 'model' ? ' stroke-opacity="0.8"' : ''}/>`,
    );
  }
  for (const p of points) {
    const cx = x.toPx(p.x);
    const cy = y.toPx(p.y);
    if (s.role === 'measured') {
      if (p.lo !== undefined && p.hi !== undefined && drawable(y.axis, p.hi)) {
        const top = y.toPx(p.hi);
        // A lower end a log axis cannot show (0, say) runs the bar off the bottom, without a cap.
        const lowShown = drawable(y.axis, p.lo);
        const bottom = lowShown ? y.toPx(p.lo) : y.floorPx;
        parts.push(
          `<g class="error-bar" stroke="${colour}" stroke-width="1.25">` +
            `<line x1="${px(cx)}" y1="${px(top)}" x2="${px(cx)}" y2="${px(bottom)}"/>` +
            `<line x1="${px(cx - 4)}" y1="${px(top)}" x2="${px(cx + 4)}" y2="${px(top)}"/>` +
            (lowShown
              ? `<line x1="${px(cx - 4)}" y1="${px(bottom)}" x2="${px(cx + 4)}" y2="${px(bottom)}"/>`
              : '') +
            `<title>${escapeXml(`${s.name}: ${p.y} [${p.lo}, ${p.hi}] at ${p.x}`)}</title></g>`,
        );
      }
      parts.push(
        `<circle cx="${px(cx)}" cy="${px(cy)}" r="3.5" fill="${colour}">` +
          `<title>${escapeXml(`${s.name}: ${p.y} at ${p.x}`)}</title></circle>`,
      );
    } else if (s.role === 'claimed') {
      parts.push(
        `<rect x="${px(cx - 3.5)}" y="${px(cy - 3.5)}" width="7" height="7" fill="#fff" ` +
          `stroke="${colour}" stroke-width="1.5"><title>${escapeXml(`${s.name}: ${p.y} at ${p.x}`)}</title></rect>`,
      );
    }
  }
  return `<g class="series" data-role="${s.role}" data-name="${escapeXml(s.name)}">${parts.join('')}</g>`;
}

/** The legend, under the x axis label: one row per series, its mark and its role. */
function legendMarkup(series: readonly PlotSeries[], colours: readonly string[]): string {
  const rows = series.map((s, i) => {
    const colour = colours[i] ?? PALETTE[0];
    const y = HEIGHT + 4 + i * LEGEND_ROW;
    const x = MARGIN.left;
    const sample =
      s.role === 'measured'
        ? `<circle cx="${x + 10}" cy="${y}" r="3.5" fill="${colour}"/>` +
          `<line x1="${x + 10}" y1="${y - 6}" x2="${x + 10}" y2="${y + 6}" stroke="${colour}"/>`
        : `<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${colour}" stroke-width="2"` +
          `${s.role === 'claimed' ? ' stroke-dasharray="7 4"' : ' stroke-dasharray="2 3"'}/>`;
    // The role in brackets, unless the name already says it ("measured (measured)").
    const label = s.name.toLowerCase().includes(s.role) ? s.name : `${s.name} (${s.role})`;
    return `${sample}<text x="${x + 28}" y="${y + 4}">${escapeXml(label)}</text>`;
  });
  return `<g class="legend" font-size="11">${rows.join('')}</g>`;
}

/** The plot as a standalone `<svg>` element (its own width, height and viewBox). */
export function renderPlotSvg(plot: ExperimentPlot): string {
  const xs: number[] = [];
  const ys: number[] = [];
  const kept = plot.series.map((s) =>
    s.points.filter((p) => drawable(plot.x, p.x) && drawable(plot.y, p.y)),
  );
  for (const points of kept) {
    for (const p of points) {
      xs.push(p.x);
      ys.push(p.y);
      if (drawable(plot.y, p.lo)) ys.push(p.lo);
      if (drawable(plot.y, p.hi)) ys.push(p.hi);
    }
  }
  const dropped =
    plot.series.reduce((a, s) => a + s.points.length, 0) - kept.reduce((a, k) => a + k.length, 0);
  const height = HEIGHT + plot.series.length * LEGEND_ROW + 6;
  const head =
    `<svg class="tk-plot" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" role="img" font-family="system-ui, sans-serif" font-size="12">` +
    `<title>${escapeXml(plot.title)}</title>` +
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-weight="600">${escapeXml(plot.title)}</text>`;
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const axisLabels =
    `<text x="${(left + right) / 2}" y="${HEIGHT - 10}" text-anchor="middle">` +
    `${escapeXml(plot.x.label + (plot.x.log ? ' (log)' : ''))}</text>` +
    `<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">` +
    `${escapeXml(plot.y.label + (plot.y.log ? ' (log)' : ''))}</text>`;
  if (xs.length === 0) {
    return (
      `${head}<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" ` +
      `fill="none" stroke="#9aa5b1"/>${axisLabels}<text x="${(left + right) / 2}" ` +
      `y="${(top + bottom) / 2}" text-anchor="middle" fill="#52606d">no data to draw</text></svg>`
    );
  }
  const x = scale(plot.x, xs, left, right);
  const y = scale(plot.y, ys, bottom, top);
  const grid: string[] = [];
  for (const t of x.ticks) {
    const p = px(x.toPx(t));
    grid.push(
      `<line x1="${p}" y1="${top}" x2="${p}" y2="${bottom}" stroke="#eef2f6"/>` +
        `<line x1="${p}" y1="${bottom}" x2="${p}" y2="${bottom + 5}" stroke="#52606d"/>` +
        `<text x="${p}" y="${bottom + 18}" text-anchor="middle" fill="#52606d">${formatTick(t)}</text>`,
    );
  }
  for (const t of y.ticks) {
    const p = px(y.toPx(t));
    grid.push(
      `<line x1="${left}" y1="${p}" x2="${right}" y2="${p}" stroke="#eef2f6"/>` +
        `<line x1="${left - 5}" y1="${p}" x2="${left}" y2="${p}" stroke="#52606d"/>` +
        `<text x="${left - 8}" y="${p}" dy="4" text-anchor="end" fill="#52606d">${formatTick(t)}</text>`,
    );
  }
  const colours = plot.series.map((_, i) => PALETTE[i % PALETTE.length] ?? '#000');
  const drawn = plot.series.map((s, i) => ({
    s,
    colour: colours[i] ?? '#000',
    points: kept[i] ?? [],
  }));
  // Models under claims under measurements, so the measured points are never hidden.
  drawn.sort((a, b) => ROLE_ORDER[a.s.role] - ROLE_ORDER[b.s.role]);
  const yAxis = { ...y, axis: plot.y, floorPx: bottom };
  const body = drawn.map((d) => seriesMarkup(d.s, d.colour, x, yAxis, d.points)).join('');
  const note =
    dropped > 0
      ? `<text x="${right}" y="${top - 4}" text-anchor="end" fill="#52606d" font-size="10">` +
        `${dropped} point(s) off a log axis not drawn</text>`
      : '';
  return (
    `${head}<g class="grid">${grid.join('')}</g>` +
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#9aa5b1"/>` +
    `${body}${legendMarkup(plot.series, colours)}${axisLabels}${note}</svg>`
  );
}

const ROLE_ORDER: Readonly<Record<PlotSeries['role'], number>> = {
  model: 0,
  claimed: 1,
  measured: 2,
};
