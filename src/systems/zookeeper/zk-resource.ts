/**
 * The resource the lock protects, replicated in the same Zab log as the tree but outside it: a
 * store that knows nothing of sessions (an external service does not), so a holder whose
 * session lapsed while it was paused can still reach it. It keeps the highest fencing token that
 * has acted and refuses any lower one (Kleppmann's fencing tokens; src/recipes/fencing.ts is the
 * wire-client version), which is the only thing that stops such a holder.
 */
import type { Json } from '../../core/json.js';

/** What the log holds for an act on the resource: the actor's token (its lock node's czxid). */
export interface FenceLogOp {
  readonly fence: number;
}

export function isFenceLogOp(op: Json): op is Json & FenceLogOp {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return false;
  const o = op as { fence?: unknown };
  return (
    Object.keys(op).length === 1 &&
    typeof o.fence === 'number' &&
    Number.isSafeInteger(o.fence) &&
    o.fence >= 0
  );
}

/**
 * Deliberately broken rule, which the judge must catch: `ignore-fencing`: the resource accepts
 * any token, so a holder that lost its lock while paused acts after the next holder has.
 */
export type FenceMutant = 'ignore-fencing';

export class FencedStore {
  /** The highest token that has acted (0: none yet; czxids start at 1). */
  highest = 0;

  constructor(private readonly mutant?: FenceMutant) {}

  /** The answer to an act with `token` applied at `zxid`: accepted, or refused as stale. */
  act(token: number, zxid: number): Json {
    const accepted = token >= this.highest || this.mutant === 'ignore-fencing';
    if (accepted && token > this.highest) this.highest = token;
    return { code: 0, zxid, accepted, highest: this.highest };
  }
}
