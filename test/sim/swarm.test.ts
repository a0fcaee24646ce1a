/**
 * Swarm testing and event-triggered faults: a swarm seed draws its own mix and replays it byte
 * for byte, the CLI prints the mix and a replay command that reproduces the seed, and a
 * trigger fires on the activity it names and catches a mutant the same run without it misses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import { runSimulation } from '../../src/sim/run.js';
import { drawSwarm, swarmNodeRange } from '../../src/sim/swarm.js';
import {
  checkTriggerSettings,
  TriggerSettingsError,
  type TriggerSettings,
} from '../../src/sim/triggers.js';
import { getSystem } from '../../src/systems/index.js';
import { cli } from '../cli/run-cli.js';

const kvRaft = getSystem('kv-raft')!;

test('a swarm seed replays byte for byte, mix included', () => {
  for (const seed of [3, 11]) {
    const a = runSimulation({
      system: kvRaft,
      seed,
      swarm: true,
      keepTrace: true,
      workload: { ops: 200 },
    });
    const b = runSimulation({
      system: kvRaft,
      seed,
      swarm: true,
      keepTrace: true,
      workload: { ops: 200 },
    });
    assert.ok(a.swarm !== undefined);
    assert.deepEqual(a.swarm, b.swarm);
    assert.equal(a.traceDigest, b.traceDigest);
    assert.equal(JSON.stringify(a.trace), JSON.stringify(b.trace));
    assert.equal(JSON.stringify(a.history), JSON.stringify(b.history));
    assert.equal(a.nodes, a.swarm.nodes);
    assert.ok(a.nemesis === a.swarm.nemesis || a.nemesis === 'all', 'the drawn plans ran');
  }
});

test('seeds draw different mixes across the whole range', () => {
  const mixes = Array.from({ length: 200 }, (_, i) => drawSwarm(kvRaft, i + 1));
  const [lo, hi] = swarmNodeRange(kvRaft);
  assert.deepEqual(
    [...new Set(mixes.map((m) => m.nodes))].sort((a, b) => a - b),
    Array.from({ length: hi - lo + 1 }, (_, i) => lo + i),
  );
  assert.ok(
    mixes.some((m) => m.nemesis === 'none'),
    'some seeds run with triggers alone',
  );
  assert.ok(
    mixes.some((m) => m.triggers === null),
    'some with no triggers',
  );
  assert.ok(new Set(mixes.map((m) => m.nemesis)).size > 150, 'plan subsets vary');
  assert.ok(mixes.some((m) => m.noise.loss > 0) && mixes.some((m) => m.noise.loss === 0));
  assert.equal(drawSwarm(kvRaft, 5, 4).nodes, 4, '--nodes fixes the cluster');
  assert.deepEqual({ ...drawSwarm(kvRaft, 5, 4), nodes: 0 }, { ...drawSwarm(kvRaft, 5), nodes: 0 });
});

test('without --swarm the run is what it was: no mix in the result', () => {
  const r = runSimulation({ system: kvRaft, seed: 1, nemesis: 'all', workload: { ops: 100 } });
  assert.equal(r.swarm, undefined);
});

test('cli: --swarm prints the mix; the failing seed line replays it exactly', async () => {
  const args = ['sim', 'kv-single', '--mutant', 'ack-before-sync', '--swarm', '--ops', '200'];
  const sweep = await cli(...args, '--seeds', '3');
  assert.equal(sweep.code, 1, sweep.out + sweep.err);
  assert.match(sweep.out, /\n {4}swarm: nodes=\d+ nemesis=\S+ .*triggers=/);
  const replay = /replay: truthkit (.*)/.exec(sweep.out)?.[1];
  assert.ok(replay !== undefined && replay.includes('--swarm') && !replay.includes('--nodes'));
  const seed = /--seed (\d+)/.exec(replay)?.[1] as string;
  const strip = (line: string) => line.replace(/"wallMs":[\d.]+/g, '');
  const one = await cli(...args, '--seed', seed, '--json');
  const again = await cli(...args, '--seed', seed, '--json');
  assert.equal(strip(one.out), strip(again.out));
  const fromSweep = sweep.out.split('\n').find((l) => l.startsWith(`seed ${seed}: INVALID`));
  const digest = /digest=(\w+)/.exec(fromSweep ?? '')?.[1];
  assert.equal(JSON.parse(one.out).traceDigest, digest, 'the replay is the sweep seed');
  assert.ok(JSON.parse(one.out).swarm.triggers !== undefined);
});

const crashAfterVoteResp: TriggerSettings = {
  events: ['send'],
  actions: ['crash'],
  heals: ['at-once'],
  chance: 1,
  delayMs: [0, 0],
  holdMs: [5, 10],
  gapMs: [0, 5],
  slots: 1,
};

test('a trigger crashes the node right after the activity it waits for', () => {
  const r = runSimulation({
    system: kvRaft,
    seed: 3,
    nodes: 3,
    triggers: crashAfterVoteResp,
    keepTrace: true,
    workload: { ops: 100 },
  });
  const trace = r.trace ?? [];
  const fired = trace.filter(
    (e) => e.e === 'nemesis' && e.plan === 'trigger' && e.phase === 'fault',
  );
  assert.ok(fired.length > 3, 'it fires again and again');
  for (const f of fired) {
    if (f.e !== 'nemesis') continue;
    // Armed before any message was seen, the first trigger waits for a sync instead.
    const m = /^crash (n\d) after (send ([\w-]+)|sync); healed at once$/.exec(f.detail);
    assert.ok(m !== null, f.detail);
    const [, node, , type] = m;
    const i = trace.indexOf(f);
    // The crash is at the instant of the activity, which is the node's last event before it.
    const crash = trace[i - 1];
    assert.ok(crash?.e === 'crash' && crash.node === node && crash.t === f.t);
    // A completed sync may itself send (the reply it held back), so look for the kind awaited.
    const before = trace
      .slice(0, i - 1)
      .reverse()
      .find((e) =>
        type !== undefined ? e.e === 'send' && e.from === node : e.e === 'sync' && e.node === node,
      );
    assert.ok(before !== undefined && before.t === f.t);
    if (type !== undefined) assert.ok(before.e === 'send' && before.type === type);
    assert.ok(trace[i + 1]?.e === 'restart', 'restarted at once');
  }
});

test('triggers catch a mutant the same seeds miss without them (paxos forget-promise)', () => {
  const paxos = getSystem('paxos')!;
  const run = (seed: number, triggers?: TriggerSettings) =>
    runChecked({
      system: paxos,
      seed,
      mutant: 'forget-promise',
      ...(triggers !== undefined ? { triggers } : {}),
      workload: { ops: 300 },
    }).verdict;
  const promise = { ...crashAfterVoteResp, chance: 0.3, holdMs: [5, 10], gapMs: [0, 50] } as const;
  assert.equal(run(40, promise), 'invalid');
  assert.equal(run(40), 'valid');
  assert.equal(
    runChecked({ system: paxos, seed: 40, triggers: promise, workload: { ops: 300 } }).verdict,
    'valid',
    'the correct acceptor survives the same crashes',
  );
});

test('the sole-witness probe catches vote-not-durable: a forgotten vote elects a second leader', () => {
  // The probe slot alone (no plain trigger), under the clock-driven partition-one plan that keeps
  // elections coming. Seeds 16 and 22 catch it (the first two of 1–40 since the simulated disk
  // counts a sync in flight as not yet durable); neither does without the probe.
  const probe: TriggerSettings = {
    ...crashAfterVoteResp,
    heals: ['after-log'],
    holdMs: [100, 400],
    gapMs: [0, 100],
    slots: 0,
    probes: ['sole-witness'],
  };
  const run = (seed: number, mutant?: string, triggers?: TriggerSettings) =>
    runChecked({
      system: kvRaft,
      seed,
      nodes: 3,
      nemesis: 'partition-one',
      ...(mutant !== undefined ? { mutant } : {}),
      ...(triggers !== undefined ? { triggers } : {}),
      workload: { ops: 300 },
    });
  for (const seed of [16, 22]) {
    const caught = run(seed, 'vote-not-durable', probe);
    assert.equal(caught.verdict, 'invalid', `seed ${seed}`);
    assert.match(caught.failure?.message ?? '', /election safety: .* both leaders in term/);
    assert.equal(run(seed, 'vote-not-durable').verdict, 'valid', `seed ${seed} without the probe`);
    assert.equal(run(seed, undefined, probe).verdict, 'valid', `seed ${seed}: correct Raft`);
  }
});

test('trigger settings are checked', () => {
  const bad: Partial<TriggerSettings>[] = [
    { events: [] },
    { chance: 0 },
    { chance: 1.5 },
    { delayMs: [2, 1] },
    { holdMs: [-1, 1] },
    { slots: 0 },
    { slots: 5 },
    { slots: 0, probes: [] },
    { probes: ['split', 'nonsense' as 'split'] },
  ];
  for (const b of bad) {
    assert.throws(
      () => checkTriggerSettings({ ...crashAfterVoteResp, ...b }),
      TriggerSettingsError,
    );
  }
  checkTriggerSettings(crashAfterVoteResp);
  checkTriggerSettings({ ...crashAfterVoteResp, slots: 0, probes: ['split', 'sole-witness'] });
});
