import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlaps, placeLabels, type LabelRequest } from '../../lab/src/lamport/label-layout.js';

const req = (
  text: string,
  priority: number,
  positions: { x: number; y: number }[],
  width = 50,
): LabelRequest => ({ text, priority, width, height: 12, positions });

test('labels that would overlap move to their next position, or are left out', () => {
  const placed = placeLabels([
    req('partition n1 | n2 n3', 50, [
      { x: 100, y: 34 },
      { x: 100, y: 80 },
    ]),
    req('down', 45, [
      { x: 110, y: 40 },
      { x: 110, y: 60 },
    ]),
    req('★ leader t2', 40, [{ x: 120, y: 36 }]),
    req('n1', 100, [{ x: 6, y: 40 }]),
  ]);
  assert.deepEqual(
    placed.map((l) => [l.text, l.x, l.y]),
    [
      ['n1', 6, 40],
      ['partition n1 | n2 n3', 100, 34],
      ['down', 110, 60],
    ],
  );
  for (const a of placed)
    for (const b of placed) if (a !== b) assert.equal(overlaps(a, b), false, `${a.text}/${b.text}`);
});

test('a label must fit its bounds; equal priorities keep their order', () => {
  const bounds = { x: 92, y: 0, w: 200, h: 100 };
  const placed = placeLabels([
    { ...req('left of the plot', 1, [{ x: 50, y: 10 }]), bounds },
    { ...req('a', 1, [{ x: 100, y: 10 }]), bounds },
    {
      ...req('b', 1, [
        { x: 120, y: 10 },
        { x: 120, y: 30 },
      ]),
      bounds,
    },
  ]);
  assert.deepEqual(
    placed.map((l) => [l.text, l.y]),
    [
      ['a', 10],
      ['b', 30],
    ],
  );
});

test('touching boxes do not overlap', () => {
  assert.equal(overlaps({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 }), false);
  assert.equal(overlaps({ x: 0, y: 0, w: 10, h: 10 }, { x: 9, y: 9, w: 10, h: 10 }), true);
});
