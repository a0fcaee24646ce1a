/** The data a Raft server attaches to its own timers, read back with its shape checked. */
import type { Json } from '../../core/json.js';
import { RaftInvariantError } from './raft-assert.js';

function field(data: Json | undefined, key: string): Json | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  // Neither null nor an array: the object arm of Json.
  return (data as { readonly [key: string]: Json })[key];
}

/** The number `key` of a timer's data, set by this server when it armed the timer. */
export function timerNumber(timer: string, data: Json | undefined, key: string): number {
  const v = field(data, key);
  if (typeof v !== 'number') {
    throw new RaftInvariantError('timer-data-well-formed', `${timer} timer without ${key}`);
  }
  return v;
}

/** The string `key` of a timer's data, set by this server when it armed the timer. */
export function timerString(timer: string, data: Json | undefined, key: string): string {
  const v = field(data, key);
  if (typeof v !== 'string') {
    throw new RaftInvariantError('timer-data-well-formed', `${timer} timer without ${key}`);
  }
  return v;
}
