/**
 * A server's hard state (§3.8): its current term and the vote it cast in it, written to
 * storage before any message that depends on them is sent.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import type { DurableStore } from '../../core/storage.js';
import { RaftInvariantError } from './raft-assert.js';

const HARD_STATE_KEY = 'raft/hard';

export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
}

function isHardState(v: Json): v is { term: number; vote: NodeId | null } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  // Neither null nor an array: the object arm of Json.
  const o = v as { readonly [key: string]: Json };
  return (
    typeof o.term === 'number' &&
    Number.isInteger(o.term) &&
    o.term >= 0 &&
    (o.vote === null || typeof o.vote === 'string')
  );
}

/** The hard state in `s`, or undefined if none was ever written. */
export function loadHardState(s: DurableStore): HardState | undefined {
  const v = s.get(HARD_STATE_KEY);
  if (v === undefined) return undefined;
  if (!isHardState(v)) {
    throw new RaftInvariantError('hard-state-well-formed', `stored ${JSON.stringify(v)}`);
  }
  return v;
}

/** Writes the hard state (durable at the next sync). */
export function saveHardState(s: DurableStore, hard: HardState): void {
  s.put(HARD_STATE_KEY, { term: hard.term, vote: hard.vote });
}
