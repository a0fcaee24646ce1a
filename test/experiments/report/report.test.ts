/** The experiment report: the SVG plot renderer and the self-contained HTML page. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { Experiment, ExperimentPlot } from '../../../src/experiments/experiment.js';
import { escapeXml } from '../../../src/experiments/report/escape.js';
import { renderReportPage } from '../../../src/experiments/report/report-page.js';
import { renderResultHtml, sourceText } from '../../../src/experiments/report/result-html.js';
import { formatTick, renderPlotSvg } from '../../../src/experiments/report/svg-plot.js';

const PLOT: ExperimentPlot = {
  title: 'Risk <by> "depth"',
  x: { label: 'confirmations z' },
  y: { label: 'P(attacker catches up)', log: true },
  series: [
    {
      name: 'measured',
      role: 'measured',
      points: [
        { x: 1, y: 0.2, lo: 0.15, hi: 0.25 },
        { x: 2, y: 0.05, lo: 0.03, hi: 0.07 },
        { x: 3, y: 0.01 },
        { x: 4, y: 0 },
      ],
    },
    {
      name: 'claimed',
      role: 'claimed',
      points: [
        { x: 1, y: 0.2 },
        { x: 2, y: 0.06 },
      ],
    },
    {
      name: 'model',
      role: 'model',
      points: [
        { x: 1, y: 0.21 },
        { x: 4, y: 0.002 },
      ],
    },
  ],
};

/** A small fake experiment with a source of each kind and one plot. */
const FAKE: Experiment = {
  name: 'fake',
  claim: 'Fakes are <never> wrong & always "quick"',
  sources: [
    { kind: 'seed', section: 'A Section', quote: '│ A verbatim line  │' },
    { kind: 'paper', cite: 'A. Author, "A Paper", Venue 2001', where: 'Theorem 3' },
  ],
  run: ({ seed }) => ({
    rows: <Json[]>[
      { seed, value: 0.125, tag: 'x<y' },
      { seed, extra: [1, 2] },
    ],
    measured: { mean: 0.125, seeds: [seed] },
    verdict: 'refuted',
    plots: [PLOT],
  }),
};

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

