/**
 * Runs a transcript: each command against a fresh environment, in order, its output compared
 * with the expected block. The first mismatch stops the run (what follows depends on it) with a
 * unified diff and the file:line of the command. With TRUTHKIT_REWRITE=1 in the environment (or
 * `--rewrite` on the command line) the runner instead writes every actual output back into the file — write the commands, rewrite,
 * read what came out, commit it (datadriven's -rewrite).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from './command.js';
import { unifiedDiff } from './diff.js';
import { CommandError, TranscriptError } from './errors.js';
import { formatTranscript, parseTranscript } from './format.js';

/** What a transcript drives: a command in, its output out (lines, no blank ones). */
export interface TranscriptEnv {
  /** Runs `cmd` and returns what it printed; throws CommandError for a bad command. */
  run(cmd: Command): readonly string[];
}

export interface RunResult {
  /** The commands run. */
  readonly cases: number;
  /** The file was rewritten (TRUTHKIT_REWRITE=1) and its text changed. */
  readonly rewritten: boolean;
}

/**
 * TRUTHKIT_REWRITE=1, or `--rewrite` after a test file run directly
 * (`node dist/test/protocols/raft/transcripts.test.js --rewrite`), as datadriven's -rewrite.
 */
export function rewriteRequested(): boolean {
  return process.env.TRUTHKIT_REWRITE === '1' || process.argv.slice(2).includes('--rewrite');
}

/** An environment's output as it must appear in the file: `ok` for nothing, no blank lines. */
function block(file: string, line: number, output: readonly string[]): string[] {
  const lines = output.map((l) => l.replace(/\s+$/, ''));
  if (lines.some((l) => l === '')) {
    throw new TranscriptError('syntax', file, line, 'the output holds a blank line');
  }
  return lines.length === 0 ? ['ok'] : lines;
}

/**
 * Runs the transcript in `source` (named `file` in errors) on `env`; returns the actual output
 * blocks. Throws TranscriptError at the first bad command, or (unless `rewrite`) mismatch.
 */
export function runTranscriptText(
  file: string,
  source: string,
  env: TranscriptEnv,
  rewrite = false,
): { outputs: string[][]; text: string } {
  const items = parseTranscript(file, source);
  const outputs: string[][] = [];
  for (const item of items) {
    if (item.kind !== 'case') continue;
    const c = item.case;
    let output: string[];
    try {
      output = block(file, c.line, env.run(new Command(c.command)));
    } catch (e) {
      if (e instanceof CommandError) throw new TranscriptError(e.code, file, c.line, e.message);
      throw e;
    }
    outputs.push(output);
    if (!rewrite) {
      const diff = unifiedDiff(c.expected, output);
      if (diff !== '') {
        throw new TranscriptError(
          'mismatch',
          file,
          c.line,
          `${c.command}: output differs\n${diff}`,
        );
      }
    }
  }
  return { outputs, text: formatTranscript(items, outputs) };
}

/** Runs the transcript file at `path`, rewriting it when TRUTHKIT_REWRITE=1. */
export function runTranscriptFile(path: string, env: TranscriptEnv, name = path): RunResult {
  const source = readFileSync(path, 'utf8');
  const rewrite = rewriteRequested();
  const { outputs, text } = runTranscriptText(name, source, env, rewrite);
  if (rewrite && text !== source) {
    writeFileSync(path, text);
    return { cases: outputs.length, rewritten: true };
  }
  return { cases: outputs.length, rewritten: false };
}
