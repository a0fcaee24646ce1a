/**
 * The timeline panel kind (src/core/lab-views.ts) and its layout (lab/src/timeline-layout.ts):
 * rows in the order their first spans come, overlapping spans of a row stacked on lines of
 * their own and touching ones sharing a line, the x range the spans' own; and a declaration
 * whose span has an undeclared kind or ends before it starts refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LabViewError,
  panelHasData,
  type LabRun,
  type TimelinePanel,
  type TimelineSpan,
} from '../../src/core/lab-views.js';
import { timelineLayout } from '../../lab/src/timeline-layout.js';

const span = (row: string, start: number, end: number, kind = 'a'): TimelineSpan => ({
  row,
  start,
  end,
  label: `${row} ${start}`,
  kind,
});

test('timeline layout: rows by first appearance, overlaps stacked, touching spans share a line', () => {
  const layout = timelineLayout([
    span('t2', 50, 60),
    span('t1', 10, 30),
    span('t2', 40, 55),
    span('t1', 30, 40),
    span('t1', 20, 35),
  ]);
  assert.deepEqual(
    layout.bands.map((b) => [b.row, b.line, b.lines]),
    [
      ['t2', 0, 2],
      ['t1', 2, 2],
    ],
  );
  const lineOf = (row: string, start: number) =>
    layout.placed.find((p) => p.span.row === row && p.span.start === start)?.line;
  assert.equal(lineOf('t2', 40), 0);
  assert.equal(lineOf('t2', 50), 1, 'overlaps [40, 55): a line of its own');
  assert.equal(lineOf('t1', 10), 2);
  assert.equal(lineOf('t1', 20), 3, 'overlaps [10, 30)');
  assert.equal(lineOf('t1', 30), 2, 'starts where [10, 30) ends: the same line');
  assert.equal(layout.lines, 4);
  assert.deepEqual([layout.t0, layout.t1], [10, 60]);
});

test('timeline layout: an instant still has a width of time; nothing gives nothing', () => {
  const one = timelineLayout([span('x', 5, 5)]);
  assert.deepEqual([one.t0, one.t1, one.lines], [5, 6, 1]);
  const none = timelineLayout([]);
  assert.deepEqual([none.bands.length, none.placed.length, none.lines], [0, 0, 0]);
});

test('timeline panel: shown only with spans, and a span breaking the declaration is refused', () => {
  const run: LabRun = { nodes: [], end: 100, sent: [], samples: () => [] };
  const panel = (spans: TimelineSpan[]): TimelinePanel => ({
    kind: 'timeline',
    id: 'p',
    title: 'p',
    kinds: [{ id: 'a', label: 'a' }],
    spans: () => spans,
  });
  assert.equal(panelHasData(panel([]), run), undefined);
  assert.deepEqual(panelHasData(panel([span('x', 1, 2)]), run), {
    kind: 'timeline',
    spans: [span('x', 1, 2)],
  });
  assert.throws(
    () => panelHasData(panel([span('x', 1, 2, 'b')]), run),
    (e: unknown) => e instanceof LabViewError && e.code === 'bad-lab-view',
  );
  assert.throws(
    () => panelHasData(panel([span('x', 3, 2)]), run),
    (e: unknown) => e instanceof LabViewError,
  );
});
