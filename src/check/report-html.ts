/**
 * A self-contained HTML page explaining a check: the verdict, and for a violation a timeline
 * of the failing partition — one row per client, each operation a bar from its call to its
 * return — with the longest linearizable prefix numbered in linearization order and the
 * operations that cannot come next marked. Inline SVG and CSS only: no scripts, fonts or CDN,
 * so the file can be attached to a bug report and opened anywhere.
 */
import type { HistoryOp } from '../core/history.js';
import type { CheckResult } from './check-history.js';
import type { AnyModel } from './model.js';

/** Beyond this many operations a valid history's timeline is left out (it proves nothing). */
const MAX_TIMELINE_OPS = 2000;
const ROW = 26;
const BAR = 18;
const LABEL_WIDTH = 90;

export interface ReportOptions {
  readonly title?: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Role = 'placed' | 'blocked' | 'failed' | 'unknown' | 'other';

export function renderReport(
  result: CheckResult,
  ops: readonly HistoryOp[],
  model: AnyModel,
  options: ReportOptions = {},
): string {
  const title = options.title ?? 'truthkit linearizability report';
  const evidence = result.evidence;
  const shownIds = evidence ? new Set(evidence.opIds) : undefined;
  const shown = shownIds ? ops.filter((op) => shownIds.has(op.id)) : ops;

  const order = new Map<number, number>();
  evidence?.prefix.forEach((p, i) => order.set(p.op.id, i + 1));
  const blocked = new Map(evidence?.blocked.map((b) => [b.op.id, b.reason]) ?? []);
  const roleOf = (op: HistoryOp): Role =>
    order.has(op.id)
      ? 'placed'
      : blocked.has(op.id)
        ? 'blocked'
        : op.outcome === 'fail'
          ? 'failed'
          : op.outcome === 'unknown'
            ? 'unknown'
            : 'other';

  let body = `<h1>${escapeHtml(title)}</h1>\n`;
  body += `<p class="verdict ${result.verdict}">${verdictText(result)}</p>\n`;
  body += `<p class="stats">${result.ops} operations · ${result.partitions} partition(s) · model <b>${escapeHtml(model.name)}</b> · ${result.wallMs.toFixed(1)} ms · ${result.steps} search steps</p>\n`;
  if (evidence) {
    const where =
      evidence.partition === null
        ? 'the whole history'
        : `key <code>${escapeHtml(JSON.stringify(evidence.partition))}</code>`;
    body += `<h2>Violation in ${where}</h2>\n`;
    body += `<p>The longest linearizable prefix has <b>${evidence.prefix.length}</b> of ${evidence.opIds.length} operations (numbered below in linearization order), starting from state <code>${escapeHtml(evidence.initialState)}</code> and ending in state <code>${escapeHtml(evidence.stateAfterPrefix)}</code>. `;
    if (evidence.deadline)
      body += `Operation #${evidence.deadline.op.id} completes next, so one of the operations marked ✗ must take effect before it — and none can:</p>\n`;
    else body += `None of the operations marked ✗ can come next:</p>\n`;
    body += '<ul class="blocked">\n';
    for (const b of evidence.blocked)
      body += `<li>✗ #${b.op.id} client ${b.op.process}: <code>${escapeHtml(b.description)}</code> — ${escapeHtml(b.reason)}</li>\n`;
    body += '</ul>\n';
  }
  if (shown.length > MAX_TIMELINE_OPS && !evidence) {
    body += `<p>(${shown.length} operations: too many to draw.)</p>\n`;
  } else if (shown.length > 0) {
    body += `<h2>Timeline</h2>\n${legend()}\n<div class="timeline">${timeline(shown, model, roleOf, order, blocked)}</div>\n`;
  }
  if (evidence && evidence.prefix.length > 0) {
    body +=
      '<h2>Longest linearizable prefix</h2>\n<table><tr><th>#</th><th>op</th><th>client</th><th>operation</th><th>state after</th></tr>\n';
    evidence.prefix.forEach((p, i) => {
      body += `<tr><td>${i + 1}</td><td>${p.op.id}</td><td>${p.op.process}</td><td><code>${escapeHtml(p.description)}</code></td><td><code>${escapeHtml(p.stateAfter)}</code></td></tr>\n`;
    });
    body += '</table>\n';
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

function verdictText(result: CheckResult): string {
  switch (result.verdict) {
    case 'valid':
      return '✓ Linearizable';
    case 'invalid':
      return '✗ Not linearizable';
    case 'unknown':
      return '? Unknown: the search budget ran out before a verdict';
  }
}

function legend(): string {
  const item = (role: Role, text: string): string =>
    `<span><svg width="28" height="12"><rect class="${role}" x="1" y="1" width="26" height="10" rx="2"/></svg> ${text}</span>`;
  return `<p class="legend">${item('placed', 'in the linearizable prefix (numbered)')} ${item('blocked', 'cannot be placed next')} ${item('other', 'not reached')} ${item('unknown', 'unknown outcome (may take effect any time after its call, or never)')} ${item('failed', 'failed (did not happen)')}</p>`;
}

function timeline(
  ops: readonly HistoryOp[],
  model: AnyModel,
  roleOf: (op: HistoryOp) => Role,
  order: ReadonlyMap<number, number>,
  blocked: ReadonlyMap<number, string>,
): string {
  // Times are drawn by rank, not scale: only the order of calls and returns matters for
  // linearizability, and ranks keep short overlaps visible next to long waits.
  const times = new Set<number>();
  for (const op of ops) {
    times.add(op.invoke);
    if (op.outcome !== 'unknown') times.add(op.complete);
  }
  const ranks = new Map([...times].sort((a, b) => a - b).map((t, i) => [t, i]));
  const end = ranks.size;
  // Wide slots for short histories (labels fit in the bars), narrow ones for long histories.
  const SLOT = Math.max(14, Math.min(60, Math.floor(1800 / Math.max(1, end))));
  const x = (t: number): number => LABEL_WIDTH + (ranks.get(t) ?? end) * SLOT;
  const processes = [...new Set(ops.map((op) => op.process))].sort((a, b) => a - b);
  const row = new Map(processes.map((p, i) => [p, i]));
  const width = LABEL_WIDTH + (end + 1) * SLOT + 10;
  const height = processes.length * ROW + 10;

  let svg = `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline">`;
  svg += `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff3d6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d9a441" stroke-width="2"/></pattern></defs>`;
  processes.forEach((p, i) => {
    const y = 5 + i * ROW;
    svg += `<text class="client" x="4" y="${y + BAR - 5}">client ${p}</text><line class="lane" x1="${LABEL_WIDTH}" x2="${width}" y1="${y + BAR / 2}" y2="${y + BAR / 2}"/>`;
  });
  for (const op of ops) {
    const role = roleOf(op);
    const y = 5 + (row.get(op.process) as number) * ROW;
    const x0 = x(op.invoke);
    const x1 = op.outcome === 'unknown' ? LABEL_WIDTH + end * SLOT : x(op.complete);
    const w = Math.max(SLOT - 4, x1 - x0 + SLOT - 4);
    const description = model.describeOp(op);
    const n = order.get(op.id);
    const why = blocked.get(op.id);
    const tip = `#${op.id} client ${op.process}: ${description}${n ? ` — linearized as no. ${n}` : ''}${why ? ` — ${why}` : ''} (invoke ${op.invoke}, ${op.outcome === 'unknown' ? 'no known completion' : `complete ${op.complete}`})`;
    const mark = role === 'blocked' ? '✗ ' : n !== undefined ? `${n}. ` : '';
    const label = truncate(mark + description, Math.floor(w / 6.5));
    svg += `<g><title>${escapeHtml(tip)}</title><rect class="${role}" x="${x0 + 2}" y="${y}" width="${w}" height="${BAR}" rx="3"/>`;
    if (label)
      svg += `<text class="op" x="${x0 + 5}" y="${y + BAR - 5}">${escapeHtml(label)}</text>`;
    svg += '</g>';
  }
  return svg + '</svg>';
}

function truncate(text: string, max: number): string {
  if (max < 2) return '';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 22px 0 6px; }
code { font: 12px ui-monospace, monospace; background: #f3f3f3; padding: 1px 3px; border-radius: 3px; }
.verdict { font-size: 18px; font-weight: 600; }
.verdict.valid { color: #1a7f37; } .verdict.invalid { color: #c0262d; } .verdict.unknown { color: #9a6700; }
.stats { color: #555; }
.legend span { margin-right: 14px; white-space: nowrap; }
.timeline { overflow-x: auto; border: 1px solid #ddd; padding: 4px; }
svg text { font: 11px ui-monospace, monospace; }
text.client { fill: #555; }
.lane { stroke: #eee; }
rect.placed { fill: #d4edda; stroke: #1a7f37; }
rect.blocked { fill: #f8d7da; stroke: #c0262d; stroke-width: 2; }
rect.other { fill: #e9ecef; stroke: #888; }
rect.unknown { fill: url(#hatch); stroke: #d9a441; stroke-dasharray: 4 2; }
rect.failed { fill: #fff; stroke: #aaa; stroke-dasharray: 2 2; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
ul.blocked li { color: #8a1c22; }
`;
