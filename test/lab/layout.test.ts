import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagramModel, nodesOf, partitionGroups } from '../../lab/src/lamport/layout.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { runSimulation } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';

const send = (t: number, from: string, to: string, id: number): TraceEvent => ({
  t,
  e: 'send',
  from,
  to,
  id,
  type: 'ping',
  msg: { type: 'ping' },
});

test('messages pair their send with their delivery or drop, duplicates included', () => {
  const m = DiagramModel.fromTrace([
    send(1, 'n1', 'n2', 1),
    send(2, 'n2', 'n3', 2),
    { t: 2, e: 'drop', from: 'n2', to: 'n3', id: 2, type: 'ping', why: 'partition' },
    { t: 2, e: 'duplicate', from: 'n1', to: 'n2', id: 1, type: 'ping' },
    { t: 3, e: 'deliver', from: 'n1', to: 'n2', id: 1, type: 'ping' },
    { t: 4, e: 'deliver', from: 'n1', to: 'n2', id: 1, type: 'ping' },
    send(5, 'n3', 'n1', 3),
  ]);
  assert.deepEqual(m.lanes, ['n1', 'n2', 'n3']);
  assert.deepEqual(
    m.messages.map((x) => [x.id, x.sent, x.end, x.fate, x.duplicate]),
    [
      [1, 1, 3, 'delivered', false],
      [2, 2, 2, 'partition', false],
      [1, 2, 4, 'delivered', true],
      [3, 5, Infinity, 'in-flight', false],
    ],
  );
  // A window sees a message that crosses it even though it was sent before it starts.
  assert.deepEqual(
    m.visibleMessages(3.5, 4.5).map((x) => [x.id, x.duplicate]),
    [[1, true]],
  );
  assert.deepEqual(
    m.visibleMessages(5, 6).map((x) => x.id),
    [3],
  );
});

test('process and clock faults become lane intervals and marks', () => {
  const m = DiagramModel.fromTrace([
    { t: 10, e: 'crash', node: 'n2', lostWrites: 2, tornWrite: false },
    { t: 12, e: 'pause', node: 'n1' },
    { t: 15, e: 'clock', node: 'n3', offset: 250, drift: 0.02 },
    { t: 20, e: 'restart', node: 'n2' },
    { t: 22, e: 'resume', node: 'n1' },
    { t: 30, e: 'clock', node: 'n3', offset: 0, drift: 0 },
    { t: 31, e: 'timer', node: 'n1', name: 'tick' },
  ]);
  assert.deepEqual(
    m.intervals.map((iv) => [m.lanes[iv.lane], iv.kind, iv.start, iv.end, iv.label]),
    [
      ['n2', 'down', 10, 20, 'down'],
      ['n1', 'paused', 12, 22, 'paused'],
      ['n3', 'clock', 15, 30, '+250 ms, +2.0 % drift'],
    ],
  );
  assert.deepEqual(
    m.faultMarks.map((k) => [k.kind, k.t]),
    [
      ['crash', 10],
      ['pause', 12],
      ['clock', 15],
      ['restart', 20],
      ['resume', 22],
      ['clock', 30],
    ],
  );
  assert.equal(m.faultMarks[0]!.label, 'lost 2 writes');
  assert.deepEqual(
    m.visibleMarks(20, 31).map((k) => k.kind),
    ['restart', 'resume', 'clock', 'timer'],
  );
  assert.deepEqual(
    m.visibleIntervals(21, 25).map((iv) => iv.kind),
    ['paused', 'clock'],
  );
});

test('partitions are spans with the groups that can still talk', () => {
  const halves: [string, string][] = [];
  for (const a of ['n1', 'n2']) for (const b of ['n3', 'n4', 'n5']) halves.push([a, b], [b, a]);
  const m = new DiagramModel(['n1', 'n2', 'n3', 'n4', 'n5']);
  m.add({ t: 5, e: 'partition', blocked: halves });
  m.add({ t: 9, e: 'partition', blocked: [['n1', 'n2']] });
  m.add({ t: 12, e: 'partition', blocked: [] });
  assert.deepEqual(
    m.partitions.map((p) => [p.start, p.end, p.label]),
    [
      [5, 9, 'n1 n2 | n3 n4 n5'],
      [9, 12, 'cut links: n1↛n2'],
    ],
  );
  assert.equal(m.partitionAt(6)?.start, 5);
  assert.equal(m.partitionAt(12), undefined);
  assert.deepEqual(
    partitionGroups(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['b', 'a'],
        ['a', 'c'],
        ['c', 'a'],
      ],
    ),
    [[0], [1, 2]],
  );
});

test('node ids come in natural order and a whole simulated run lays out consistently', () => {
  assert.deepEqual(
    nodesOf([send(0, 'n10', 'n2', 1), { t: 1, e: 'timer', node: 'n1', name: 'x' }]),
    ['n1', 'n2', 'n10'],
  );
  const run = runSimulation({
    system: getSystem('kv-async')!,
    seed: 4,
    nemesis: 'partition-halves,crash',
    keepTrace: true,
    workload: { ops: 600 },
  });
  const m = DiagramModel.fromTrace(run.trace!);
  const delivered = m.messages.filter((x) => x.fate === 'delivered').length;
  const dropped = m.messages.filter((x) => x.fate !== 'delivered' && x.fate !== 'in-flight').length;
  assert.equal(delivered, run.messages.delivered);
  assert.equal(dropped, run.messages.dropped);
  assert.ok(m.partitions.length > 0, 'the nemesis partitioned the cluster');
  assert.ok(
    m.intervals.some((iv) => iv.kind === 'down'),
    'and crashed nodes',
  );
  // Window queries agree with filtering everything.
  for (const [t0, t1] of [
    [0, 50],
    [100, 130],
    [m.end / 2, m.end],
  ] as const) {
    const expected = m.messages.filter((x) => x.sent <= t1 && Math.min(x.end, Infinity) >= t0);
    assert.equal(m.visibleMessages(t0, t1).length, expected.length);
  }
});
