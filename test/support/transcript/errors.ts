/**
 * What goes wrong running a transcript, by code (tests match the code, never the text). Every
 * error names the file and line of the command it is about, so a failing transcript points at
 * the line to read.
 */

export type TranscriptErrorCode =
  /** The file is not commands each followed by `----` and an output block. */
  | 'syntax'
  /** The environment has no such command. */
  | 'unknown-command'
  /** A command's arguments are missing, extra, or not what it takes. */
  | 'bad-argument'
  /** A command's output is not the expected block. */
  | 'mismatch';

/** Thrown by an environment's command handler: the runner adds where it happened. */
export class CommandError extends Error {
  constructor(
    readonly code: Exclude<TranscriptErrorCode, 'syntax' | 'mismatch'>,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export class TranscriptError extends Error {
  constructor(
    readonly code: TranscriptErrorCode,
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'TranscriptError';
  }
}
