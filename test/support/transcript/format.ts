/**
 * The transcript file format, in the style of etcd-raft's testdata files (read by cockroachdb's
 * datadriven package), though not compatible with it:
 *
 *     # comment lines and blank lines are kept as they are
 *     command arg arg key=value
 *     ----
 *     the expected output, one or more lines,
 *     up to the next blank line or the end of the file
 *
 * An output block holds no blank line; a command that prints nothing is expected to print `ok`.
 * `format` writes a parsed file back with new output blocks, byte for byte the same elsewhere,
 * which is how a rewrite works.
 */
import { TranscriptError } from './errors.js';

/** One command of a transcript and the output block expected of it. */
export interface TranscriptCase {
  /** 1-based line of the command. */
  readonly line: number;
  readonly command: string;
  readonly expected: readonly string[];
}

/** A file is its cases with the text (comments, blank lines) around them. */
export type TranscriptItem =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'case'; readonly case: TranscriptCase };

export const SEPARATOR = '----';

export function parseTranscript(file: string, source: string): TranscriptItem[] {
  const lines = source.split('\n');
  // A final newline ends the last line; it does not start an empty one.
  if (lines[lines.length - 1] === '') lines.pop();
  const items: TranscriptItem[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      items.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    if (line === SEPARATOR) {
      throw new TranscriptError('syntax', file, i + 1, `${SEPARATOR} without a command before it`);
    }
    if (lines[i + 1] !== SEPARATOR) {
      throw new TranscriptError(
        'syntax',
        file,
        i + 1,
        `the command "${line}" must be followed by a line "${SEPARATOR}"`,
      );
    }
    const expected: string[] = [];
    let j = i + 2;
    while (j < lines.length && (lines[j] as string).trim() !== '') {
      expected.push(lines[j] as string);
      j++;
    }
    items.push({ kind: 'case', case: { line: i + 1, command: line.trim(), expected } });
    i = j;
  }
  return items;
}

/** The file again, each case's output block replaced by `outputs[i]` (i counts the cases). */
export function formatTranscript(
  items: readonly TranscriptItem[],
  outputs: readonly (readonly string[])[],
): string {
  const out: string[] = [];
  let n = 0;
  for (const item of items) {
    if (item.kind === 'text') {
      out.push(item.text);
      continue;
    }
    const output = outputs[n++] ?? item.case.expected;
    out.push(item.case.command, SEPARATOR, ...output);
  }
  return out.join('\n') + '\n';
}
