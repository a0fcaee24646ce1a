/**
 * `truthkit check <file>`: is this history linearizable? Exit 0 valid, 1 invalid, 3 unknown
 * (budget exhausted), 2 for a bad file or flag.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
// The checker's modules one by one rather than its index: the index also loads the HTML report
// and everything else the package exports, which a plain `check` pays for at every start-up.
import { checkHistory, DEFAULT_TIMEOUT_MS } from '../../check/check-history.js';
import { HistoryError } from '../../check/errors.js';
import {
  HISTORY_FORMATS,
  loadHistory,
  type HistoryFormat,
} from '../../check/formats/load-history.js';
import { getModel, modelNames } from '../../check/models/registry.js';
import { CONSISTENCY_MODELS, type ConsistencyModel } from '../../check/txn/anomalies.js';
import { isTxnWorkload, TXN_WORKLOADS } from '../../check/txn/txn-history.js';
import { formatSummary } from '../../check/summary.js';
import { duration } from '../option-parsers.js';
import { checkOutputPath, writeOutput } from '../output-path.js';
import { EXIT, UsageError } from '../usage-error.js';

/** The part of the CLI's io this command uses (main.ts's CliIo satisfies it). */
export interface CheckIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

interface CheckFlags {
  model?: string;
  format: HistoryFormat | 'auto';
  partition: boolean;
  timeout: number;
  json?: boolean;
  report?: string;
  consistencyModel?: ConsistencyModel;
}

export function checkCommand(program: Command, io: CheckIo, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('check a history for linearizability (exit 0 valid, 1 invalid, 3 unknown)')
    .argument('<file>', 'history file: truthkit JSON lines, a Jepsen etcd log, or EDN events')
    .option(
      '--model <name>',
      `${[...modelNames(), ...TXN_WORKLOADS].join(' | ')} (default: the one the format implies)`,
    )
    .addOption(
      new Option(
        '--consistency-model <model>',
        'for list-append / rw-register (default serializable)',
      ).choices(CONSISTENCY_MODELS),
    )
    .addOption(
      new Option('--format <format>', 'history format')
        .choices(['auto', ...HISTORY_FORMATS])
        .default('auto'),
    )
    .option('--no-partition', 'check the whole history at once instead of key by key')
    .option(
      '--timeout <duration>',
      'answer "unknown" after this long (500ms, 10s, 2m)',
      duration,
      DEFAULT_TIMEOUT_MS,
    )
    .option('--json', 'print the result as JSON')
    .option('--report <file>', 'write a self-contained HTML report to this file')
    .action(async (file: string, flags: CheckFlags) => {
      // A long search is not lost to a typo in the report's path.
      if (flags.report !== undefined) checkOutputPath('--report', flags.report);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new UsageError(
          `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      const { ops, format, suggestedModel, initialValue } = rethrowAsUsage(() =>
        loadHistory(text, flags.format, file),
      );
      // "Linearizable, 0 operations" would read as a pass for a file that holds nothing.
      if (ops.length === 0)
        throw new UsageError(`${file}: the history is empty (no operations to check)`);
      const modelName = flags.model ?? suggestedModel;
      if (modelName === undefined)
        throw new UsageError(
          `--model is required for ${format} histories (${modelNames().join(', ')})`,
        );
      if (isTxnWorkload(modelName)) {
        const { runTxnCheck } = await import('../../check/txn/cli-run.js');
        const run = rethrowAsUsage(() =>
          runTxnCheck(ops, { ...flags, file, format, workload: modelName }),
        );
        if (flags.report !== undefined) writeOutput('--report', flags.report, run.html ?? '');
        io.out(run.text);
        if (run.verdict !== 'valid')
          setExit(run.verdict === 'invalid' ? EXIT.invalid : EXIT.unknown);
        return;
      }
      if (flags.consistencyModel !== undefined)
        throw new UsageError(
          '--consistency-model applies only to --model list-append or rw-register',
        );
      const model = getModel(modelName);
      if (!model) throw new UsageError(`unknown model "${modelName}" (${modelNames().join(', ')})`);

      const result = rethrowAsUsage(() =>
        checkHistory(ops, model, {
          partition: flags.partition,
          timeoutMs: flags.timeout,
          ...(initialValue !== undefined ? { initialValue } : {}),
        }),
      );
      if (flags.report !== undefined) {
        const { renderReport } = await import('../../check/report-html.js');
        const html = renderReport(result, ops, model, { title: `truthkit check ${file}` });
        writeOutput('--report', flags.report, html);
      }
      if (flags.json) {
        const json = {
          file,
          format,
          model: model.name,
          partitioned: flags.partition,
          ...result,
          ...(flags.report !== undefined ? { report: flags.report } : {}),
        };
        io.out(JSON.stringify(json, null, 2) + '\n');
      } else {
        io.out(formatSummary(result, { file, model: model.name, partitioned: flags.partition }));
        if (flags.report !== undefined) io.out(`Report written to ${flags.report}\n`);
      }
      if (result.verdict === 'invalid') setExit(EXIT.invalid);
      else if (result.verdict === 'unknown') setExit(EXIT.unknown);
    });
}

/** Problems with the history file are the caller's to fix: one line, exit 2. */
function rethrowAsUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof HistoryError) throw new UsageError(e.message);
    throw e;
  }
}
