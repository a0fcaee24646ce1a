/**
 * `truthkit experiment NAME --report out.html`: one self-contained page (inline style, inline
 * SVG, no script, no link to anything) that a person can open offline, mail or archive. The same
 * seed gives the same page byte for byte: it carries no date and no machine's name.
 */
import type { ExperimentResult } from '../experiment.js';
import { escapeXml } from './escape.js';
import {
  RESULT_CSS,
  renderResultHtml,
  type ExperimentInfo,
  type RunSettings,
} from './result-html.js';

const PAGE_CSS = `
body { margin: 0; background: #f5f7fa; }
header { background: #102a43; color: #f0f4f8; padding: 10px 18px; font-family: system-ui, sans-serif; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 2px 0 0; color: #9fb3c8; font-size: 13px; }
main { max-width: 1100px; margin: 12px auto; background: #fff; border: 1px solid #d9e2ec; border-radius: 6px; padding: 12px 16px; }
`;

export function renderReportPage(
  info: ExperimentInfo,
  result: ExperimentResult,
  run: RunSettings,
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>truthkit experiment ${escapeXml(info.name)}: ${escapeXml(result.verdict)}</title>
<style>${PAGE_CSS}${RESULT_CSS}</style>
</head>
<body>
<header><h1>truthkit experiment ${escapeXml(info.name)}</h1>
<p>${run.quick ? 'quick run (fewer trials, wider error bars)' : 'full run'}, seed ${run.seed}</p></header>
<main>
${renderResultHtml(info, result, run)}
</main>
</body>
</html>
`;
}
