/**
 * A self-contained HTML page for a transactional check: the verdict, the models ruled out, and
 * each anomaly's cycle drawn as a ring of transactions (inline SVG) with one arrow per
 * dependency, labelled with its kind and key, and the reasons listed beneath. No scripts,
 * fonts or network, like the linearizability report.
 */
import type { HistoryOp } from '../../core/history.js';
import { escapeHtml } from '../report-html.js';
import type { CycleEvidence } from './anomalies.js';
import type { TxnCheckResult } from './check-txn.js';

const KIND_COLOUR: Readonly<Record<string, string>> = {
  ww: '#1f6feb',
  wr: '#1a7f37',
  rw: '#c0262d',
  realtime: '#8250df',
  process: '#9a6700',
};

export function renderTxnReport(
  result: TxnCheckResult,
  ops: readonly HistoryOp[],
  title = 'truthkit transactional check',
): string {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const verdict =
    result.verdict === 'valid'
      ? `✓ ${result.consistencyModel}`
      : result.verdict === 'invalid'
        ? `✗ not ${result.consistencyModel}`
        : `? undecided: the cycle search ran out of budget`;
  let body = `<h1>${escapeHtml(title)}</h1>\n<p class="verdict ${result.verdict}">${escapeHtml(verdict)}</p>\n`;
  body += `<p class="stats">${result.ops} transactions (${result.outcomes.ok} ok, ${result.outcomes.fail} failed, ${result.outcomes.unknown} unknown) · ${escapeHtml(result.workload)} · ${result.edges} dependency edges · ${result.wallMs.toFixed(1)} ms</p>\n`;
  if (result.anomalyTypes.length === 0) body += '<p>No anomalies found.</p>\n';
  else {
    body += `<p>Anomalies: ${result.anomalyTypes.map((t) => `<b>${escapeHtml(t)}</b> (${result.counts[t] ?? 0})`).join(', ')}.<br>Rules out: ${escapeHtml(result.ruledOut.join(', ') || 'none of the models offered')}.</p>\n`;
    body += `<p class="legend">${Object.entries(KIND_COLOUR)
      .map(([k, c]) => `<span style="color:${c}">→ ${k}</span>`)
      .join(' ')}</p>\n`;
  }
  for (const a of result.anomalies) {
    body += `<h2>${escapeHtml(a.type)}</h2>\n`;
    if ('cycle' in a) {
      body +=
        cycleSvg(a) +
        '\n<table><tr><th>from</th><th>to</th><th>kind</th><th>key</th><th>why</th></tr>\n';
      for (const s of a.cycle)
        body += `<tr><td>op ${s.from}</td><td>op ${s.to}</td><td style="color:${KIND_COLOUR[s.kind] ?? '#000'}">${s.kind}</td><td>${escapeHtml(s.key ?? '')}</td><td>${escapeHtml(s.why)}</td></tr>\n`;
      body += '</table>\n<ul class="txns">\n';
      for (const s of a.cycle) {
        const op = byId.get(s.from);
        if (op)
          body += `<li>op ${op.id} (process ${op.process}, ${op.outcome}, ${op.invoke}–${op.complete}): <code>${escapeHtml(JSON.stringify(op.outcome === 'ok' ? op.result : op.value))}</code></li>\n`;
      }
      body += '</ul>\n';
    } else body += `<p>${escapeHtml(a.why)}</p>\n`;
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}</body>
</html>
`;
}

/** The cycle's transactions on a circle, clockwise in cycle order, arrows between them. */
function cycleSvg(a: CycleEvidence): string {
  const n = a.cycle.length;
  const radius = Math.max(70, 28 * n);
  const size = 2 * radius + 140;
  const c = size / 2;
  const at = (i: number): [number, number] => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [c + radius * Math.cos(angle), c + radius * Math.sin(angle)];
  };
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`;
  svg += '<defs>';
  for (const [k, colour] of Object.entries(KIND_COLOUR))
    svg += `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${colour}"/></marker>`;
  svg += '</defs>';
  const NODE = 22;
  a.cycle.forEach((s, i) => {
    const [x1, y1] = at(i);
    const [x2, y2] = at((i + 1) % n);
    // Bowed outwards, so labels stay clear of the middle; a two-cycle's arrows bend to either
    // side instead of overlapping.
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy) || 1;
    const ux = dx / len;
    const uy = dy / len;
    const bend = n === 2 ? 40 : -18;
    const mx = (x1 + x2) / 2 - uy * bend;
    const my = (y1 + y2) / 2 + ux * bend;
    // Labels sit beyond the curve's apex (half-way to the control point).
    const out = n === 2 ? 1 : 2;
    const lx = (x1 + x2) / 2 - uy * bend * out;
    const ly = (y1 + y2) / 2 + ux * bend * out + 4;
    const sx = x1 + ux * NODE;
    const sy = y1 + uy * NODE;
    const ex = x2 - ux * NODE;
    const ey = y2 - uy * NODE;
    const colour = KIND_COLOUR[s.kind] ?? '#000';
    svg += `<path d="M${f(sx)},${f(sy)} Q${f(mx)},${f(my)} ${f(ex)},${f(ey)}" fill="none" stroke="${colour}" stroke-width="2" marker-end="url(#arrow-${s.kind})"/>`;
    svg += `<text x="${f(lx)}" y="${f(ly)}" text-anchor="middle" fill="${colour}">${escapeHtml(s.kind + (s.key !== undefined ? ` ${s.key}` : ''))}</text>`;
  });
  a.cycle.forEach((s, i) => {
    const [x, y] = at(i);
    svg += `<circle cx="${f(x)}" cy="${f(y)}" r="${NODE}" fill="#fff" stroke="#333"/><text x="${f(x)}" y="${f(y + 4)}" text-anchor="middle">op ${s.from}</text>`;
  });
  return svg + '</svg>';
}

const f = (x: number): string => x.toFixed(1);

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 22px 0 6px; }
code { font: 12px ui-monospace, monospace; background: #f3f3f3; padding: 1px 3px; border-radius: 3px; }
.verdict { font-size: 18px; font-weight: 600; }
.verdict.valid { color: #1a7f37; } .verdict.invalid { color: #c0262d; } .verdict.unknown { color: #9a6700; }
.stats { color: #555; }
.legend span { margin-right: 14px; }
svg text { font: 11px ui-monospace, monospace; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
`;
