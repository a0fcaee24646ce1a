/**
 * Shard files combined into the summary of the whole sweep: verdict counts, the failing seeds
 * with their replay commands, seeds per minute, coverage, and whether the shards cover the
 * sweep's every seed exactly once. Shards of different sweeps are refused, not mixed.
 */
import {
  addRunCoverage,
  emptySweepCoverage,
  sweepCoverageSorted,
  type SweepCoverage,
} from '../../sim/coverage.js';
import type { Verdict } from '../../sim/checked-run.js';
import { canonicalJson, type SeedRecord, type ShardFile, type SweepSpec } from './record.js';

export type SweepMismatchReason = 'different-sweep' | 'different-shard-count';

/** The files given are not shards of one sweep. */
export class SweepMismatchError extends Error {
  constructor(
    readonly reason: SweepMismatchReason,
    message: string,
  ) {
    super(message);
    this.name = 'SweepMismatchError';
  }
}

export interface SeedOutcome {
  readonly seed: number;
  readonly problem: string | null;
  readonly replay: string;
}

export interface MergedSweep {
  readonly sweep: SweepSpec;
  readonly shardCount: number;
  readonly files: number;
  /** Shard indexes no file holds. */
  readonly missingShards: readonly number[];
  /** Shard indexes more than one file holds, with those files. */
  readonly duplicateShards: readonly { index: number; files: string[] }[];
  /** Files without a trailer: their shard stopped before its last seed. */
  readonly unfinished: readonly { file: string; index: number; seeds: number; expected: number }[];
  /** Seeds run twice with different digests: the sweep does not replay. */
  readonly conflicts: readonly { seed: number; digests: string[] }[];
  /** Seeds of the sweep that no file holds. */
  readonly missingSeeds: number;
  readonly seeds: number;
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly invalid: readonly SeedOutcome[];
  readonly unknown: readonly SeedOutcome[];
  /** From the first shard's start to the last one's end; null when a shard did not finish. */
  readonly wallMs: number | null;
  /** Every seed's own run time added up (what one core would take). */
  readonly runMs: number;
  readonly seedsPerMinute: number | null;
  readonly seedsPerCoreMinute: number;
  readonly coverage: SweepCoverage;
  /** Seeds whose coverage was counted (sim --no-coverage counts none). */
  readonly coveredSeeds: number;
  /** Every seed of the sweep once, every shard finished, no conflicts. */
  readonly complete: boolean;
}

export function mergeShards(shards: readonly ShardFile[]): MergedSweep {
  const first = shards[0];
  if (first === undefined) throw new Error('mergeShards needs at least one shard file');
  const spec = first.header.sweep;
  const key = canonicalJson(spec);
  const shardCount = first.header.shard.count;
  for (const s of shards) {
    if (canonicalJson(s.header.sweep) !== key) {
      throw new SweepMismatchError(
        'different-sweep',
        `${s.file} is a shard of a different sweep than ${first.file}: ${describeDifference(spec, s.header.sweep)}`,
      );
    }
    if (s.header.shard.count !== shardCount) {
      throw new SweepMismatchError(
        'different-shard-count',
        `${s.file} cuts the sweep into ${s.header.shard.count} shards, ${first.file} into ${shardCount}`,
      );
    }
  }
  const byIndex = new Map<number, string[]>();
  for (const s of shards) {
    const files = byIndex.get(s.header.shard.index) ?? [];
    files.push(s.file);
    byIndex.set(s.header.shard.index, files);
  }
  const missingShards: number[] = [];
  for (let i = 0; i < shardCount; i++) if (!byIndex.has(i)) missingShards.push(i);
  const duplicateShards = [...byIndex.entries()]
    .filter(([, files]) => files.length > 1)
    .sort(([a], [b]) => a - b)
    .map(([index, files]) => ({ index, files }));
  const unfinished = shards
    .filter((s) => s.trailer === null)
    .map((s) => ({
      file: s.file,
      index: s.header.shard.index,
      seeds: s.seeds.length,
      expected: expectedInShard(spec.seeds, s.header.shard.index, shardCount),
    }));

  const bySeed = new Map<number, SeedRecord>();
  const conflicting = new Map<number, Set<string>>();
  const inRange = (seed: number) => seed >= spec.firstSeed && seed < spec.firstSeed + spec.seeds;
  for (const s of shards) {
    for (const r of s.seeds) {
      if (!inRange(r.seed)) continue;
      const earlier = bySeed.get(r.seed);
      if (earlier === undefined) bySeed.set(r.seed, r);
      else if (earlier.digest !== r.digest || earlier.verdict !== r.verdict) {
        const set = conflicting.get(r.seed) ?? new Set([earlier.digest]);
        set.add(r.digest);
        conflicting.set(r.seed, set);
      }
    }
  }
  const conflicts = [...conflicting.entries()]
    .sort(([a], [b]) => a - b)
    .map(([seed, digests]) => ({ seed, digests: [...digests] }));

  const counts: Record<Verdict, number> = { valid: 0, invalid: 0, unknown: 0, unchecked: 0 };
  const invalid: SeedOutcome[] = [];
  const unknown: SeedOutcome[] = [];
  const coverage = emptySweepCoverage();
  let runMs = 0;
  let coveredSeeds = 0;
  const records = [...bySeed.values()].sort((a, b) => a.seed - b.seed);
  for (const r of records) {
    counts[r.verdict]++;
    runMs += r.wallMs;
    if (r.verdict === 'invalid') invalid.push(outcome(r));
    if (r.verdict === 'unknown') unknown.push(outcome(r));
    if (r.coverage !== null) {
      addRunCoverage(coverage, r.coverage);
      coveredSeeds++;
    }
  }
  const starts = shards.map((s) => s.header.startedAt);
  const ends: number[] = [];
  for (const s of shards) if (s.trailer !== null) ends.push(s.trailer.endedAt);
  const wallMs = ends.length === shards.length ? Math.max(...ends) - Math.min(...starts) : null;
  const missingSeeds = spec.seeds - records.length;
  return {
    sweep: spec,
    shardCount,
    files: shards.length,
    missingShards,
    duplicateShards,
    unfinished,
    conflicts,
    missingSeeds,
    seeds: records.length,
    counts,
    invalid,
    unknown,
    wallMs,
    runMs: Math.round(runMs),
    seedsPerMinute:
      wallMs === null || wallMs <= 0 ? null : round1((records.length * 60_000) / wallMs),
    seedsPerCoreMinute: runMs <= 0 ? 0 : round1((records.length * 60_000) / runMs),
    coverage: sweepCoverageSorted(coverage),
    coveredSeeds,
    complete:
      missingShards.length === 0 &&
      unfinished.length === 0 &&
      conflicts.length === 0 &&
      missingSeeds === 0,
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

const outcome = (r: SeedRecord): SeedOutcome => ({
  seed: r.seed,
  problem: r.problem,
  replay: r.replay,
});

/** How many seeds of a sweep of `seeds` the strided shard `index` of `count` runs. */
export const expectedInShard = (seeds: number, index: number, count: number): number =>
  index >= seeds ? 0 : Math.floor((seeds - 1 - index) / count) + 1;

/** The first top-level field in which two sweeps differ, for the refusal message. */
function describeDifference(a: SweepSpec, b: SweepSpec): string {
  const theirs = new Map(Object.entries(b));
  for (const [field, value] of Object.entries(a)) {
    const x = canonicalJson(value);
    const y = canonicalJson(theirs.get(field));
    if (x !== y) return `${field} ${y} ≠ ${x}`;
  }
  return 'their headers differ';
}
