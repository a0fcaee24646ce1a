/**
 * Kafka's checkpoint-file format, which its leader-epoch file, recovery point and log start
 * offset all use: a version line, a count line, then one entry per line (fields separated by a
 * space). A partition directory keeps three such files: `leader-epoch-checkpoint`
 * (leader-epoch-file.ts), `recovery-point` and `log-start-offset` (segment-log.ts; Kafka keeps
 * these two per log directory for every partition, here each partition keeps its own).
 *
 * Written atomically: the whole text to `NAME.tmp`, fsync, rename over NAME, fsync of the
 * directory, so a crash leaves the old file or the new one, never a mix. Synchronous on purpose:
 * these files change rarely (a new leader epoch, a truncation, a segment roll, a retention pass)
 * and one writer at a time is what makes the rename safe; an async write racing a later sync one
 * could rename a stale value over a newer one.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const CHECKPOINT_TEMP_SUFFIX = '.tmp';

export type CheckpointProblem = 'version' | 'count' | 'entry' | 'order';

/** Why a checkpoint file cannot be read as one (`code` for programs, `message` for people). */
export class CheckpointFileError extends Error {
  constructor(
    readonly path: string,
    readonly code: CheckpointProblem,
    reason: string,
  ) {
    super(`checkpoint file ${path}: ${reason}`);
    this.name = 'CheckpointFileError';
  }
}

export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with the checkpoint text of `entries` (each already a line of fields). */
export function writeCheckpoint(path: string, version: number, entries: readonly string[]): void {
  const text = `${version}\n${entries.length}\n${entries.map((e) => `${e}\n`).join('')}`;
  const bytes = Buffer.from(text, 'latin1');
  const tmp = path + CHECKPOINT_TEMP_SUFFIX;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirectory(dirname(path));
}

/**
 * The entries of the checkpoint at `path`, each split into its fields, or undefined when there
 * is no file. A leftover `NAME.tmp` (a crash before its rename) is removed: the file it would have
 * replaced is still whole. Throws CheckpointFileError on a wrong version, count or field count.
 */
export function readCheckpoint(
  path: string,
  version: number,
  fieldsPerEntry: number,
): string[][] | undefined {
  rmSync(path + CHECKPOINT_TEMP_SUFFIX, { force: true });
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'latin1').split('\n');
  // The text ends with a newline, so the split leaves one empty string after the last line.
  if (lines.at(-1) !== '') {
    throw new CheckpointFileError(path, 'count', 'the last line is not terminated');
  }
  lines.pop();
  if (lines[0] !== String(version)) {
    throw new CheckpointFileError(
      path,
      'version',
      `version '${lines[0] ?? ''}', expected ${version}`,
    );
  }
  const count = lines[1] !== undefined && /^\d+$/.test(lines[1]) ? Number(lines[1]) : NaN;
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) {
    throw new CheckpointFileError(
      path,
      'count',
      `says ${lines[1] ?? 'nothing'} entries, holds ${lines.length - 2}`,
    );
  }
  return lines.slice(2).map((line, i) => {
    const fields = line.split(' ');
    if (fields.length !== fieldsPerEntry || fields.some((f) => !/^-?\d+$/.test(f))) {
      throw new CheckpointFileError(
        path,
        'entry',
        `entry ${i} '${line}' is not ${fieldsPerEntry} integers`,
      );
    }
    return fields;
  });
}

/** A field of a checkpoint entry as a safe integer at least `min`, or CheckpointFileError. */
export function checkpointInt(path: string, field: string, min: number): number {
  const n = Number(field);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new CheckpointFileError(path, 'entry', `${field} is not an integer of at least ${min}`);
  }
  return n;
}

/** A file holding one offset (the recovery point, the log start offset), or undefined. */
export function readOffsetCheckpoint(path: string): number | undefined {
  const entries = readCheckpoint(path, 0, 1);
  if (entries === undefined) return undefined;
  const [entry] = entries;
  if (entry === undefined || entries.length !== 1) {
    throw new CheckpointFileError(path, 'count', `holds ${entries.length} offsets, expected 1`);
  }
  return checkpointInt(path, entry[0] ?? '', 0);
}

export function writeOffsetCheckpoint(path: string, offset: number): void {
  writeCheckpoint(path, 0, [String(offset)]);
}
