/**
 * The witness regime (src/sim/witness-regime.ts): a `sole-witness` probe that waits for a
 * broadcast and reboots every witness as it answers catches Raft's `vote-not-durable` on a
 * cluster of even size, where rebooting only the first witness cannot (its forgotten vote plus
 * the nodes that never saw the request are one short of a quorum).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import { runSimulation } from '../../src/sim/run.js';
import { drawSwarm } from '../../src/sim/swarm.js';
import {
  checkTriggerSettings,
  TriggerSettingsError,
  type TriggerSettings,
} from '../../src/sim/triggers.js';
import { getSystem } from '../../src/systems/index.js';

const kvRaft = getSystem('kv-raft');
if (kvRaft === undefined) throw new Error('no kv-raft');

const probe = (reboot: 'first' | 'all'): TriggerSettings => ({
  events: ['send'],
  actions: ['crash'],
  heals: ['after-log'],
  chance: 1,
  delayMs: [0, 0],
  holdMs: [100, 400],
  gapMs: [0, 100],
  slots: 0,
  probes: ['sole-witness'],
  witness: { pick: 'broadcast', reboot },
});

const run = (seed: number, triggers: TriggerSettings, mutant?: string) =>
  runChecked({
    system: kvRaft,
    seed,
    nodes: 4,
    nemesis: 'partition-one',
    triggers,
    ...(mutant !== undefined ? { mutant } : {}),
    workload: { ops: 300 },
  });

test('rebooting every witness catches vote-not-durable on four nodes; rebooting one does not', () => {
  // Seed 12 is the only catch in seeds 1–20 with `all`; `first` catches none of them.
  const caught = run(12, probe('all'), 'vote-not-durable');
  assert.equal(caught.verdict, 'invalid');
  assert.match(caught.failure?.message ?? '', /election safety: .* both leaders in term/);
  assert.equal(run(12, probe('first'), 'vote-not-durable').verdict, 'valid');
  assert.equal(run(12, probe('all')).verdict, 'valid', 'correct Raft under the same probe');
});

test("pick: 'broadcast' aims the probe at quorum requests only, never at a reply", () => {
  // Seeds 2 and 3 on three nodes: the original probe also fires on replies (vote-resp,
  // pre-vote-resp, read-index-resp), which it cannot split into a sole witness.
  const fired = (seed: number, witness: boolean): string[] => {
    const { witness: _w, ...plain } = probe('first');
    const r = runSimulation({
      system: kvRaft,
      seed,
      nodes: 3,
      nemesis: 'partition-one',
      triggers: { ...(witness ? probe('first') : plain), heals: ['timed'], holdMs: [20, 50] },
      keepTrace: true,
      workload: { ops: 300 },
    });
    return (r.trace ?? []).flatMap((e) =>
      e.e === 'nemesis' && e.plan === 'probe' && e.phase === 'fault'
        ? [/send ([\w-]+) reaches/.exec(e.detail)?.[1] ?? []].flat()
        : [],
    );
  };
  const requests = new Set(['vote', 'pre-vote', 'append', 'heartbeat']);
  for (const seed of [2, 3]) {
    const aimed = fired(seed, true);
    assert.ok(aimed.length >= 3, `seed ${seed}: ${aimed.join(' ')}`);
    assert.ok(
      aimed.every((t) => requests.has(t)),
      `seed ${seed}: ${aimed.join(' ')}`,
    );
    const plain = fired(seed, false);
    assert.ok(
      plain.some((t) => !requests.has(t)),
      `seed ${seed} without: ${plain.join(' ')}`,
    );
  }
});

test('a share of swarm seeds draws the regime, the rest keep their triggers', () => {
  let drawn = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const mix = drawSwarm(kvRaft, seed);
    if (mix.triggers?.witness === undefined) continue;
    drawn++;
    assert.equal(mix.triggers.slots, 0);
    assert.deepEqual(mix.triggers.probes, ['sole-witness']);
    assert.deepEqual(mix.noise, { loss: 0, duplicate: 0, reorder: 0 });
  }
  assert.ok(drawn >= 15 && drawn <= 45, `${drawn} of 100 seeds drew it`);
});

test('witness settings are checked', () => {
  const bad = { ...probe('all'), witness: { pick: 'broadcast', reboot: 'some' } };
  assert.throws(() => checkTriggerSettings(bad as TriggerSettings), TriggerSettingsError);
  checkTriggerSettings(probe('first'));
});
