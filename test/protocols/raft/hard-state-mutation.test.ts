/**
 * Raft's hard state (hard-state.ts): what a server writes before answering, term and vote,
 * read back exactly, and anything else in its place refused as corrupt storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { OpLogStore, type StoreOp } from '../../../src/core/storage.js';
import { loadHardState, saveHardState } from '../../../src/protocols/raft/hard-state.js';
import { RaftInvariantError } from '../../../src/protocols/raft/raft-assert.js';

/** A store whose every write is durable at once: hard-state.ts never syncs itself. */
class MemoryStore extends OpLogStore {
  readonly ops: StoreOp[] = [];
  unsyncedWrites = 0;
  protected keep(op: StoreOp): void {
    this.ops.push(op);
  }
  sync(onDurable: () => void): void {
    onDurable();
  }
}

test('hard state: a fresh store has none; term and vote read back as written', () => {
  const s = new MemoryStore();
  assert.equal(loadHardState(s), undefined);
  saveHardState(s, { term: 4, vote: 'n2' });
  assert.deepEqual(loadHardState(s), { term: 4, vote: 'n2' });
  saveHardState(s, { term: 5, vote: null });
  assert.deepEqual(loadHardState(s), { term: 5, vote: null });
  assert.deepEqual(
    s.ops.map((o) => (o.kind === 'put' ? [o.key, o.value] : o.kind)),
    [
      ['raft/hard', { term: 4, vote: 'n2' }],
      ['raft/hard', { term: 5, vote: null }],
    ],
  );
});

test('hard state: a term 0 with no vote is well formed', () => {
  const s = new MemoryStore();
  saveHardState(s, { term: 0, vote: null });
  assert.deepEqual(loadHardState(s), { term: 0, vote: null });
});

test('hard state: anything else under its key is corrupt storage, refused by code', () => {
  const bad: Json[] = [
    null,
    3,
    'x',
    [4, 'n1'],
    { vote: 'n1' },
    { term: '4', vote: 'n1' },
    { term: 1.5, vote: 'n1' },
    { term: -1, vote: null },
    { term: 2, vote: 7 },
    { term: 2 },
  ];
  for (const v of bad) {
    const s = new MemoryStore();
    s.put('raft/hard', v);
    assert.throws(
      () => loadHardState(s),
      (e: unknown) =>
        e instanceof RaftInvariantError &&
        e.code === 'hard-state-well-formed' &&
        e.message.includes(`stored ${JSON.stringify(v)}`),
      JSON.stringify(v),
    );
  }
});
