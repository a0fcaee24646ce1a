/**
 * Invariants of a PBFT replica asserted where it relies on them (in the style of etcd-raft's
 * panics and TigerBeetle's asserts): a broken one stops the replica with an error naming it,
 * instead of a cast letting a wrong value travel on.
 */
export type PbftInvariant =
  /** The primary's queue holds only requests that passed `requestOf`. */
  | 'queued-request-well-formed'
  /** An entry counted as prepared or committed has its pre-prepare and digest. */
  | 'prepared-entry-has-pre-prepare'
  /** An executed request's operation is a kv operation (`requestOf` checked it on receipt). */
  | 'executed-op-is-kv';

export class PbftInvariantError extends Error {
  constructor(
    readonly code: PbftInvariant,
    detail: string,
  ) {
    super(`pbft invariant ${code} broken: ${detail}`);
    this.name = 'PbftInvariantError';
  }
}

/** `value`, which `invariant` says is present; throws PbftInvariantError if it is not. */
export function must<T>(value: T | undefined | null, invariant: PbftInvariant, detail: string): T {
  if (value === undefined || value === null) throw new PbftInvariantError(invariant, detail);
  return value;
}
