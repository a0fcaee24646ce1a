/**
 * A shard of a seed sweep: `i/n` names the i-th (from 0, as Kubernetes' JOB_COMPLETION_INDEX
 * counts) of n disjoint slices. Slices are strided, not contiguous: shard i runs the seeds
 * first + k for every k ≡ i (mod n). Blocks balance as well when a seed's cost does not depend
 * on its number; a stride also balances when it does (a range of seeds that runs slow is dealt
 * out over every shard instead of landing on one), and a shard stopped early has still sampled
 * the whole range.
 */
import { UsageError } from '../usage-error.js';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole sweep as one shard. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** Most shards a sweep may be cut into (Kubernetes caps an Indexed Job at 100,000 completions). */
export const MAX_SHARDS = 100_000;

/** Parses `i/n` (0 ≤ i < n ≤ MAX_SHARDS); anything else is a usage error. */
export function parseShard(spec: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(spec.trim());
  const bad = (why: string) =>
    new UsageError(`--shard ${spec}: ${why} (expected i/n with 0 ≤ i < n, e.g. 0/4)`);
  if (m === null) throw bad('not of the form i/n');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw bad('a sweep has at least one shard');
  if (count > MAX_SHARDS) throw bad(`at most ${MAX_SHARDS} shards`);
  if (index >= count) throw bad(`shard indexes run from 0 to ${count - 1}`);
  return { index, count };
}

export const formatShard = (s: Shard): string => `${s.index}/${s.count}`;

/** The seeds of `shard` in the sweep of `seeds` seeds from `first`, in increasing order. */
export function shardSeeds(first: number, seeds: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let k = shard.index; k < seeds; k += shard.count) out.push(first + k);
  return out;
}

/** Which shard of `count` runs `seed` of a sweep starting at `first`. */
export const shardOf = (first: number, seed: number, count: number): number =>
  (seed - first) % count;
