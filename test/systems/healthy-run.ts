/** What every sweep of a replicated KV asks of a run: valid, and serving again soon after the heal. */
import assert from 'node:assert/strict';
import type { CheckedRun } from '../../src/sim/checked-run.js';

/** A majority is back once the nemesis heals; a first success must follow within this. */
export const RECOVERY_BOUND_MS = 2000;

export function assertHealthy(r: CheckedRun): void {
  const where = `seed ${r.seed} nemesis ${r.nemesis}`;
  assert.equal(r.failure, null, `${where}: ${r.failure?.message}`);
  assert.equal(r.verdict, 'valid', where);
  const { healedAt, firstOkAt } = r.recovery;
  assert.ok(healedAt !== null && firstOkAt !== null, `${where}: nothing succeeded after heal`);
  assert.ok(
    firstOkAt - healedAt <= RECOVERY_BOUND_MS,
    `${where}: first success ${firstOkAt - healedAt} ms after the heal`,
  );
}
