/**
 * The session-guarantee checks (Terry et al., PDIS 1994) on hand-made cart histories: each
 * guarantee is found broken where exactly it is broken, names the read and the op it should
 * have followed, and a history that keeps them all yields nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionViolations, type ItemOp } from '../../../src/systems/dynamo/session-guarantees.js';

let nextId = 0;
function op(
  process: number,
  kind: 'read' | 'write',
  invoke: number,
  complete: number,
  items: string[],
  key = 'cart',
): ItemOp {
  return { id: nextId++, process, key, kind, ok: true, invoke, complete, items: new Set(items) };
}

function kinds(ops: ItemOp[]): string[] {
  return sessionViolations(ops).map(
    (v) => `${v.guarantee} #${v.read} ⟵ #${v.because} ${v.missing}`,
  );
}

test('a history keeping every guarantee yields no violation', () => {
  nextId = 0;
  const ops = [
    op(0, 'write', 0, 1, ['Book']),
    op(0, 'read', 2, 3, ['Book']),
    op(1, 'read', 4, 5, ['Book']),
    op(1, 'write', 6, 7, ['Book', 'Pen']),
    op(0, 'read', 8, 9, ['Book', 'Pen']),
  ];
  assert.deepEqual(kinds(ops), []);
});

test('read your writes: a read after your own acknowledged write lacks its item', () => {
  nextId = 0;
  // Process 0 writes Book, then reads nothing. Process 1's later read misses it too, but that is
  // the regular guarantee, not a session one.
  const ops = [op(0, 'write', 0, 1, ['Book']), op(0, 'read', 2, 3, [])];
  assert.deepEqual(kinds(ops), ['regular #1 ⟵ #0 Book', 'read-your-writes #1 ⟵ #0 Book']);
});

test('monotonic reads: a later read of the same key lacks what an earlier one held', () => {
  nextId = 0;
  const ops = [
    op(1, 'write', 0, 10, ['Pen']), // overlaps the reads: the regular guarantee asks nothing
    op(0, 'read', 2, 3, ['Pen']),
    op(0, 'read', 4, 5, []),
  ];
  assert.deepEqual(kinds(ops), ['monotonic-reads #2 ⟵ #1 Pen']);
});

test('writes follow reads: seeing a write, but not what its writer had read before writing it', () => {
  nextId = 0;
  const ops = [
    op(0, 'write', 0, 50, ['Book']), // still in flight: no regular obligation
    op(1, 'read', 2, 3, ['Book']), // process 1 reads Book…
    op(1, 'write', 4, 60, ['Pen']), // …then writes Pen (also still in flight)
    op(2, 'read', 6, 7, ['Pen']), // process 2 sees Pen without Book
  ];
  assert.deepEqual(kinds(ops), ['writes-follow-reads #3 ⟵ #1 Book']);
});

test('sessions are per client and key: another key or another client owes nothing', () => {
  nextId = 0;
  const ops = [
    op(0, 'write', 0, 50, ['Book'], 'cart0'),
    op(0, 'read', 2, 3, [], 'cart1'), // another key
    op(1, 'read', 4, 5, [], 'cart0'), // another client, write not yet acknowledged
  ];
  assert.deepEqual(kinds(ops), []);
});

test('at most `limit` violations per guarantee', () => {
  nextId = 0;
  const ops = [op(0, 'write', 0, 1, ['Book'])];
  for (let i = 0; i < 5; i++) ops.push(op(0, 'read', 2 + 2 * i, 3 + 2 * i, []));
  const ryw = sessionViolations(ops, 2).filter((v) => v.guarantee === 'read-your-writes');
  assert.equal(ryw.length, 2);
});
