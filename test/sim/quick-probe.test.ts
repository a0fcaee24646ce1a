/**
 * Quick probes (src/sim/quick-probe.ts): a sole-witness probe healed within a retry budget and
 * rebooting at once catches paxos' forget-promise where the same probe with the slow reboot
 * does not; swarm seeds that drew a probe before keep it as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../src/core/random.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { drawQuickProbe } from '../../src/sim/quick-probe.js';
import { drawSwarm } from '../../src/sim/swarm.js';
import {
  checkTriggerSettings,
  TriggerSettingsError,
  type TriggerSettings,
} from '../../src/sim/triggers.js';
import { getSystem } from '../../src/systems/index.js';

const paxos = getSystem('paxos')!;

/** The probe slot alone, as drawQuickProbe builds it for a seed with no triggers. */
const QUICK: TriggerSettings = {
  events: ['send'],
  actions: ['crash'],
  heals: ['timed'],
  chance: 1,
  delayMs: [0, 0],
  holdMs: [30, 150],
  gapMs: [0, 100],
  slots: 0,
  probes: ['sole-witness'],
  probeHoldMs: [30, 150],
  probeRebootMs: [0, 0],
};

test('a quick probe catches forget-promise; with the 1–50 ms reboot of other probes it does not', () => {
  const run = (triggers: TriggerSettings, mutant?: string) =>
    runChecked({
      system: paxos,
      seed: 1,
      nodes: 3,
      ...(mutant !== undefined ? { mutant } : {}),
      triggers,
      workload: { ops: 300 },
    });
  const caught = run(QUICK, 'forget-promise');
  assert.equal(caught.verdict, 'invalid');
  assert.match(caught.failure?.message ?? '', /saw two values chosen for|learners disagree on/);
  assert.equal(run(QUICK).verdict, 'valid', 'the correct acceptor survives the same probe');
  // Without the rule under test (the instant reboot): the node is down while the competing
  // proposer's prepare arrives, which then moves to a ballot above the requester's.
  const { probeRebootMs: _, ...slow } = QUICK;
  assert.equal(run(slow, 'forget-promise').verdict, 'valid');
});

test('swarm seeds that drew a probe keep it; the others may draw a quick one', () => {
  let quick = 0;
  let kept = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const t = drawSwarm(paxos, seed).triggers;
    if (t === null || (t.probes ?? []).length === 0) continue;
    if (t.probeHoldMs === undefined) {
      // A probe of the older draw: its reboot is the default one, as before quick probes.
      assert.equal(t.probeRebootMs, undefined);
      kept++;
      continue;
    }
    quick++;
    checkTriggerSettings(t);
    assert.deepEqual(t.probeRebootMs, [0, 0]);
    assert.ok(t.probeHoldMs[0] >= 5 && t.probeHoldMs[1] <= 400);
  }
  // The witness regime (witness-regime.ts) takes about 30 % of seeds' triggers, probes included.
  assert.ok(quick > 5 && kept > 10, `${quick} quick and ${kept} older probes in 60 seeds`);
  // Drawn for a seed without triggers: the probe slot alone.
  for (let seed = 1; seed <= 5; seed++) {
    const t = drawQuickProbe(streamFor(seed, 'swarm:quick-probe'), null);
    if (t !== null) assert.equal(t.slots, 0);
  }
});

test('quick probe settings are checked', () => {
  assert.throws(
    () => checkTriggerSettings({ ...QUICK, probeHoldMs: [5, 1] }),
    TriggerSettingsError,
  );
  assert.throws(
    () => checkTriggerSettings({ ...QUICK, probeRebootMs: [-1, 0] }),
    TriggerSettingsError,
  );
});
