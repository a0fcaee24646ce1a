/**
 * kv-raft's snapshot check: it accepts every snapshot the machine takes, refuses what is no
 * snapshot (naming the field), and a follower sent one that is no snapshot refuses it instead
 * of stopping (without the check its restore throws on `data.map`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../src/core/json.js';
import type { RaftMsg } from '../../src/protocols/raft/messages.js';
import { KvMachine } from '../../src/systems/kv/kv-raft.js';
import { kvSnapshotProblem } from '../../src/systems/kv/kv-snapshot-schema.js';
import { Cluster } from '../protocols/raft/helpers.js';

test('every snapshot the machine takes passes; what is no snapshot is named by its field', () => {
  const m = new KvMachine();
  m.apply({ client: 'c1', seq: 1, op: { f: 'put', key: 'a', value: '1' } });
  m.apply({ client: 'c2', seq: 9, op: { f: 'cas', key: 'a', value: ['1', '2'] } });
  const snap = JSON.parse(JSON.stringify(m.snapshot())) as Json;
  assert.equal(m.snapshotProblem(snap), undefined);
  const copy = new KvMachine();
  copy.restore(snap);
  assert.deepEqual(copy.snapshot(), snap);
  const s = snap as Record<string, Json>;
  const bad: [Json, RegExp][] = [
    [7, /^snapshot: /],
    [{ kv: {} }, /^data: /],
    [{ ...s, data: [['a']] }, /^data\.0\.1: /],
    [{ ...s, data: [['a', 1]] }, /^data\.0\.1: /],
    [{ ...s, sessions: [['c1', '7', null]] }, /^sessions\.0\.1: /],
    [{ ...s, sessions: [['c1', 1.5, null]] }, /^sessions\.0\.1: /],
    [{ ...s, sessions: [['', 1, null]] }, /^sessions\.0\.0: /],
    [{ ...s, extra: [] }, /extra/],
  ];
  for (const [data, why] of bad) assert.match(kvSnapshotProblem(data) ?? 'accepted', why);
});

test('a follower sent a snapshot that is none refuses it and keeps serving', () => {
  const c = new Cluster({ nodes: 3 });
  const leader = c.awaitLeader();
  assert.equal(c.call(leader, { f: 'put', key: 'k', value: 'v' })?.ok, true);
  const follower = c.ids.find((id) => id !== leader) as string;
  const term = c.raft(leader).term;
  const msg: RaftMsg = {
    type: 'snapshot',
    term,
    index: 1000,
    snapTerm: term,
    config: { voters: [...c.ids], learners: [] },
    offset: 0,
    chunk: JSON.stringify({ data: 7, sessions: 'none' }),
    done: true,
    round: 0,
  };
  c.raft(follower).onMessage(leader, msg);
  assert.equal(c.call(leader, { f: 'put', key: 'k', value: 'w' })?.ok, true);
  assert.equal(c.call(leader, { f: 'get', key: 'k' })?.ok, true);
});
