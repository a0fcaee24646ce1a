/**
 * Which of a partition's oldest segments retention deletes, as Kafka's log retention decides it:
 * three rules, each deleting a run of whole segments from the oldest, the largest run winning.
 *
 * - time (`retention.ms`): a segment whose largest batch timestamp is more than retention.ms
 *   before now; the run stops at the first segment that is not that old;
 * - size (`retention.bytes`): oldest segments while the log without them is still at least
 *   retention.bytes (so the log never shrinks below the limit to meet it);
 * - log start: segments that lie wholly below the log start offset (moved by DeleteRecords).
 *
 * None deletes the active (last) segment or one holding an offset at or past the high
 * watermark: a consumer may not yet have been allowed to read it, and a follower may still need
 * it. Times are passed in, never read from a clock, so a test decides what "now" is.
 */

export interface RetentionSegment {
  readonly baseOffset: number;
  /** The offset after its last batch. */
  readonly nextOffset: number;
  readonly bytes: number;
  /** Its largest batch timestamp (ms); asked only when time retention is on. */
  readonly largestTimestamp: () => number;
}

export interface RetentionPolicy {
  /** -1: no time limit. */
  readonly retentionMs: number;
  /** -1: no size limit. */
  readonly retentionBytes: number;
}

export interface RetentionPlan {
  /** How many of the oldest segments to delete. */
  readonly count: number;
  /** The rule that asked for the most, when any asked. */
  readonly reason: 'time' | 'size' | 'log-start' | undefined;
}

/** Each removes one rule; test/runtime/kafka/retention.test.ts catches each. */
export const RETENTION_MUTANTS = [
  /** The active segment may be deleted too. */
  'retention-deletes-active',
  /** Segments past the high watermark may be deleted. */
  'retention-past-high-watermark',
  /** Size retention deletes a segment even when the log would then be below retention.bytes. */
  'size-retention-overshoots',
  /** Time retention keeps going past a segment that is not yet old enough. */
  'time-retention-skips-young',
] as const;
export type RetentionMutant = (typeof RETENTION_MUTANTS)[number];

/** `segments` oldest first, the active one last. */
export function planRetention(
  segments: readonly RetentionSegment[],
  policy: RetentionPolicy,
  now: { readonly nowMs: number; readonly logStartOffset: number; readonly highWatermark: number },
  mutant?: RetentionMutant,
): RetentionPlan {
  // The run any rule may take: never the active segment, never past the high watermark.
  let eligible = mutant === 'retention-deletes-active' ? segments.length : segments.length - 1;
  for (let i = 0; i < eligible; i++) {
    const s = segments[i] as RetentionSegment;
    if (s.nextOffset > now.highWatermark && mutant !== 'retention-past-high-watermark') {
      eligible = i;
      break;
    }
  }
  let best: RetentionPlan = { count: 0, reason: undefined };
  const consider = (count: number, reason: RetentionPlan['reason']): void => {
    if (count > best.count) best = { count, reason };
  };

  let byStart = 0;
  while (
    byStart < eligible &&
    (segments[byStart] as RetentionSegment).nextOffset <= now.logStartOffset
  )
    byStart++;
  consider(byStart, 'log-start');

  if (policy.retentionMs >= 0) {
    let byTime = 0;
    for (let i = 0; i < eligible; i++) {
      const old =
        now.nowMs - (segments[i] as RetentionSegment).largestTimestamp() > policy.retentionMs;
      if (old) byTime = i + 1;
      else if (mutant !== 'time-retention-skips-young') break;
    }
    consider(byTime, 'time');
  }

  if (policy.retentionBytes >= 0) {
    let excess = segments.reduce((sum, s) => sum + s.bytes, 0) - policy.retentionBytes;
    let bySize = 0;
    while (bySize < eligible && excess > 0) {
      const bytes = (segments[bySize] as RetentionSegment).bytes;
      if (excess - bytes < 0 && mutant !== 'size-retention-overshoots') break;
      excess -= bytes;
      bySize++;
    }
    consider(bySize, 'size');
  }
  return best;
}
