/**
 * Invariants of a Raft server asserted where it relies on them (in the style of etcd-raft's
 * panics and TigerBeetle's asserts): a broken one stops the node with an error naming it,
 * instead of a cast letting a wrong value travel on.
 */
export type RaftInvariant =
  | 'committed-entry-present'
  | 'entry-below-length-present'
  | 'term-of-prev-entry-known'
  | 'snapshot-present-below-log'
  | 'applied-entry-term-known'
  | 'read-index-leader-known'
  | 'hard-state-well-formed'
  | 'timer-data-well-formed'
  | 'append-keeps-committed'
  | 'log-continues-snapshot';

export class RaftInvariantError extends Error {
  constructor(
    readonly code: RaftInvariant,
    detail: string,
  ) {
    super(`raft invariant ${code} broken: ${detail}`);
    this.name = 'RaftInvariantError';
  }
}

/** `value`, which `invariant` says is present; throws RaftInvariantError if it is not. */
export function must<T>(value: T | undefined | null, invariant: RaftInvariant, detail: string): T {
  if (value === undefined || value === null) throw new RaftInvariantError(invariant, detail);
  return value;
}
