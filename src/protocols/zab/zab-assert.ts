/**
 * Invariants of a Zab server asserted where it relies on them: a broken one stops the node with
 * an error naming it, instead of a wrong value travelling on.
 */
export type ZabInvariant =
  | 'log-in-zxid-order'
  | 'truncate-keeps-delivered'
  | 'snap-keeps-delivered'
  | 'stored-state-well-formed'
  | 'commit-within-log'
  | 'timer-data-well-formed';

export class ZabInvariantError extends Error {
  constructor(
    readonly code: ZabInvariant,
    detail: string,
  ) {
    super(`zab invariant ${code} broken: ${detail}`);
    this.name = 'ZabInvariantError';
  }
}

/** Throws ZabInvariantError unless `condition` holds. */
export function check(condition: boolean, invariant: ZabInvariant, detail: string): void {
  if (!condition) throw new ZabInvariantError(invariant, detail);
}
