/**
 * `truthkit experiment list` and `truthkit experiment NAME [--json]`: run one of the case
 * studies' claims as a measurement and print the verdict beside it.
 */
import type { Command } from 'commander';
import { experiments, getExperiment } from '../../experiments/registry.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';

function table(rows: readonly unknown[]): string {
  if (rows.length === 0) return '';
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
  const cell = (v: unknown): string =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v);
  const cells = rows.map((r) => keys.map((k) => cell((r as Record<string, unknown>)[k])));
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
    .action((name: string, flags: { seed: number; quick?: boolean; json?: boolean }) => {
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
      const r = e.run({ seed: flags.seed, quick: flags.quick ?? false });
      if (flags.json) {
        io.out(
          JSON.stringify({
            name: e.name,
            claim: e.claim,
            rows: r.rows,
            measured: r.measured,
            verdict: r.verdict,
          }) + '\n',
        );
        return;
      }
      io.out(
        `${e.name}\nclaim:    ${e.claim}\n\n${table(r.rows)}\n\nmeasured: ${JSON.stringify(r.measured, null, 2)}\nverdict:  ${r.verdict.toUpperCase()}\n`,
      );
    });
}
