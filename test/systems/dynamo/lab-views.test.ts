/**
 * The dynamo system's lab views on a real lab run (seed 2, 60 operations, in Node): the ring
 * table lists each cart's preference list, the siblings table every replica's siblings with their
 * dots and the cart's version vector, and a node card outlines its keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { panelHasData } from '../../../src/core/lab-views.js';
import { dynamoSystem } from '../../../src/systems/dynamo/dynamo.js';
import { Ring } from '../../../src/systems/dynamo/ring.js';
import { RunController } from '../../../lab/src/run-controller.js';
import { labRun } from '../../../lab/src/system-views.js';

test('a short lab run draws the ring, the siblings with their clocks, and each node’s keys', () => {
  const lab = new RunController(
    { system: 'dynamo', nodes: 5, seed: 2, nemesis: 'none', ops: 60, mutant: null, params: {} },
    dynamoSystem,
  );
  lab.runToEnd();
  const run = labRun(lab.session.sim.nodeIds, lab.now, lab.trace, lab.snapshots);
  const views = dynamoSystem.labViews;
  assert.ok(views?.panels !== undefined && views.nodeOutline !== undefined);
  const [ring, siblings] = views.panels;
  const ringDrawn = panelHasData(ring!, run);
  assert.ok(ringDrawn?.kind === 'table');
  const expected = new Ring(run.nodes, 8);
  for (const [key, , prefs] of ringDrawn.rows) {
    assert.equal(prefs, expected.preferenceList(String(key), 3).join(' '));
  }
  assert.deepEqual(
    ringDrawn.rows.map((r) => r[0]),
    ['cart0', 'cart1', 'cart2'],
  );
  const sibDrawn = panelHasData(siblings!, run);
  assert.ok(sibDrawn?.kind === 'table');
  // Every cart on its three replicas, each sibling named by its dot, under a version vector.
  assert.equal(sibDrawn.rows.length, 9);
  for (const [, , count, dots, clock] of sibDrawn.rows) {
    assert.ok(Number(count) >= 1);
    assert.match(String(dots), /^n\d:\d+ \(\d+ items?\)/);
    assert.match(String(clock), /^n\d:\d+/);
  }
  const owner = String(sibDrawn.rows[0]![1]);
  const lines = views.nodeOutline.lines(run.samples(owner).at(-1)?.view ?? {});
  assert.equal(lines[0]?.depth, 0);
  assert.ok(lines.some((l) => l.depth === 1 && /^n\d:\d+/.test(l.text)));
});
