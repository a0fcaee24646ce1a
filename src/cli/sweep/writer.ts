/**
 * Writes a shard's JSON lines as the sweep goes: the header at once, each seed's line when the
 * seed is judged (so a shard killed after an hour keeps what it found), the trailer at the end.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CheckedRun } from '../../sim/checked-run.js';
import { OutputPathError } from '../output-path.js';
import type { SeedRecord, SweepHeader } from './record.js';

/** Why a seed is invalid or unknown, in one line; null for a valid or unchecked one. */
export function problemOf(run: CheckedRun): string | null {
  if (run.failure !== null) return `${run.failure.kind}: ${run.failure.message}`;
  if (run.verdict !== 'invalid' && run.verdict !== 'unknown') return null;
  const parts: string[] = [];
  const check = run.check;
  if (check !== null && check.verdict !== 'valid') {
    const ev = check.evidence;
    const where =
      ev === undefined
        ? ''
        : ev.partition === null
          ? ' (violation in the history)'
          : ` (violation in key ${JSON.stringify(ev.partition)})`;
    parts.push(`checker: ${check.verdict}${where}`);
  }
  const judged = run.judgement;
  if (judged !== null && judged.verdict !== 'valid') parts.push(`judge: ${judged.message}`);
  return parts.length > 0 ? parts.join('; ') : run.verdict;
}

export function seedRecord(run: CheckedRun, replay: string): SeedRecord {
  return {
    kind: 'seed',
    seed: run.seed,
    verdict: run.verdict,
    digest: run.traceDigest,
    problem: problemOf(run),
    replay,
    wallMs: run.wallMs,
    virtualMs: run.virtualMs,
    ops: run.ops,
    coverage: run.coverage,
  };
}

export class SweepWriter {
  private readonly fd: number;
  private written = 0;

  constructor(
    private readonly option: string,
    private readonly path: string,
    header: SweepHeader,
  ) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new OutputPathError('unwritable', option, path, `cannot write it (${String(e)})`);
    }
    this.line(header);
  }

  seed(record: SeedRecord): void {
    this.line(record);
    this.written++;
  }

  /** Writes the trailer and closes the file. */
  end(endedAt: number): void {
    this.line({ kind: 'end', seeds: this.written, endedAt });
    closeSync(this.fd);
  }

  private line(value: object): void {
    try {
      writeSync(this.fd, JSON.stringify(value) + '\n');
    } catch (e) {
      throw new OutputPathError(
        'unwritable',
        this.option,
        this.path,
        `cannot write it (${String(e)})`,
      );
    }
  }
}
