import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, getModel } from '../../src/check/index.js';
import { runSimulation } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';
import {
  barsFromHistory,
  describeBar,
  highlights,
  processesOf,
  TraceOps,
} from '../../lab/src/ops-model.js';
import { latencySeries, leaderChangeSeries, throughputSeries } from '../../lab/src/chart-data.js';

const run = runSimulation({
  system: getSystem('kv-async')!,
  seed: 3,
  nemesis: 'partition-halves',
  keepTrace: true,
  workload: { ops: 300 },
});

test('operations rebuilt from the trace are the history, op for op', () => {
  const ops = new TraceOps();
  ops.addAll(run.trace!);
  const fromHistory = barsFromHistory(run.history);
  assert.equal(ops.bars.length, run.history.length);
  for (const bar of ops.bars) {
    const h = run.history[bar.id]!;
    assert.equal(bar.f, h.f);
    assert.equal(bar.key, h.key);
    assert.equal(bar.outcome, h.outcome);
    // The history rounds times to microseconds; the trace keeps them exact.
    assert.ok(Math.abs(bar.complete - h.complete) < 0.001);
  }
  assert.deepEqual(processesOf(fromHistory), [0, 1, 2, 3, 4]);
});

test('an operation is pending until its client sees the outcome', () => {
  const ops = new TraceOps();
  ops.add({ t: 1, e: 'invoke', process: 2, node: 'n1', op: { f: 'put', key: 'k1', value: 'a' } });
  assert.equal(ops.bars[0]!.outcome, 'pending');
  assert.equal(describeBar(ops.bars[0]!), 'put k1 "a" …');
  ops.add({ t: 3, e: 'complete', process: 2, node: 'n1', outcome: 'ok', result: null });
  assert.equal(describeBar(ops.bars[0]!), 'put k1 "a" → null');
  assert.equal(ops.bars[0]!.complete, 3);
});

test("the checker's evidence marks the impossible operations", () => {
  const check = checkHistory(run.history, getModel('kv')!);
  assert.equal(check.verdict, 'invalid', 'kv-async is caught under partition-halves');
  const evidence = check.evidence!;
  const marks = highlights(evidence);
  for (const b of evidence.blocked) assert.equal(marks.get(b.op.id), 'blocked');
  if (
    evidence.deadline !== null &&
    !evidence.blocked.some((b) => b.op.id === evidence.deadline!.op.id)
  )
    assert.equal(marks.get(evidence.deadline.op.id), 'deadline');
  for (const id of evidence.opIds) assert.ok(marks.has(id));
  assert.equal(highlights(undefined).size, 0);
});

test('chart series: latency per completion, throughput per bucket, leader changes as steps', () => {
  const bars = barsFromHistory(run.history);
  const [xs, ys] = latencySeries(bars);
  assert.equal(xs.length, run.ops.ok);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i]! >= xs[i - 1]!);
  assert.ok(ys.every((y) => y >= 0));
  const [bx, ok, notOk] = throughputSeries(bars, run.virtualMs, 20);
  const width = bx[1]! - bx[0]!;
  const total = [...ok, ...notOk].reduce((a, b) => a + b, 0) * (width / 1000);
  assert.ok(
    Math.abs(total - run.history.length) < 1e-6,
    'every completed operation is counted once',
  );
  assert.deepEqual(
    leaderChangeSeries(
      [
        { node: 'n1', start: 10, end: 50, term: 1 },
        { node: 'n2', start: 70, end: Infinity, term: 2 },
      ],
      100,
    ),
    [
      [0, 10, 70, 100],
      [0, 1, 2, 2],
    ],
  );
  assert.deepEqual(leaderChangeSeries([], 50), [
    [0, 50],
    [0, 0],
  ]);
});
