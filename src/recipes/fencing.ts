/**
 * A resource protected by fencing tokens (Kleppmann's fix for the lock-after-pause bug): it
 * remembers the highest token that has acted on it and refuses any lower one, so a holder whose
 * lock lapsed while it was paused cannot act after the next holder has.
 */

export class StaleTokenError extends Error {
  readonly code = 'STALE_TOKEN';
  constructor(
    readonly token: number,
    readonly highest: number,
  ) {
    super(`fencing token ${token} is below ${highest}, which has already acted`);
    this.name = 'StaleTokenError';
  }
}

/** A deliberately broken rule a test must catch: `ignore-fencing` accepts any token. */
export type FencingMutant = 'ignore-fencing';

export class FencedResource<T> {
  private highest = -Infinity;
  /** Every accepted write, in order. */
  readonly accepted: { readonly token: number; readonly value: T }[] = [];

  constructor(private readonly mutant?: FencingMutant) {}

  write(token: number, value: T): void {
    if (!Number.isSafeInteger(token))
      throw new RangeError(`token must be an integer, got ${token}`);
    if (token < this.highest && this.mutant !== 'ignore-fencing') {
      throw new StaleTokenError(token, this.highest);
    }
    if (token > this.highest) this.highest = token;
    this.accepted.push({ token, value });
  }
}

/** The safety judgement: accepted tokens never go down (no two holders' acts interleave). */
export function fencingViolation(
  accepted: readonly { readonly token: number }[],
): string | undefined {
  for (let i = 1; i < accepted.length; i++) {
    const [a, b] = [accepted[i - 1], accepted[i]];
    if (a !== undefined && b !== undefined && b.token < a.token) {
      return `write ${i} with token ${b.token} after token ${a.token} acted`;
    }
  }
  return undefined;
}
