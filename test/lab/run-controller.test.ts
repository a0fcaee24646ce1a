import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';
import { AFTER_WORKLOAD_MS, RunController } from '../../lab/src/run-controller.js';
import { decodeShare, encodeShare } from '../../lab/src/share-url.js';
import { systems } from '../../src/systems/index.js';
import type { RunConfig } from '../../lab/src/run-config.js';

const kvAsync: RunConfig = {
  system: 'kv-async',
  nodes: 5,
  seed: 3,
  nemesis: 'none',
  ops: 200,
  mutant: null,
  params: {},
};

test('a run advanced in small steps is the same run as one run straight through', () => {
  const system = getSystem('kv-single')!;
  const config: RunConfig = { ...kvAsync, system: 'kv-single', nodes: 3 };
  const lab = new RunController(config, system);
  let frames = 0;
  while (!lab.advance(lab.now + 7)) frames++;
  assert.ok(frames > 10, 'the run took several frames');
  const straight = runSimulation({ system, seed: 3, nodes: 3, workload: { ops: 200 } });
  assert.equal(lab.judgement!.result.traceDigest, straight.traceDigest);
  assert.equal(lab.judgement!.verdict, 'valid');
});

test('interactive faults are recorded and a shared link replays the run exactly', () => {
  const system = getSystem('kv-async')!;
  const lab = new RunController(kvAsync, system);
  lab.advance(40);
  lab.act({
    kind: 'partition',
    blocked: [
      ['n1', 'n2'],
      ['n2', 'n1'],
    ],
  });
  lab.act({ kind: 'crash', node: 'n3' });
  lab.advance(90);
  lab.act({ kind: 'clock', node: 'n4', offset: 250, drift: 0.01 });
  lab.act({ kind: 'restart', node: 'n3' });
  lab.act({ kind: 'heal' });
  lab.runToEnd();
  assert.deepEqual(
    lab.script.map((a) => [a.kind, a.at]),
    [
      ['partition', 40],
      ['crash', 40],
      ['clock', 90],
      ['restart', 90],
      ['heal', 90],
    ],
  );
  const shared = decodeShare(encodeShare({ config: kvAsync, script: lab.script }), systems())!;
  const replay = new RunController(shared.config, system, shared.script);
  replay.runToEnd();
  assert.equal(replay.judgement!.result.traceDigest, lab.judgement!.result.traceDigest);
  // The faults show in the diagram and in the node states.
  assert.equal(replay.diagram.partitions.length, 1);
  assert.equal(replay.diagram.partitions[0]!.label, 'cut links: n1↔n2');
  assert.deepEqual(
    replay.diagram.intervals.map((iv) => [
      iv.kind,
      replay.diagram.lanes[iv.lane],
      iv.start,
      iv.end,
    ]),
    [
      ['down', 'n3', 40, 90],
      ['clock', 'n4', 90, Infinity],
    ],
  );
  assert.equal(replay.snapshots.at('n3', 60)!.status, 'down');
  assert.equal(replay.snapshots.at('n3', 60)!.view, null);
  assert.equal(replay.snapshots.at('n3', 95)!.status, 'up');
  assert.equal(Math.round(replay.snapshots.at('n4', 95)!.clockOffset), 250);
});

test('a mutant is caught and judged with the checker evidence', () => {
  const system = getSystem('kv-single')!;
  const config: RunConfig = {
    system: 'kv-single',
    nodes: 3,
    seed: 1,
    nemesis: 'crash',
    ops: 1000,
    mutant: 'ack-before-sync',
    params: {},
  };
  const caught = [1, 2, 3, 4, 5, 6].some((seed) => {
    const lab = new RunController({ ...config, seed }, system);
    lab.runToEnd();
    if (lab.judgement!.verdict !== 'invalid') return false;
    const evidence = lab.judgement!.check!.evidence!;
    assert.ok(evidence.blocked.length > 0);
    // The live operations built from the trace are the history's, id for id.
    assert.deepEqual(
      lab.ops.bars.map((b) => [b.id, b.outcome]),
      lab.judgement!.result.history.map((op) => [op.id, op.outcome]),
    );
    return true;
  });
  assert.ok(caught, 'ack-before-sync under crash is caught within six seeds');
});

test('node state is sampled while the run executes', () => {
  const system = getSystem('kv-single')!;
  const lab = new RunController({ ...kvAsync, system: 'kv-single', nodes: 3 }, system);
  lab.advance(100);
  const roles = ['n1', 'n2', 'n3'].map((n) => lab.snapshots.at(n, 100)!.view!.role);
  assert.deepEqual(roles.filter((r) => r === 'owner').length, 1);
  const n1 = lab.snapshots.all('n1');
  assert.ok(n1.length > 1, 'state changes are kept over time');
  for (let i = 1; i < n1.length; i++) assert.ok(n1[i]!.t >= n1[i - 1]!.t);
  assert.equal(lab.snapshots.at('n1', -1), undefined);
});

test('a run goes on after its workload: faults still apply, and its link replays them', () => {
  const system = getSystem('kv-raft')!;
  const config: RunConfig = { ...kvAsync, system: 'kv-raft', nodes: 3, ops: 60 };
  const lab = new RunController(config, system);
  lab.runToEnd();
  assert.ok(lab.done && lab.atRest && !lab.goingOn && !lab.over);
  const ended = lab.now;
  const judgedAtEnd = lab.judgement!;
  // The run up to the workload's end is the CLI's run.
  assert.equal(
    judgedAtEnd.result.traceDigest,
    runSimulation({ system, seed: 3, nodes: 3, workload: { ops: 60 } }).traceDigest,
  );
  lab.act({ kind: 'crash', node: 'n1' });
  assert.ok(lab.goingOn && !lab.atRest, 'a fault after the end makes the run go on');
  assert.equal(lab.advance(ended + 400), false);
  assert.equal(lab.now, ended + 400);
  lab.act({ kind: 'restart', node: 'n1' });
  lab.advance(ended + 900);
  // The nodes kept talking with no clients: messages after the end, and no new operations.
  assert.ok(lab.trace.some((ev) => ev.e === 'send' && ev.t > ended + 400));
  assert.ok(!lab.trace.some((ev) => ev.e === 'invoke' && ev.t > ended));
  lab.end();
  assert.ok(lab.over && lab.atRest);
  assert.equal(lab.judgement!.verdict, 'valid');
  // virtualMs is rounded to the microsecond; `ended` is not.
  assert.ok(lab.judgement!.result.virtualMs >= ended + 900 - 0.001);
  assert.throws(() => lab.act({ kind: 'heal' }), /finished/);

  const replay = new RunController(config, system, lab.script);
  replay.advance(lab.now);
  assert.ok(replay.goingOn, 'a replay goes on past the workload to reach its faults');
  assert.equal(JSON.stringify(replay.trace), JSON.stringify(lab.trace));
});

test('going on stops at the horizon, and a run that has not ended cannot go on', () => {
  const system = getSystem('kv-single')!;
  const lab = new RunController({ ...kvAsync, system: 'kv-single', nodes: 3, ops: 20 }, system);
  assert.throws(() => lab.goOn(), /cannot go on/);
  lab.runToEnd();
  lab.goOn();
  const from = lab.now;
  assert.equal(lab.advance(Infinity), true);
  assert.equal(lab.now, from + AFTER_WORKLOAD_MS);
  assert.ok(lab.over);
});
