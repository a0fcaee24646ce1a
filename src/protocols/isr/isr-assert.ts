/**
 * Invariants a partition replica relies on, asserted where it relies on them (as raft-assert.ts
 * does for Raft): a broken one stops the node with an error naming it instead of letting a wrong
 * offset travel on.
 */
export type IsrInvariant =
  'log-contiguous' | 'log-opened' | 'epochs-ascend' | 'hw-within-log' | 'batch-epoch-known';

export class IsrInvariantError extends Error {
  constructor(
    readonly code: IsrInvariant,
    detail: string,
  ) {
    super(`isr invariant ${code} broken: ${detail}`);
    this.name = 'IsrInvariantError';
  }
}

export function assertIsr(ok: boolean, invariant: IsrInvariant, detail: () => string): void {
  if (!ok) throw new IsrInvariantError(invariant, detail());
}
