/**
 * The kafka system's lab views on a real lab run (as the lab's e2e test runs every system: seed
 * 2, 40 operations, in Node here): every partition's log chart has points, a node card lists its
 * replicas with role, epoch, HW and LEO, and the active controller's lane is starred.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { panelHasData } from '../../../src/core/lab-views.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';
import { replicaLines } from '../../../src/systems/kafka/kafka-lab-views.js';
import { RunController } from '../../../lab/src/run-controller.js';
import { labRun } from '../../../lab/src/system-views.js';

test('a short lab run draws every partition log chart, the replicas, and the controller', () => {
  const lab = new RunController(
    { system: 'kafka', nodes: 3, seed: 2, nemesis: 'none', ops: 40, mutant: null, params: {} },
    kafkaSystem,
  );
  lab.runToEnd();
  const run = labRun(lab.session.sim.nodeIds, lab.now, lab.trace, lab.snapshots);
  const panels = kafkaSystem.labViews?.panels ?? [];
  assert.deepEqual(
    panels.map((p) => p.id),
    ['log-t-0', 'log-t-1', 'log-t-2'],
  );
  for (const p of panels) {
    const drawn = panelHasData(p, run);
    assert.ok(drawn?.kind === 'chart', p.id);
    const labels = drawn.data.lines.map((l) => l.label);
    assert.deepEqual(labels.slice(0, 2), ['n1 LEO', 'n1 HW']);
    const leo = Math.max(...drawn.data.lines.flatMap((l) => l.ys.filter((y) => y !== null)));
    assert.ok(leo > 0, `${p.id}: some record was written`);
  }
  const lanes = run.nodes.map((n) => {
    const last = run.samples(n).at(-1)?.view ?? null;
    assert.ok(last !== null);
    return kafkaSystem.labViews?.lane?.(last, n);
  });
  assert.equal(lanes.filter((l) => l?.lead === true).length, 1, 'one active controller');
  const lines = replicaLines(run.samples('n1').at(-1)?.view ?? {});
  assert.deepEqual(
    lines.map((l) => l.text),
    ['t-0', 't-1', 't-2'],
  );
  assert.match(lines[0]?.note ?? '', /^(leader|follower) · epoch \d+ · HW \d+ \/ LEO \d+/);
});
