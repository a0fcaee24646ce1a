/**
 * The invariants a Raft server asserts instead of casting (raft-assert.ts): a stored hard state
 * or a timer's data of the wrong shape stops the node with a RaftInvariantError naming the
 * broken invariant, and a well-formed one reads back as written.
 */
import { test } from 'node:test';
import type { Json } from '../../../src/core/json.js';
import assert from 'node:assert/strict';
import { loadHardState, saveHardState } from '../../../src/protocols/raft/hard-state.js';
import { must, RaftInvariantError } from '../../../src/protocols/raft/raft-assert.js';
import { timerNumber, timerString } from '../../../src/protocols/raft/timer-data.js';
import { SimDisk } from '../../../src/sim/disk.js';

const disk = (): SimDisk =>
  new SimDisk({ scheduleSync: (_w, done) => done(), scheduleFileWrite: (_p, done) => done() });

const broken = (code: string) => (e: unknown) => e instanceof RaftInvariantError && e.code === code;

test('hard state: written, read back; absent is undefined', () => {
  const s = disk();
  assert.equal(loadHardState(s), undefined);
  saveHardState(s, { term: 3, vote: 'n2' });
  assert.deepEqual(loadHardState(s), { term: 3, vote: 'n2' });
  saveHardState(s, { term: 4, vote: null });
  assert.deepEqual(loadHardState(s), { term: 4, vote: null });
});

test('hard state of the wrong shape is refused with hard-state-well-formed', () => {
  const bads: Json[] = [
    7,
    null,
    [],
    { term: '3', vote: null },
    { term: -1, vote: null },
    { term: 1.5, vote: 'n1' },
    { term: 2, vote: 5 },
    { vote: 'n1' },
  ];
  for (const bad of bads) {
    const s = disk();
    s.put('raft/hard', bad);
    assert.throws(() => loadHardState(s), broken('hard-state-well-formed'), JSON.stringify(bad));
  }
});

test('timer data: the field as set, or timer-data-well-formed', () => {
  assert.equal(timerNumber('heartbeat', { term: 5 }, 'term'), 5);
  assert.equal(timerString('follower-read', { ctx: 'a.1' }, 'ctx'), 'a.1');
  assert.throws(
    () => timerNumber('heartbeat', undefined, 'term'),
    broken('timer-data-well-formed'),
  );
  assert.throws(
    () => timerNumber('heartbeat', { term: '5' }, 'term'),
    broken('timer-data-well-formed'),
  );
  assert.throws(() => timerString('follower-read', [1], 'ctx'), broken('timer-data-well-formed'));
});

test('must: the value when present (0 and "" are values), else the named invariant', () => {
  assert.equal(must(0, 'term-of-prev-entry-known', 'entry 0'), 0);
  assert.equal(must('', 'read-index-leader-known', 'x'), '');
  assert.throws(
    () => must(undefined, 'term-of-prev-entry-known', 'entry 9'),
    broken('term-of-prev-entry-known'),
  );
  assert.throws(
    () => must(null, 'read-index-leader-known', 'x'),
    broken('read-index-leader-known'),
  );
});
