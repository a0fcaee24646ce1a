/**
 * A file a command will write (`--report`, `--trace`, `--history`): checked before the run it
 * records, so an hour's run is not lost to a typo, and refused in one wording by every command.
 */
import { closeSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** What is wrong with an output path; tests and callers tell the cases apart by this. */
export type OutputPathProblem = 'no-folder' | 'not-a-folder' | 'is-a-folder' | 'unwritable';

/** A usage error (exit 2, one line) about a path given to an output option. */
export class OutputPathError extends UsageError {
  constructor(
    readonly problem: OutputPathProblem,
    option: string,
    path: string,
    reason: string,
  ) {
    super(`${option} ${path}: ${reason}`);
  }
}

const errnoOf = (e: unknown): string | undefined =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/**
 * Throws an OutputPathError unless `path` can be written: its folder exists and is a folder,
 * the path is not a folder, and the file can really be opened for writing. The last is tried
 * rather than asked (`access(W_OK)` says yes to root on a read-only mount); a file that did not
 * exist before is removed again, and an existing one is left as it was.
 */
export function checkOutputPath(option: string, path: string): void {
  const dir = dirname(resolve(path));
  const folder = statOf(option, path, dir);
  if (folder === 'missing') {
    throw new OutputPathError('no-folder', option, path, `the folder ${dir} does not exist`);
  }
  if (folder !== 'folder') {
    throw new OutputPathError('not-a-folder', option, path, `${dir} is not a folder`);
  }
  const target = statOf(option, path, path);
  if (target === 'folder') {
    throw new OutputPathError('is-a-folder', option, path, 'that is a folder');
  }
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw unwritable(option, path, e);
  }
  if (target === 'missing') unlinkSync(path);
}

/** Writes `data` to a path checked by checkOutputPath; a failure still says which option. */
export function writeOutput(option: string, path: string, data: string): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw unwritable(option, path, e);
  }
}

function unwritable(option: string, path: string, e: unknown): Error {
  const code = errnoOf(e);
  if (code === undefined) return e instanceof Error ? e : new Error(String(e));
  if (code === 'EISDIR')
    return new OutputPathError('is-a-folder', option, path, 'that is a folder');
  return new OutputPathError('unwritable', option, path, `cannot write it (${code})`);
}

function statOf(option: string, path: string, what: string): 'missing' | 'folder' | 'other' {
  try {
    return statSync(what).isDirectory() ? 'folder' : 'other';
  } catch (e) {
    // ENOTDIR: a file stands where a folder on the way should be, so there is no such folder.
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw unwritable(option, path, e);
  }
}
