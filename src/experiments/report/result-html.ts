/**
 * An experiment's result as an HTML fragment: claim, sources, verdict, plots, the measured
 * object and the rows. Pure string building (no DOM): `truthkit experiment --report` wraps it in
 * a page, and the lab's Experiments page shows the same fragment with the same stylesheet, so
 * both look alike. Every piece of text is escaped; nothing refers to anything outside the
 * fragment.
 */
import type { Json } from '../../core/json.js';
import type { ClaimSource, Experiment, ExperimentResult } from '../experiment.js';
import { escapeXml } from './escape.js';
import { renderPlotSvg } from './svg-plot.js';

/** What the fragment needs of an experiment (plain data, so it can cross a worker boundary). */
export type ExperimentInfo = Pick<Experiment, 'name' | 'claim' | 'sources'>;

/** The run that produced a result, as the command that reproduces it. */
export interface RunSettings {
  readonly seed: number;
  readonly quick: boolean;
}

export function reproduceCommand(name: string, run: RunSettings): string {
  return `truthkit experiment ${name} --seed ${run.seed}${run.quick ? ' --quick' : ''}`;
}

/** One source as a line of text (the CLI's form). */
export function sourceText(s: ClaimSource): string {
  const text =
    s.kind === 'seed'
      ? `the case studies, section "${s.section}": "${s.quote}"`
      : `${s.cite}, ${s.where}`;
  return s.note === undefined ? text : `${text} (${s.note})`;
}

function note(s: ClaimSource): string {
  return s.note === undefined ? '' : `<p class="tk-note">${escapeXml(s.note)}</p>`;
}

function sourceHtml(s: ClaimSource): string {
  if (s.kind === 'seed') {
    return (
      `<li class="tk-source" data-kind="seed"><blockquote>${escapeXml(s.quote)}</blockquote>` +
      `<p class="tk-muted">— the case studies, section “${escapeXml(s.section)}”</p>${note(s)}</li>`
    );
  }
  return (
    `<li class="tk-source" data-kind="paper"><cite>${escapeXml(s.cite)}</cite>, ` +
    `${escapeXml(s.where)}${note(s)}</li>`
  );
}

function cell(v: Json | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Rows as a table whose columns are every key any row has, in first-seen order. */
function rowsTable(rows: readonly Json[]): string {
  const objects: Readonly<Record<string, Json>>[] = rows.map((r) =>
    r !== null && typeof r === 'object' && !Array.isArray(r)
      ? (r as Readonly<Record<string, Json>>)
      : { value: r },
  );
  const keys = [...new Set(objects.flatMap((r) => Object.keys(r)))];
  const head = keys.map((k) => `<th>${escapeXml(k)}</th>`).join('');
  const body = objects
    .map((r) => `<tr>${keys.map((k) => `<td>${escapeXml(cell(r[k]))}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="tk-rows"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The fragment for one result (a `<div class="tk-result">`). */
export function renderResultHtml(
  info: ExperimentInfo,
  result: ExperimentResult,
  run: RunSettings,
): string {
  const sources = info.sources;
  const plots = result.plots;
  return [
    `<div class="tk-result" data-experiment="${escapeXml(info.name)}">`,
    `<p class="tk-claim"><strong>Claim:</strong> ${escapeXml(info.claim)}</p>`,
    `<p class="tk-verdict" data-verdict="${escapeXml(result.verdict)}">Verdict: ` +
      `<strong>${escapeXml(result.verdict.toUpperCase())}</strong></p>`,
    `<h3>Sources</h3>`,
    sources.length === 0
      ? `<p class="tk-muted tk-no-sources">This experiment names no source for its claim.</p>`
      : `<ul class="tk-sources">${sources.map(sourceHtml).join('')}</ul>`,
    plots.length === 0
      ? ''
      : `<h3>Plots</h3><div class="tk-plots">${plots
          .map((p) => `<figure class="tk-figure">${renderPlotSvg(p)}</figure>`)
          .join('')}</div>`,
    `<h3>Measured</h3><pre class="tk-measured">${escapeXml(JSON.stringify(result.measured, null, 2))}</pre>`,
    `<h3>Rows</h3><div class="tk-table-wrap">${rowsTable(result.rows)}</div>`,
    `<p class="tk-muted">Reproduce: <code class="tk-command">${escapeXml(reproduceCommand(info.name, run))}</code></p>`,
    `</div>`,
  ].join('\n');
}

/** The fragment's stylesheet (scoped to .tk-result), shared by the report and the lab. */
export const RESULT_CSS = `
.tk-result { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; font-size: 14px; color: #1f2933; }
.tk-result h3 { font-size: 14px; margin: 14px 0 6px; }
.tk-result .tk-muted { color: #52606d; }
.tk-result .tk-verdict { font-size: 16px; margin: 8px 0; }
.tk-result .tk-verdict[data-verdict='supported'] strong { color: #1f7a3a; }
.tk-result .tk-verdict[data-verdict='refuted'] strong { color: #b42318; }
.tk-result .tk-verdict[data-verdict='not measurable as stated'] strong { color: #8a5a00; }
.tk-result ul.tk-sources { list-style: none; padding: 0; margin: 0; }
.tk-result .tk-source { margin: 0 0 8px; }
.tk-result blockquote { margin: 0; padding: 4px 10px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12px; border-left: 3px solid #9fb3c8; background: #f5f7fa; white-space: pre-wrap; }
.tk-result .tk-source p { margin: 2px 0 0 13px; font-size: 12px; }
.tk-result .tk-source p.tk-note { color: #334e68; font-style: italic; }
.tk-result .tk-plots { display: flex; flex-wrap: wrap; gap: 12px; }
.tk-result figure { margin: 0; border: 1px solid #d9e2ec; border-radius: 4px; background: #fff; max-width: 100%; overflow-x: auto; }
.tk-result pre.tk-measured { background: #f5f7fa; padding: 8px; overflow-x: auto; font-size: 12px; max-height: 360px; }
.tk-result .tk-table-wrap { overflow-x: auto; max-height: 420px; }
.tk-result table.tk-rows { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
.tk-result table.tk-rows th, .tk-result table.tk-rows td { border: 1px solid #d9e2ec; padding: 2px 6px; text-align: right; white-space: nowrap; }
.tk-result table.tk-rows th { background: #f0f4f8; position: sticky; top: 0; }
`;
