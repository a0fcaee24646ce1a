/**
 * No false alarms: the correct systems stay valid under `--swarm`. A small budget per system
 * for the suite; docs/simulator.md gives the larger sweep run by hand. Not here: kv-async (not
 * linearizable by design) and echo (nothing to check). nakamoto is here since its judge holds
 * k-confirmation finality only where the network was connected (bounded-delay.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/protocols/pbft/ed25519.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { getSystem } from '../../src/systems/index.js';

const BUDGET: readonly [string, number][] = [
  ['kv-single', 10],
  ['paxos', 10],
  ['kv-paxos', 4],
  ['twopc', 6],
  ['twopc-replicated', 4],
  ['paxos-commit', 4],
  ['kv-raft', 12],
  ['etcd-raft', 8],
  ['pbft', 3],
  ['nakamoto', 6],
  ['zookeeper', 6],
  ['kafka', 6],
];

for (const [name, seeds] of BUDGET) {
  test(`${name}: ${seeds} swarm seeds, none invalid`, () => {
    const system = getSystem(name);
    assert.ok(system !== undefined);
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runChecked({ system, seed, swarm: true, workload: { ops: 200 } });
      assert.notEqual(
        r.verdict,
        'invalid',
        `seed ${seed}: ${r.failure?.message ?? r.judgement?.message ?? 'checker'}`,
      );
    }
  });
}
