/** The `nakamoto` system in the simulator: forks, reorgs, confirmations, and the judge. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeSession, runChecked } from '../../../src/sim/checked-run.js';
import type { Block } from '../../../src/protocols/nakamoto/block.js';
import { Session } from '../../../src/sim/run.js';
import { fromDisplayHex } from '../../../src/protocols/nakamoto/bytes.js';
import { hashMeetsBits } from '../../../src/protocols/nakamoto/header.js';
import type { MinerNode } from '../../../src/protocols/nakamoto/miner-node.js';
import type { chainReport } from '../../../src/systems/chain/nakamoto.js';
import { nakamotoSystem, REAL_POW_BITS } from '../../../src/systems/chain/nakamoto.js';

type Report = ReturnType<typeof chainReport>;
const report = (run: ReturnType<typeof runChecked>) => run.judgement?.details as unknown as Report;

test('without faults the miners agree on one chain, and the same seed replays exactly', () => {
  const a = runChecked({ system: nakamotoSystem, seed: 11, workload: { durationMs: 30_000 } });
  const b = runChecked({ system: nakamotoSystem, seed: 11, workload: { durationMs: 30_000 } });
  assert.equal(a.verdict, 'valid', a.judgement?.message);
  assert.equal(a.traceDigest, b.traceDigest);
  const r = report(a);
  // 30 s at one block per 250 ms: about 120 blocks.
  assert.ok(r.height > 80 && r.height < 160, `height ${r.height}`);
  assert.equal(r.commonHeight, r.minHeight);
  assert.ok(r.staleRate < 0.05);
  const k1 = r.rows.find((x) => x.k === 1);
  assert.ok(k1 !== undefined && k1.reached > 1000, 'payments were confirmed');
  const c = runChecked({ system: nakamotoSystem, seed: 12, workload: { durationMs: 30_000 } });
  assert.notEqual(c.traceDigest, a.traceDigest);
});

test('partitions fork the chain; the heal reorgs the lighter side and undoes confirmations', () => {
  // Seed 6: a partition long enough for the two sides to bury payments six deep (not every
  // seed's partitions are; 4 of seeds 1–12 are since a node tells a peer on a lighter branch its
  // tip, which ends some forks sooner).
  const run = runChecked({
    system: nakamotoSystem,
    seed: 6,
    nemesis: 'partition-halves',
    workload: { durationMs: 60_000 },
  });
  const r = report(run);
  assert.ok(r.maxReorgDepth >= 2, `deepest reorg ${r.maxReorgDepth}`);
  assert.ok(r.staleRate > 0.05, `stale ${r.staleRate}`);
  const [k1, k2] = [r.rows[0], r.rows[1]] as [Report['rows'][0], Report['rows'][0]];
  assert.ok(k1.reversed > 0 && k1.rate >= k2.rate, 'shallower confirmations are reversed more');
  // A reversal at the finality depth after a partition is outside Bitcoin's assumption of a
  // connected network: reported, not judged (bounded-delay.ts).
  const k6 = r.rows.find((x) => x.k === 6) as Report['rows'][0];
  assert.ok(k6.reversed > 0, 'the partitions undid 6-confirmed payments');
  assert.equal(r.finality.violations, 0);
  assert.ok(r.finality.observed > 0);
  assert.equal(run.verdict, 'valid', run.judgement?.message);
  assert.match(run.judgement?.message ?? '', /outside the bounded-delay assumption/);
  assert.equal(r.commonHeight, r.minHeight, 'after the final heal everyone converges');
});

test('the never-reorg mutant is caught: the nodes never converge after a partition', () => {
  const run = runChecked({
    system: nakamotoSystem,
    seed: 1,
    mutant: 'never-reorg',
    nemesis: 'partition-halves',
    workload: { durationMs: 30_000 },
  });
  assert.equal(run.verdict, 'invalid');
  assert.match(run.judgement?.message ?? '', /disagree/);
});

test('--real-pow: every block really meets its (tiny) target and the chain still grows', () => {
  const session = new Session({
    system: nakamotoSystem,
    seed: 5,
    params: { 'real-pow': 'true' },
    workload: { durationMs: 10_000 },
  });
  session.runToEnd();
  const node = session.sim.node('n1') as MinerNode;
  assert.ok(node.chain.height > 20, `height ${node.chain.height}`);
  for (const h of node.chain.mainHashes().slice(1)) {
    const b = node.chain.block(h);
    assert.equal(b?.header.bits, REAL_POW_BITS);
    assert.ok(hashMeetsBits(fromDisplayHex(h), REAL_POW_BITS), h);
  }
});

test('crashed miners recover their chain from storage and catch up', () => {
  const run = runChecked({
    system: nakamotoSystem,
    seed: 2,
    nemesis: 'crash',
    workload: { durationMs: 30_000 },
  });
  assert.equal(run.failure, null);
  const r = report(run);
  assert.ok(r.commonHeight >= r.minHeight - 3);
});

test('retargeting: bits change only at period boundaries, and follow the rule', () => {
  const session = new Session({
    system: nakamotoSystem,
    seed: 3,
    params: { 'retarget-blocks': '16' },
    nodes: 4,
    workload: { durationMs: 30_000 },
  });
  session.runToEnd();
  const node = session.sim.node('n1') as MinerNode;
  const main = node.chain.mainHashes().map((h) => node.chain.block(h) as Block);
  assert.ok(main.length > 64, `height ${main.length - 1}`);
  const changes = main.filter((b, i) => i > 1 && b.header.bits !== main[i - 1]?.header.bits);
  assert.ok(changes.length > 0, 'the difficulty moved');
  for (const b of changes) assert.equal(b.height % 16, 0, `bits changed at height ${b.height}`);
  const r = judgeSession(session).judgement?.details as unknown as Report;
  assert.deepEqual(r.consensusDefects, []);
  const again = new Session({ ...session.options });
  again.runToEnd();
  assert.equal(again.result().traceDigest, session.result().traceDigest, 'same seed, same run');
});

test('a low-difficulty cheat is ignored; the skip-difficulty-check mutant is caught', () => {
  const params = { attacker: 'low-difficulty' };
  const ok = runChecked({
    system: nakamotoSystem,
    seed: 4,
    params,
    workload: { durationMs: 20_000 },
  });
  assert.equal(ok.verdict, 'valid', ok.judgement?.message);
  assert.deepEqual(report(ok).consensusDefects, []);
  const bad = runChecked({
    system: nakamotoSystem,
    seed: 4,
    params,
    mutant: 'skip-difficulty-check',
    workload: { durationMs: 20_000 },
  });
  assert.equal(bad.verdict, 'invalid');
  assert.match(
    report(bad).consensusDefects[0] ?? '',
    /has bits 0x1d03fffc, its chain requires 0x1d00ffff/,
  );
});

test('a longer but lighter branch is ignored; the most-blocks mutant follows it and is caught', () => {
  // The last node stretches its private branch's timestamps so every retarget eases it, and
  // publishes once it has more blocks than the public chain (with far less work).
  const params = { attacker: 'long-light', q: '0.25', 'retarget-blocks': '4' };
  const run = (mutant?: string) => {
    const session = new Session({
      system: nakamotoSystem,
      seed: 2,
      params,
      workload: { durationMs: 15_000 },
      ...(mutant !== undefined ? { mutant } : {}),
    });
    session.runToEnd();
    const n1 = session.sim.node('n1') as MinerNode;
    return { n1, judged: judgeSession(session) };
  };
  const ok = run();
  assert.equal(ok.judged.verdict, 'valid', ok.judged.judgement?.message);
  const held = ok.n1.chain.size - 1 - ok.n1.chain.height;
  assert.ok(held >= 5, `n1 holds the light branch off its best chain (${held} blocks)`);
  assert.notEqual(ok.n1.chain.atHeight(1)?.miner, 'n5');
  const bad = run('most-blocks');
  assert.equal(bad.judged.verdict, 'invalid');
  assert.match(bad.judged.judgement?.message ?? '', /to a branch with less work than its tip/);
  assert.equal(bad.n1.chain.atHeight(1)?.miner, 'n5', 'the mutant switched to the light branch');
});
