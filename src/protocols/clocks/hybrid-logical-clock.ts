/**
 * Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks", OPODIS 2014), as
 * CockroachDB uses them: a timestamp is a pair (wall, logical) whose wall part stays within the
 * clock offset of physical time, while the pair still orders every causal chain as a Lamport
 * clock would. The physical clock comes from the node's environment, so the same seed gives the
 * same timestamps.
 */

export interface HlcTimestamp {
  /** The largest physical time this node has heard of, in milliseconds. */
  readonly wall: number;
  /** Counts events that share `wall`, so causally later events still get larger timestamps. */
  readonly logical: number;
}

export const HLC_ZERO: HlcTimestamp = { wall: 0, logical: 0 };

/** Lexicographic order on (wall, logical): negative, zero or positive, as for `Array.sort`. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

export function maxHlc(a: HlcTimestamp, b: HlcTimestamp): HlcTimestamp {
  return compareHlc(a, b) >= 0 ? a : b;
}

/** The smallest timestamp after `t` (used to restart a transaction just past a value it saw). */
export function nextHlc(t: HlcTimestamp): HlcTimestamp {
  return { wall: t.wall, logical: t.logical + 1 };
}

export function formatHlc(t: HlcTimestamp): string {
  return `${t.wall}.${t.logical}`;
}

export type HlcErrorCode = 'remote-clock-ahead' | 'invalid-timestamp';

export class HlcError extends Error {
  constructor(
    readonly code: HlcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HlcError';
  }
}

export interface HlcOptions {
  /**
   * The largest offset between any two nodes' physical clocks the deployment promises
   * (CockroachDB's `--max-offset`, 500 ms by default). A message stamped further ahead of this
   * node's physical clock than that proves the promise broken; the clock refuses it rather
   * than dragging every later timestamp away from physical time.
   */
  readonly maxOffsetMs: number;
}

export const COCKROACH_DEFAULT_MAX_OFFSET_MS = 500;

function assertTimestamp(t: HlcTimestamp, what: string): void {
  if (!Number.isFinite(t.wall) || !Number.isInteger(t.logical) || t.logical < 0) {
    throw new HlcError(
      'invalid-timestamp',
      `${what} is not a hybrid logical timestamp: ${formatHlc(t)}`,
    );
  }
}

export class HybridLogicalClock {
  private last: HlcTimestamp = HLC_ZERO;

  constructor(
    private readonly physicalNow: () => number,
    readonly options: HlcOptions = { maxOffsetMs: COCKROACH_DEFAULT_MAX_OFFSET_MS },
  ) {
    if (!(options.maxOffsetMs >= 0) || !Number.isFinite(options.maxOffsetMs)) {
      throw new RangeError(
        `max offset must be a finite number of ms ≥ 0, not ${options.maxOffsetMs}`,
      );
    }
  }

  /** The last timestamp handed out or received, without advancing the clock. */
  peek(): HlcTimestamp {
    return this.last;
  }

  /** A timestamp for a local event or a send: after every timestamp this clock has seen. */
  now(): HlcTimestamp {
    const physical = this.physicalNow();
    const next = physical > this.last.wall ? { wall: physical, logical: 0 } : nextHlc(this.last);
    this.last = next;
    return next;
  }

  /**
   * Merges the timestamp of a received message: the result is after both the message's and
   * every earlier local timestamp, which is what makes the clock order causal chains.
   */
  update(remote: HlcTimestamp): HlcTimestamp {
    assertTimestamp(remote, 'the remote timestamp');
    const physical = this.physicalNow();
    if (remote.wall - physical > this.options.maxOffsetMs) {
      throw new HlcError(
        'remote-clock-ahead',
        `a remote timestamp ${formatHlc(remote)} is ${remote.wall - physical} ms ahead of this clock, past the ${this.options.maxOffsetMs} ms max offset`,
      );
    }
    const wall = Math.max(this.last.wall, remote.wall, physical);
    let logical: number;
    if (wall === this.last.wall && wall === remote.wall) {
      logical = Math.max(this.last.logical, remote.logical) + 1;
    } else if (wall === this.last.wall) {
      logical = this.last.logical + 1;
    } else if (wall === remote.wall) {
      logical = remote.logical + 1;
    } else {
      logical = 0;
    }
    this.last = { wall, logical };
    return this.last;
  }

  /**
   * Restores the clock after a restart from a timestamp known to have been handed out (a
   * persisted upper bound), so the restarted node never hands out an earlier one.
   */
  restoreAtLeast(t: HlcTimestamp): void {
    assertTimestamp(t, 'the restored timestamp');
    this.last = maxHlc(this.last, t);
  }
}
