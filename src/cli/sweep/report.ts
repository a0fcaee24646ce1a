/** A merged sweep as the text `truthkit sweep merge` prints, and the exit code it ends with. */
import { formatSweepCoverage } from '../../sim/coverage.js';
import { EXIT } from '../usage-error.js';
import type { MergedSweep } from './merge.js';

/** Most failing seeds listed one per line; the rest are counted (the JSON has them all). */
const LISTED = 20;

export function formatMerged(m: MergedSweep): string {
  const s = m.sweep;
  const lines: string[] = [];
  const mutant = s.mutant !== null ? ` mutant=${s.mutant}` : '';
  lines.push(
    `sweep ${s.system}${mutant} nemesis=${s.nemesis} nodes=${s.nodes} seeds ${s.firstSeed}…` +
      `${s.firstSeed + s.seeds - 1} (${s.seeds}) in ${m.shardCount} shard(s), ${m.files} file(s)`,
  );
  lines.push(
    `${m.seeds} seed(s): ${m.counts.valid} valid, ${m.counts.invalid} invalid, ` +
      `${m.counts.unknown} unknown, ${m.counts.unchecked} unchecked`,
  );
  const rate =
    m.seedsPerMinute === null
      ? 'wall time unknown (a shard did not finish)'
      : `${m.seedsPerMinute} seeds/min over ${(m.wallMs ?? 0) / 1000}s of wall time`;
  lines.push(`${rate}; ${m.seedsPerCoreMinute} seeds/min per core (${m.runMs / 1000}s of runs)`);
  for (const [what, list] of [
    ['invalid', m.invalid],
    ['unknown', m.unknown],
  ] as const) {
    if (list.length === 0) continue;
    lines.push(`${what} seeds:`);
    for (const o of list.slice(0, LISTED)) {
      lines.push(`  seed ${o.seed}: ${o.problem ?? what}`);
      lines.push(`    replay: ${o.replay}`);
    }
    if (list.length > LISTED) lines.push(`  … and ${list.length - LISTED} more (--json lists all)`);
  }
  if (m.complete) lines.push(`complete: every seed of the sweep once`);
  else {
    lines.push('INCOMPLETE:');
    if (m.missingShards.length > 0) {
      lines.push(`  missing shard(s): ${m.missingShards.join(', ')} of ${m.shardCount}`);
    }
    for (const d of m.duplicateShards) {
      lines.push(`  shard ${d.index} given twice: ${d.files.join(', ')}`);
    }
    for (const u of m.unfinished) {
      lines.push(`  ${u.file} (shard ${u.index}) stopped after ${u.seeds} of ${u.expected} seeds`);
    }
    for (const c of m.conflicts) {
      lines.push(`  seed ${c.seed} ran differently in two files: ${c.digests.join(' ≠ ')}`);
    }
    if (m.missingSeeds > 0) lines.push(`  ${m.missingSeeds} seed(s) of the sweep have no result`);
  }
  if (m.duplicateShards.length > 0 && m.complete) {
    for (const d of m.duplicateShards) {
      lines.push(`note: shard ${d.index} given twice, with equal results: ${d.files.join(', ')}`);
    }
  }
  if (m.coveredSeeds < m.seeds) {
    lines.push(
      `coverage counted on ${m.coveredSeeds} of ${m.seeds} seeds (the rest ran --no-coverage)`,
    );
  }
  if (m.coveredSeeds > 0) lines.push(formatSweepCoverage(m.coverage, m.coveredSeeds));
  return lines.join('\n') + '\n';
}

/**
 * As `truthkit sim`: 1 when a seed is invalid (that finding matters most), otherwise 4 when the
 * shards do not cover the sweep, otherwise 3 when a seed is unknown, otherwise 0.
 */
export function mergedExit(m: MergedSweep): number {
  if (m.counts.invalid > 0) return EXIT.invalid;
  if (!m.complete) return EXIT.incomplete;
  if (m.counts.unknown > 0) return EXIT.unknown;
  return EXIT.ok;
}
