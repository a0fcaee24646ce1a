/**
 * The replay probe (src/sim/replay-probe.ts): a node rebooted right after a send gets again,
 * later, what it received just before. Alone, on three nodes, it catches Paxos Commit's two
 * forgotten-vote mutants, which the same runs without it do not; the correct system stays valid
 * under it; and swarm seeds draw it only from their own stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent } from '../../src/sim/trace.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { RECENT_MS } from '../../src/sim/replay-probe.js';
import { drawSwarm } from '../../src/sim/swarm.js';
import {
  checkTriggerSettings,
  TriggerSettingsError,
  type TriggerSettings,
} from '../../src/sim/triggers.js';
import { getSystem } from '../../src/systems/index.js';

const paxosCommit = getSystem('paxos-commit')!;

/** The replay slot alone: no plain trigger slot, no probe, no nemesis. */
const REPLAY: TriggerSettings = {
  events: ['send'],
  actions: ['crash'],
  heals: ['timed'],
  chance: 1,
  delayMs: [0, 0],
  holdMs: [5, 10],
  gapMs: [0, 100],
  slots: 0,
  replay: { delayMs: [50, 150] },
};

const run = (triggers: TriggerSettings | undefined, mutant?: string, keepTrace = false) =>
  runChecked({
    system: paxosCommit,
    seed: 5,
    nodes: 3,
    ...(mutant !== undefined ? { mutant } : {}),
    ...(triggers !== undefined ? { triggers } : {}),
    workload: { ops: 300, clients: 4 },
    keepTrace,
  });

test('the replay probe catches both forgotten-vote mutants of paxos-commit; without it they pass', () => {
  for (const mutant of ['forget-abort-vote', 'forget-released-vote']) {
    const caught = run(REPLAY, mutant);
    assert.equal(caught.verdict, 'invalid', mutant);
    assert.match(caught.failure?.message ?? '', /one value per ballot: .* in ballot 0/, mutant);
    // The rule under test removed (no replay): the same seed, the same workload, no catch.
    assert.equal(run(undefined, mutant).verdict, 'valid', `${mutant} without the replay`);
  }
  assert.equal(run(REPLAY).verdict, 'valid', 'the correct RMs survive the same replays');
});

test('a replayed message reaches the restarted node after the restart, from its first sender', () => {
  const r = run(REPLAY, undefined, true);
  const trace = r.trace as readonly TraceEvent[];
  const fault = trace.findIndex(
    (e) => e.e === 'nemesis' && e.plan === 'replay' && e.phase === 'fault',
  );
  assert.ok(fault >= 0, 'the replay fired');
  const note = trace[fault] as Extract<TraceEvent, { e: 'nemesis' }>;
  const node = /^reboot (n\d+) /.exec(note.detail)?.[1];
  assert.ok(node !== undefined, note.detail);
  const restart = trace.findIndex((e, i) => i > fault && e.e === 'restart' && e.node === node);
  assert.ok(restart > fault, `${node} restarted`);
  // The copies: duplicates to the node, sent after its restart, of messages it got before.
  const copies = trace.filter(
    (e, i): e is Extract<TraceEvent, { e: 'duplicate' }> =>
      i > restart && e.e === 'duplicate' && e.to === node && e.t > note.t,
  );
  assert.ok(copies.length > 0, 'some message came again');
  const first = copies[0]!;
  const original = trace.find(
    (e): e is Extract<TraceEvent, { e: 'deliver' }> =>
      e.e === 'deliver' && e.id === first.id && e.to === node,
  );
  assert.ok(original !== undefined, 'the copy is of a message delivered before');
  assert.equal(original.from, first.from);
  assert.ok(original.t <= note.t && original.t >= note.t - RECENT_MS);
});

test('swarm seeds draw the replay from their own stream, never in the witness regime', () => {
  let drawn = 0;
  for (let seed = 1; seed <= 90; seed++) {
    const t = drawSwarm(paxosCommit, seed).triggers;
    if (t?.replay === undefined) continue;
    drawn++;
    checkTriggerSettings(t);
    assert.equal(t.witness, undefined);
    assert.ok(t.replay.delayMs[0] >= 1 && t.replay.delayMs[1] <= 900);
  }
  assert.ok(drawn > 5 && drawn < 40, `${drawn} of 90 seeds drew a replay`);
  assert.throws(
    () => checkTriggerSettings({ ...REPLAY, replay: { delayMs: [10, 5] } }),
    TriggerSettingsError,
  );
});
