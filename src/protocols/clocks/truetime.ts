/**
 * Spanner's TrueTime (Corbett et al., OSDI 2012): the clock answers with an interval
 * [earliest, latest] that is guaranteed to contain true time, as long as the node's clock error
 * stays within ε. Commit wait uses it: a transaction takes s = TT.now().latest as its commit
 * timestamp and releases its result only once TT.after(s) holds, so s is in the past everywhere
 * before anyone can see the transaction — external consistency, at a cost of about 2ε.
 */

export interface TrueTimeInterval {
  readonly earliest: number;
  readonly latest: number;
}

export type TrueTimeErrorCode = 'invalid-epsilon';

export class TrueTimeError extends Error {
  constructor(
    readonly code: TrueTimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrueTimeError';
  }
}

/** `after` is strict, so a wait of exactly the gap would land on it; wait one tick past it. */
export const TRUETIME_TICK_MS = 0.001;

/** Spanner's paper reports ε between 1 and 7 ms across its fleet. */
export const SPANNER_EPSILON_MS = 7;

export class TrueTime {
  // Spanner's interval never moves backwards on a node; a local clock that steps back (a
  // clock-jump fault inside ε) must not make `earliest` go back and release a wait twice.
  private floorEarliest = -Infinity;
  private floorLatest = -Infinity;

  constructor(
    private readonly localNow: () => number,
    readonly epsilonMs: number = SPANNER_EPSILON_MS,
  ) {
    if (!Number.isFinite(epsilonMs) || epsilonMs < 0) {
      throw new TrueTimeError(
        'invalid-epsilon',
        `ε must be a finite number of ms ≥ 0, not ${epsilonMs}`,
      );
    }
  }

  now(): TrueTimeInterval {
    const local = this.localNow();
    this.floorEarliest = Math.max(this.floorEarliest, local - this.epsilonMs);
    this.floorLatest = Math.max(this.floorLatest, local + this.epsilonMs);
    return { earliest: this.floorEarliest, latest: this.floorLatest };
  }

  /** True once t has certainly passed: every clock's true time is later than t. */
  after(t: number): boolean {
    return this.now().earliest > t;
  }

  /** True while t has certainly not arrived yet. */
  before(t: number): boolean {
    return this.now().latest < t;
  }

  /**
   * How long, by this node's local clock, until `after(t)` holds; 0 if it already does. The
   * caller sets a timer for it and asks `after` again when it fires (the local clock may have
   * drifted meanwhile).
   */
  waitMsUntilAfter(t: number): number {
    const { earliest } = this.now();
    return earliest > t ? 0 : t - earliest + TRUETIME_TICK_MS;
  }
}
