/**
 * A mutual-exclusion lock, as Knossos's `mutex` model: the state is whether the lock is held.
 *
 * - `acquire` (no value, no result): takes a free lock. Acquiring a held lock is impossible.
 * - `release` (no value, no result): frees a held lock. Releasing a free lock is impossible.
 *
 * As in Knossos, the state is held or free, not held by whom: Jepsen renumbers a client after
 * an unknown outcome, so "released by another process" cannot be told from a legitimate release.
 * A failed acquire or release did not happen; an unknown one may have. Operations with a `key`
 * act on independent locks, one per key. The lock starts free (`initialValue` does not apply).
 */
import { describeOutcome } from '../describe-value.js';
import type { Model } from '../model.js';
import { mixId } from '../value-table.js';

const FREE = 0;
const HELD = 1;

const enum MutexOp {
  Acquire,
  Release,
}

const KINDS: Readonly<Record<string, MutexOp>> = {
  acquire: MutexOp.Acquire,
  release: MutexOp.Release,
};

/**
 * Deliberately broken variants, each with exactly one rule removed, which the tests must catch:
 * `acquire-held` lets a held lock be acquired again; `release-free` lets a free lock be released.
 */
export type MutexMutant = 'acquire-held' | 'release-free';
export const MUTEX_MUTANTS: readonly MutexMutant[] = ['acquire-held', 'release-free'];

export const mutexModel = mutexModelWith();

export function mutexModelWith(mutant?: MutexMutant): Model<number, MutexOp> {
  const acquireHeld = mutant === 'acquire-held';
  const releaseFree = mutant === 'release-free';
  return {
    name: 'mutex',
    describe: 'mutual-exclusion lock: acquire/release (per key when ops carry keys), as in Knossos',

    validate(op) {
      if (!Object.hasOwn(KINDS, op.f)) return `mutex has no operation "${op.f}" (acquire, release)`;
      return undefined;
    },

    partitionKey: (op) => op.key,
    isReadOnly: () => false,
    init: () => FREE,
    prepare: (op) => KINDS[op.f] as MutexOp,

    step(state, input) {
      if (input === MutexOp.Acquire) return state === FREE || acquireHeld ? HELD : undefined;
      return state === HELD || releaseFree ? FREE : undefined;
    },

    equal: (a, b) => a === b,
    hash: mixId,

    describeOp(op) {
      const key = op.key === undefined ? '' : ` [${op.key}]`;
      return `${op.f}${key}${describeOutcome(op)}`;
    },

    describeState: (state) => (state === HELD ? 'held' : 'free'),
  };
}
