/** The summary of a run without clients says so, instead of a whole run of "unavailability". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';
import { clientRows } from '../../lab/src/summary-rows.js';

test('a run with clients: operations, latency, messages per op, longest unavailability', () => {
  const r = runSimulation({ system: getSystem('kv-single')!, seed: 1, workload: { ops: 20 } });
  assert.deepEqual(
    clientRows(r).map(([label]) => label),
    ['operations', 'latency', 'messages', 'longest unavailability'],
  );
});

test('a run without clients (nakamoto): no latency, no unavailability, no per-op figure', () => {
  const r = runSimulation({
    system: getSystem('nakamoto')!,
    seed: 1,
    workload: { durationMs: 2000 },
  });
  const rows = clientRows(r);
  assert.deepEqual(
    rows.map(([label]) => label),
    ['operations', 'messages'],
  );
  assert.match(rows[0]?.[1] ?? '', /none/);
  assert.doesNotMatch(rows[1]?.[1] ?? '', /per op/);
});