test('the plot: error bars for measured points that have them, dashed claims, a legend, axes labelled', () => {
  const svg = renderPlotSvg(PLOT);
  assert.match(svg, /^<svg [^>]*viewBox="0 0 \d+ \d+"/);
  assert.ok(svg.endsWith('</svg>'));
  assert.equal(count(svg, /class="error-bar"/g), 2, 'one error bar per point with lo and hi');
  assert.match(svg, /data-role="claimed"[^>]*><path [^>]*stroke-dasharray="7 4"/);
  assert.match(svg, /data-role="model"[^>]*><path [^>]*stroke-dasharray="2 3"/);
  assert.match(svg, />confirmations z</);
  assert.match(svg, />P\(attacker catches up\) \(log\)</);
  // The legend names each series once: "measured", not "measured (measured)".
  assert.match(svg, /<text x="\d+" y="\d+">measured<\/text>/);
  assert.doesNotMatch(svg, /measured \(measured\)/);
  // y = 0 cannot go on a log axis: it is left out and the plot says so.
  assert.match(svg, /1 point\(s\) off a log axis not drawn/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  // Text is escaped.
  assert.match(svg, /Risk &lt;by&gt; &quot;depth&quot;/);
  assert.doesNotMatch(svg, /<by>/);
});

test('the plot: log axes tick at powers of ten, and every point is inside the frame', () => {
  const plot: ExperimentPlot = {
    title: 't',
    x: { label: 'n', log: true },
    y: { label: 'msgs', log: true },
    series: [
      { name: 'a', role: 'measured', points: [1, 10, 100, 1000].map((x) => ({ x, y: x * x })) },
    ],
  };
  const svg = renderPlotSvg(plot);
  for (const t of ['1', '10', '100', '1000']) assert.match(svg, new RegExp(`>${t}</text>`));
  const frame = /<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="none"/.exec(svg);
  assert.ok(frame !== null);
  const [x0, y0, w, h] = frame.slice(1).map(Number) as [number, number, number, number];
  const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5" fill="#0072b2">/g)];
  assert.equal(circles.length, 4);
  for (const c of circles) {
    const [cx, cy] = [Number(c[1]), Number(c[2])];
    assert.ok(cx >= x0 && cx <= x0 + w && cy >= y0 && cy <= y0 + h, `${cx},${cy} in the frame`);
  }
  // The larger value is drawn higher up (SVG's y grows downwards).
  assert.ok(Number(circles[3]?.[2]) < Number(circles[0]?.[2]));
});

test('the plot: an error bar down to 0 on a log axis runs off the bottom, not to NaN', () => {
  const svg = renderPlotSvg({
    title: 'p',
    x: { label: 'z' },
    y: { label: 'risk', log: true },
    series: [{ name: 'm', role: 'measured', points: [{ x: 1, y: 0.01, lo: 0, hi: 0.03 }] }],
  });
  assert.equal(count(svg, /class="error-bar"/g), 1);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test('the plot: nothing to draw is said, not drawn as NaN', () => {
  const svg = renderPlotSvg({ title: 'e', x: { label: 'x' }, y: { label: 'y' }, series: [] });
  assert.match(svg, /no data to draw/);
  assert.doesNotMatch(svg, /NaN/);
  const flat = renderPlotSvg({
    title: 'f',
    x: { label: 'x' },
    y: { label: 'y' },
    series: [{ name: 'a', role: 'measured', points: [{ x: 3, y: 5 }] }],
  });
  assert.doesNotMatch(flat, /NaN|Infinity/);
});

test('tick labels are short', () => {
  assert.equal(formatTick(0), '0');
  assert.equal(formatTick(0.05), '0.05');
  assert.equal(formatTick(1000), '1000');
  assert.equal(formatTick(1e6), '1e6');
  assert.equal(formatTick(1e-4), '1e-4');
});

test('the page: claim, verdict, sources as quotes and citations, one <svg> per plot, measured, rows, the command', () => {
  const result = FAKE.run({ seed: 7, quick: true });
  const html = renderReportPage(FAKE, result, { seed: 7, quick: true });
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Fakes are &lt;never&gt; wrong &amp; always &quot;quick&quot;/);
  assert.match(html, /data-verdict="refuted">Verdict: <strong>REFUTED<\/strong>/);
  assert.match(html, /<blockquote>│ A verbatim line {2}│<\/blockquote>/);
  assert.match(html, /section “A Section”/);
  assert.match(html, /<cite>A\. Author, &quot;A Paper&quot;, Venue 2001<\/cite>, Theorem 3/);
  assert.equal(count(html, /<svg /g), 1);
  assert.match(html, /class="error-bar"/);
  assert.match(html, /&quot;mean&quot;: 0.125/);
  assert.match(html, /<th>seed<\/th><th>value<\/th><th>tag<\/th><th>extra<\/th>/);
  assert.match(html, /<td>x&lt;y<\/td>/);
  assert.match(html, /<td>\[1,2\]<\/td>/);
  assert.match(html, /truthkit experiment fake --seed 7 --quick/);
  // Self-contained: no script, nothing fetched.
  assert.doesNotMatch(html, /<script|<link|<img|src=|href=|url\(|@import|https?:/i);
});

test('the fragment says when an experiment names no source', () => {
  const bare: Experiment = { ...FAKE, sources: [] };
  const html = renderResultHtml(bare, bare.run({ seed: 1, quick: false }), {
    seed: 1,
    quick: false,
  });
  assert.match(html, /names no source/);
  assert.doesNotMatch(html, /--quick/);
});

test('sources as text, and escaping', () => {
  assert.equal(
    sourceText({ kind: 'seed', section: 'S', quote: 'q', note: 'n' }),
    'the case studies, section "S": "q" (n)',
  );
  assert.equal(sourceText({ kind: 'paper', cite: 'C', where: 'Eq. (8)' }), 'C, Eq. (8)');
  assert.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
});
