import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/protocols/pbft/ed25519.js';
import { runSimulation } from '../../src/sim/run.js';
import {
  CoverageRecorder,
  MAX_KEYS,
  OTHER,
  addRunCoverage,
  emptySweepCoverage,
  formatSweepCoverage,
  mergeSweepCoverage,
  type Coverage,
} from '../../src/sim/coverage.js';
import { getSystem } from '../../src/systems/index.js';
import type { SystemDefinition } from '../../src/core/system.js';

const system = (name: string): SystemDefinition => {
  const s = getSystem(name);
  assert.ok(s !== undefined, name);
  return s;
};
const raft = system('kv-raft');
const workload = { ops: 150 };

test('coverage observes only: the digest is the same with it as without it', () => {
  for (const seed of [1, 2]) {
    const off = runSimulation({ system: raft, seed, nemesis: 'all', workload });
    const on = runSimulation({ system: raft, seed, nemesis: 'all', workload, coverage: true });
    assert.equal(on.traceDigest, off.traceDigest);
    assert.equal(off.coverage, null);
    assert.ok(on.coverage !== null);
  }
});

test('every send, fault, log line and timer of the trace is counted', () => {
  for (const seed of [3, 4]) {
    const r = runSimulation({
      system: raft,
      seed,
      nemesis: 'all',
      workload,
      coverage: true,
      keepTrace: true,
    });
    const cov = r.coverage as Coverage;
    const trace = r.trace ?? [];
    const byType = new Map<string, number>();
    for (const ev of trace)
      if (ev.e === 'send') byType.set(ev.type, (byType.get(ev.type) ?? 0) + 1);
    const counted = new Map<string, number>();
    for (const [key, n] of Object.entries(cov.sends)) {
      const type = key.split(' ')[1] as string;
      counted.set(type, (counted.get(type) ?? 0) + n);
    }
    assert.deepEqual([...counted].sort(), [...byType].sort());
    const count = (e: string) => trace.filter((ev) => ev.e === e).length;
    assert.equal(cov.faults['crash'] ?? 0, count('crash'));
    assert.equal(cov.faults['restart'] ?? 0, count('restart'));
    const nemesis = Object.entries(cov.faults)
      .filter(([k]) => / (fault|heal)$/.test(k))
      .reduce((a, [, n]) => a + n, 0);
    assert.equal(nemesis, count('nemesis'));
    assert.ok(nemesis > 0);
    assert.equal(
      Object.values(cov.timers).reduce((a, b) => a + b, 0),
      count('timer'),
    );
    assert.equal(
      Object.values(cov.logs).reduce((a, b) => a + b, 0),
      count('log'),
    );
    for (const [name, m] of Object.entries(r.metrics)) assert.equal(cov.metrics[name], m.count);
  }
});

test('sends are counted under the role the node holds when it sends', () => {
  const sweep = emptySweepCoverage();
  for (const seed of [1, 2, 3]) {
    const r = runSimulation({ system: raft, seed, nemesis: 'crash', workload, coverage: true });
    addRunCoverage(sweep, r.coverage as Coverage);
  }
  const keys = Object.keys(sweep.sends);
  // Only a leader replicates; a role read once and kept would file its appends elsewhere.
  assert.ok(keys.includes('leader append') && keys.includes('leader heartbeat'), keys.join());
  assert.deepEqual(
    keys.filter((k) => / (append|heartbeat)$/.test(k) && !k.startsWith('leader ')),
    [],
  );
  assert.ok(keys.includes('follower append-resp'), keys.join());
  assert.ok(
    keys.includes('candidate vote') || keys.includes('pre-candidate pre-vote'),
    keys.join(),
  );

  // PBFT's view names its primary instead of a role.
  const pbft = runSimulation({
    system: system('pbft'),
    seed: 1,
    workload: { ops: 40 },
    coverage: true,
  });
  const pkeys = Object.keys((pbft.coverage as Coverage).sends);
  assert.ok(
    pkeys.some((k) => k.startsWith('primary ')),
    pkeys.join(),
  );
  assert.ok(
    pkeys.some((k) => k.startsWith('backup ')),
    pkeys.join(),
  );
  // Its messages are all `pbft` envelopes: what they carry shows in the measurements.
  assert.ok(((pbft.coverage as Coverage).metrics['pbft.executed'] ?? 0) > 0);
});

test('sweep coverage adds counts and runs, and merges shards to the whole', () => {
  const a: Coverage = {
    sends: { 'leader append': 3 },
    faults: { crash: 1 },
    logs: {},
    timers: { election: 2 },
    metrics: {},
  };
  const b: Coverage = {
    sends: { 'leader append': 1, 'follower vote': 2 },
    faults: {},
    logs: { x: 1 },
    timers: {},
    metrics: {},
  };
  const c: Coverage = {
    sends: {},
    faults: { crash: 2 },
    logs: {},
    timers: {},
    metrics: { 'pbft.view-changes': 1 },
  };
  const whole = emptySweepCoverage();
  for (const run of [a, b, c]) addRunCoverage(whole, run);
  const s1 = emptySweepCoverage();
  addRunCoverage(s1, a);
  const s2 = emptySweepCoverage();
  addRunCoverage(s2, b);
  addRunCoverage(s2, c);
  const merged = mergeSweepCoverage(s1, s2);
  assert.deepEqual(merged, mergeSweepCoverage(whole, emptySweepCoverage()));
  assert.deepEqual(merged.sends, {
    'follower vote': { count: 2, runs: 1 },
    'leader append': { count: 4, runs: 2 },
  });
  assert.deepEqual(merged.faults, { crash: { count: 3, runs: 2 } });
  assert.deepEqual(merged.metrics, { 'pbft.view-changes': { count: 1, runs: 1 } });
  assert.match(
    formatSweepCoverage(merged, 3),
    /^coverage: 2 \(role, message\) pairs, 1 fault actions, 1 log events, 1 timers, 1 measurements\n {2}sent: follower vote ×2 \(1\/3 runs\), leader append ×4 \(2\/3 runs\)/,
  );
});

test('distinct keys are capped per kind; the rest count together', () => {
  const rec = new CoverageRecorder(() => 0);
  for (let i = 0; i < MAX_KEYS + 50; i++) {
    rec.event({ t: 0, e: 'log', node: 'n1', msg: `line ${i}`, fields: null });
    rec.event({ t: 0, e: 'log', node: 'n1', msg: 'line 0', fields: null });
  }
  const logs = rec.result(new Map()).logs;
  // The first MAX_KEYS distinct lines keep their own keys; the 50 after them share OTHER.
  assert.equal(Object.keys(logs).length, MAX_KEYS + 1);
  assert.equal(logs['line 0'], MAX_KEYS + 51);
  assert.equal(logs[OTHER], 50);
});
