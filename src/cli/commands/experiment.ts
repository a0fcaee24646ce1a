/**
 * `truthkit experiment list` and `truthkit experiment NAME [--json] [--report out.html]`: run one
 * of the case studies' claims as a measurement and print the verdict beside it, with where the
 * claim comes from; `--report` also writes the result as one self-contained HTML page.
 */
// PBFT's Ed25519 signatures (node:crypto, so not part of the protocol code the lab bundles).
import '../../protocols/pbft/ed25519.js';
import type { Command } from 'commander';
import { experiments, getExperiment } from '../../experiments/registry.js';
import { renderReportPage } from '../../experiments/report/report-page.js';
import { reproduceCommand, sourceText } from '../../experiments/report/result-html.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { checkOutputPath, writeOutput } from '../output-path.js';
import { UsageError } from '../usage-error.js';

/**
 * The rows as text tables: consecutive rows with the same fields share one table, so rows of
 * different kinds (an experiment's parts) do not fill each other's columns with blanks.
 */
function tables(rows: readonly unknown[]): string {
  const groups: { keys: string[]; rows: Record<string, unknown>[] }[] = [];
  for (const r of rows) {
    const row = r as Record<string, unknown>;
    const keys = Object.keys(row);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.keys.join('\0') === keys.join('\0')) last.rows.push(row);
    else groups.push({ keys, rows: [row] });
  }
  return groups.map((g) => table(g.keys, g.rows)).join('\n\n');
}

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (v === null || v === undefined) return '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function table(keys: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cells = rows.map((r) => keys.map((k) => cell(r[k])));
  const widths = keys.map((k, i) =>
    Math.max(k.length, ...cells.map((c) => (c[i] as string).length)),
  );
  const line = (c: readonly string[]) => c.map((x, i) => x.padEnd(widths[i] as number)).join('  ');
  return [line(keys), ...cells.map(line)].join('\n');
}

export function experimentCommand(program: Command, io: CliIo): void {
  program
    .command('experiment')
    .description('measure a claim from the case studies: `experiment list`, `experiment NAME`')
    .argument(
      '<name>',
      `list, or one of: ${experiments()
        .map((e) => e.name)
        .join(', ')}`,
    )
    .option('--seed <s>', 'seed for every random draw', intIn(0, Number.MAX_SAFE_INTEGER), 1)
    .option('--quick', 'fewer trials: faster, wider error bars')
    .option('--json', 'print one JSON object')
    .option('--report <file>', 'also write the result as a self-contained HTML page')
    .action(
      (name: string, flags: { seed: number; quick?: boolean; json?: boolean; report?: string }) => {
        if (name === 'list') {
          if (flags.json) {
            io.out(
              JSON.stringify(experiments().map((e) => ({ name: e.name, claim: e.claim }))) + '\n',
            );
          } else {
            for (const e of experiments()) io.out(`${e.name.padEnd(16)} ${e.claim}\n`);
          }
          return;
        }
        const e = getExperiment(name);
        if (e === undefined) {
          throw new UsageError(
            `unknown experiment '${name}' (choose from ${experiments()
              .map((x) => x.name)
              .join(', ')})`,
          );
        }
        if (flags.report !== undefined) checkOutputPath('--report', flags.report);
        const run = { seed: flags.seed, quick: flags.quick ?? false };
        const r = e.run(run);
        if (flags.report !== undefined) {
          writeOutput('--report', flags.report, renderReportPage(e, r, run));
        }
        if (flags.json) {
          io.out(
            JSON.stringify({
              name: e.name,
              claim: e.claim,
              sources: e.sources,
              rows: r.rows,
              measured: r.measured,
              verdict: r.verdict,
              plots: r.plots,
            }) + '\n',
          );
          return;
        }
        const sources = e.sources.map((s) => `  - ${sourceText(s)}\n`).join('');
        io.out(
          `${e.name}\nclaim:    ${e.claim}\nsources:${sources === '' ? ' none named\n' : `\n${sources}`}` +
            `\n${tables(r.rows)}\n\nmeasured: ${JSON.stringify(r.measured, null, 2)}\n` +
            `verdict:  ${r.verdict.toUpperCase()}\n` +
            `reproduce: ${reproduceCommand(e.name, run)}\n` +
            (flags.report !== undefined ? `report:   ${flags.report}\n` : ''),
        );
      },
    );
}
