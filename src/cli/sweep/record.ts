/**
 * A sweep's results as JSON lines (`truthkit sim … --jsonl FILE`): a header naming the sweep
 * and the shard, one line per seed, and a trailer written only when the shard finished. The
 * header's `sweep` is everything that decides which runs the sweep makes, so shards merge only
 * when theirs are equal; a missing trailer marks a shard that stopped early.
 */
import * as v from 'valibot';
import { checkSchema } from '../../core/schema-issue.js';
import type { Coverage } from '../../sim/coverage.js';
import type { Verdict } from '../../sim/checked-run.js';
import type { Shard } from './shard.js';

export const SWEEP_FORMAT = 1;

/** What makes two shards parts of one sweep: equal when serialised with sorted keys. */
export interface SweepSpec {
  readonly system: string;
  readonly mutant: string | null;
  readonly nemesis: string;
  readonly nodes: number;
  readonly params: Readonly<Record<string, string>> | null;
  readonly workload: {
    readonly ops: number;
    readonly clients: number;
    readonly keys: number;
    readonly skew: number;
    readonly timeoutMs: number;
    readonly durationMs: number | null;
  };
  readonly latency: string | null;
  readonly checkTimeoutMs: number;
  readonly checkSteps: number;
  readonly firstSeed: number;
  readonly seeds: number;
  /** Each seed drew its own fault mix (`--swarm`): a different sweep from the same seeds without. */
  readonly swarm: boolean;
}

export interface SweepHeader {
  readonly kind: 'sweep';
  readonly format: number;
  readonly sweep: SweepSpec;
  readonly shard: Shard;
  /** Wall-clock time the shard started, ms since the epoch (for seeds per minute). */
  readonly startedAt: number;
}

export interface SeedRecord {
  readonly kind: 'seed';
  readonly seed: number;
  readonly verdict: Verdict;
  readonly digest: string;
  /** What made the seed invalid or unknown: the invariant, the checker's or the judge's word. */
  readonly problem: string | null;
  readonly replay: string;
  readonly wallMs: number;
  readonly virtualMs: number;
  readonly ops: { readonly ok: number; readonly fail: number; readonly unknown: number };
  readonly coverage: Coverage | null;
}

export interface SweepTrailer {
  readonly kind: 'end';
  readonly seeds: number;
  readonly endedAt: number;
}

export type SweepLine = SweepHeader | SeedRecord | SweepTrailer;

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const counts = v.record(v.string(), count);
const coverageSchema = v.object({
  sends: counts,
  faults: counts,
  logs: counts,
  timers: counts,
  metrics: counts,
});

const specSchema = v.object({
  system: v.string(),
  mutant: v.nullable(v.string()),
  nemesis: v.string(),
  nodes: count,
  params: v.nullable(v.record(v.string(), v.string())),
  workload: v.object({
    ops: count,
    clients: count,
    keys: count,
    skew: v.number(),
    timeoutMs: v.number(),
    durationMs: v.nullable(v.number()),
  }),
  latency: v.nullable(v.string()),
  checkTimeoutMs: v.number(),
  checkSteps: count,
  firstSeed: count,
  seeds: v.pipe(count, v.minValue(1)),
  swarm: v.boolean(),
});

const headerSchema = v.object({
  kind: v.literal('sweep'),
  format: v.literal(SWEEP_FORMAT),
  sweep: specSchema,
  shard: v.pipe(
    v.object({ index: count, count: v.pipe(count, v.minValue(1)) }),
    v.check((s) => s.index < s.count, 'shard index must be below the shard count'),
  ),
  startedAt: v.number(),
});

const seedSchema = v.object({
  kind: v.literal('seed'),
  seed: count,
  verdict: v.picklist(['valid', 'invalid', 'unknown', 'unchecked']),
  digest: v.string(),
  problem: v.nullable(v.string()),
  replay: v.string(),
  wallMs: v.number(),
  virtualMs: v.number(),
  ops: v.object({ ok: count, fail: count, unknown: count }),
  coverage: v.nullable(coverageSchema),
});

const trailerSchema = v.object({ kind: v.literal('end'), seeds: count, endedAt: v.number() });

const lineSchema = v.variant('kind', [headerSchema, seedSchema, trailerSchema]);

/** A shard file read back: its header, its seeds in file order, its trailer if it has one. */
export interface ShardFile {
  readonly file: string;
  readonly header: SweepHeader;
  readonly seeds: readonly SeedRecord[];
  readonly trailer: SweepTrailer | null;
}

/** Why a shard file cannot be read; `line` is 1-based (0 for the file as a whole). */
export class SweepFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${problem}`);
    this.name = 'SweepFileError';
  }
}

/** Parses one shard file: a header first, seed lines, at most one trailer, last. */
export function parseShardFile(file: string, text: string): ShardFile {
  let header: SweepHeader | null = null;
  let trailer: SweepTrailer | null = null;
  const seeds: SeedRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      // A shard killed mid-write leaves a torn last line: the seeds before it still count.
      if (lines.slice(i + 1).every((l) => l.trim() === '')) break;
      throw new SweepFileError(file, i + 1, `not JSON (${(e as Error).message})`);
    }
    const checked = checkSchema(lineSchema, parsed, 'line');
    if ('problem' in checked) throw new SweepFileError(file, i + 1, checked.problem);
    const line = checked.value;
    if (header === null) {
      if (line.kind !== 'sweep') {
        throw new SweepFileError(file, i + 1, 'the first line must be the sweep header');
      }
      header = line;
      continue;
    }
    if (trailer !== null) throw new SweepFileError(file, i + 1, 'a line after the trailer');
    if (line.kind === 'sweep') throw new SweepFileError(file, i + 1, 'a second header');
    if (line.kind === 'end') trailer = line;
    else seeds.push(line);
  }
  if (header === null) throw new SweepFileError(file, 0, 'no sweep header (an empty file?)');
  return { file, header, seeds, trailer };
}

/** A value as JSON with object keys sorted, so equal specs serialise equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
