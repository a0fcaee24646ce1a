/**
 * The nakamoto judge holds k-confirmation finality only where Bitcoin promises it: on a network
 * that was connected while the reorg's branches raced (bounded-delay.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeepReversal, MinerNode } from '../../../src/protocols/nakamoto/miner-node.js';
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

test('a branch the partition hid, fetched after the heal, dates its race from when it was mined', () => {
  // `sim nakamoto --swarm --seed 689` in small: three miners (shares 0.1, 0.3, 0.6) cut off from
  // each other for 30 s each mine a branch of their own. After the heal n1 fetches the other two
  // one parent per 40 ms round trip: n2's branch (~40 blocks) connects about 2.3 s after the heal
  // — past the 1.5 s settling allowance — and n3's heavier one a second later undoes it, six and
  // more confirmations deep. Dated by when n1 connected the undone blocks, that race ran on a
  // connected network and the run was invalid; both branches were mined behind the partition.
  const [heal, settle] = [31_000, 6 * 250];
  const ids = ['n1', 'n2', 'n3'];
  const cut = ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => [a, b] as const));
  const session = new Session({
    system: nakamotoSystem,
    seed: 1,
    nodes: 3,
    latency: { kind: 'constant', ms: 20 },
    params: { shares: '1,3,6' },
    workload: { durationMs: heal + 10_000 },
    script: [
      { kind: 'partition', blocked: cut, at: 1000 },
      { kind: 'heal', at: heal },
    ],
  });
  session.runToEnd();
  const n1 = session.sim.node('n1') as MinerNode;
  const late = n1.deepReversals.filter((r) => r.at > heal + settle);
  assert.ok(late.length > 0, 'n1 undid a finality-deep branch well after the heal');
  for (const r of late) assert.ok(r.since <= heal, `race dated ${r.since}, after the heal`);
  const judged = judgeSession(session);
  assert.equal(judged.verdict, 'valid', judged.judgement?.message);
  assert.match(judged.judgement?.message ?? '', /outside the bounded-delay assumption/);
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
  // A fault long before its races leaves them judged: they are dated by when they were mined.
  const early = judgeChain(nodes, 6, { faultWindows: [[0, 100]], clockFaults: false });
  assert.equal(early.verdict, 'invalid', early.message);
});
