/**
 * Aimed faults (src/sim/aimed-triggers.ts): the node that did the armed event lands in a
 * minority with its clock stepped back, and both undo themselves at the heal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AimedSlot } from '../../src/sim/aimed-triggers.js';
import { FaultState } from '../../src/sim/faults.js';
import { Simulator } from '../../src/sim/simulator.js';
import { kvRaftSystem } from '../../src/systems/kv/kv-raft.js';

test('an aimed fault cuts the actor off in a minority and steps its clock back, until healed', () => {
  const sim = new Simulator({
    seed: 7,
    nodeIds: ['n1', 'n2', 'n3', 'n4', 'n5'],
    factory: kvRaftSystem.createNode({}),
    latency: { kind: 'constant', ms: 1 },
  });
  const faults = new FaultState(sim);
  const slot = new AimedSlot(sim, faults, {
    events: ['sync'],
    aimed: ['minority', 'clock-back'],
    delayMs: [0, 0],
    // A long gap: one fault, then nothing re-arms before the test ends.
    gapMs: [4000, 4000],
  });
  sim.observer = (a) => slot.observe(a);
  sim.start();
  slot.start();
  // An idle cluster does not sync: a write after the gap makes the syncs the slot waits for.
  sim.runUntil(4100);
  for (const n of sim.nodeIds)
    sim.request(n, 'c1', 1, { f: 'put', key: 'k', value: 'v' }, () => {});
  const stepped = (): string[] => sim.nodeIds.filter((n) => sim.clockState(n).offset < 0);
  while (stepped().length === 0 && sim.now < 6000) sim.runUntil(sim.now + 1);
  const [actor, ...more] = stepped();
  assert.ok(actor !== undefined && more.length === 0, 'the first sync fired on one node');
  const offset = sim.clockState(actor).offset;
  assert.ok(offset <= -500 && offset >= -5000, `clock stepped back 0.5–5 s, got ${offset}`);
  const others = sim.nodeIds.filter((n) => n !== actor);
  const reached = others.filter((n) => !faults.blocks(actor, n));
  assert.equal(reached.length, 1, 'it keeps one peer: two of five nodes, a minority');
  for (const n of others.filter((o) => !reached.includes(o))) {
    assert.ok(faults.blocks(n, actor) && faults.blocks(n, reached[0] as string), 'cut both ways');
  }
  sim.runUntil(sim.now + 3001);
  assert.ok(
    others.every((n) => !faults.blocks(actor, n)),
    'healed within 3 s',
  );
  assert.equal(sim.clockState(actor).offset, 0, 'the clock resynchronised at the heal');
  slot.finish();
});
