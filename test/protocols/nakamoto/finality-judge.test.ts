/**
 * The nakamoto judge holds k-confirmation finality only where Bitcoin promises it: on a network
 * that was connected while the reorg's branches raced (bounded-delay.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeepReversal } from '../../../src/protocols/nakamoto/miner-node.js';
import { FaultWindowLog } from '../../../src/sim/fault-windows.js';
import { judgeSession } from '../../../src/sim/checked-run.js';
import { Session } from '../../../src/sim/run.js';
import { splitReversals } from '../../../src/systems/chain/bounded-delay.js';
import { judgeChain, nakamotoSystem } from '../../../src/systems/chain/nakamoto.js';

const rev = (since: number, at: number): DeepReversal => ({
  at,
  since,
  depth: 6,
  payments: 1,
  example: 'tx',
});

test('fault windows open on the first fault and close when none is left', () => {
  const log = new FaultWindowLog();
  log.note(false, 0);
  log.note(true, 100);
  log.note(true, 150);
  log.note(false, 300);
  log.note(true, 900);
  assert.deepEqual(log.windows(), [
    [100, 300],
    [900, Infinity],
  ]);
});

test('a reversal is judged only when its race overlapped no fault window nor its settling', () => {
  const context = { faultWindows: [[1000, 2000]] as const, clockFaults: false };
  const settle = 500;
  const inside = rev(1500, 2100);
  const settling = rev(2400, 2600);
  const clean = rev(2600, 4000);
  const before = rev(100, 900);
  const s = splitReversals([inside, settling, clean, before], context, settle);
  assert.deepEqual(s.violations, [clean, before]);
  assert.deepEqual(s.observed, [inside, settling]);
  // A faulted clock makes the nodes' timestamps unplaceable: nothing is judged.
  const c = splitReversals([clean], { ...context, clockFaults: true }, settle);
  assert.deepEqual(c, { violations: [], observed: [clean] });
  // Without a context (no fault bookkeeping), the network counts as connected.
  assert.deepEqual(splitReversals([inside], undefined, settle).violations, [inside]);
});

test('a double-spender with 45% reverses 6-confirmed payments on a connected network: invalid', () => {
  const session = new Session({
    system: nakamotoSystem,
    seed: 2,
    params: { attacker: 'double-spend', q: '0.45', z: '6' },
    workload: { durationMs: 20_000 },
  });
  session.runToEnd();
  const judged = judgeSession(session);
  assert.equal(judged.verdict, 'invalid');
  assert.match(judged.judgement?.message ?? '', /confirmations reversed on a connected network/);
  // The same chains, had a fault been on all along, are outside the assumption: observed only.
  const nodes = session.sim.liveNodes();
  const faulted = judgeChain(nodes, 6, { faultWindows: [[0, Infinity]], clockFaults: false });
  assert.equal(faulted.verdict, 'valid', faulted.message);
  assert.match(faulted.message, /outside the bounded-delay assumption/);
});
