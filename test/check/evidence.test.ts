/** What a violation report says: the failing partition, the prefix, the blocked operations. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  checkHistory,
  formatEvidence,
  formatSummary,
  kvModel,
  loadHistory,
  registerModel,
} from '../../src/check/index.js';
import { FIXTURES, history } from './helpers.js';

describe('evidence', () => {
  test('a stale read: prefix, state, blocked operation and why', () => {
    const ops = history(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
      { process: 1, f: 'write', value: 2, invoke: 2, complete: 3 },
      { process: 2, f: 'read', result: 1, invoke: 4, complete: 5 },
    );
    const { verdict, evidence } = checkHistory(ops, registerModel);
    assert.equal(verdict, 'invalid');
    assert.ok(evidence);
    assert.equal(evidence.partition, null);
    assert.deepEqual(evidence.opIds, [0, 1, 2]);
    assert.equal(evidence.initialState, 'absent');
    assert.deepEqual(
      evidence.prefix.map((p) => [p.op.id, p.description, p.stateAfter]),
      [
        [0, 'write 1', '1'],
        [1, 'write 2', '2'],
      ],
    );
    assert.equal(evidence.stateAfterPrefix, '2');
    assert.deepEqual(
      evidence.blocked.map((b) => [b.op.id, b.description, b.reason]),
      [[2, 'read → 1', 'impossible when the state is 2']],
    );
    assert.equal(evidence.deadline?.op.id, 2);

    const text = formatEvidence(evidence);
    assert.match(text, /Longest linearizable prefix: 2 operations, from state absent/);
    assert.match(text, /#1 client 1: write 2 {3}⇒ 2/);
    assert.match(text, /✗ #2 client 2: read → 1: impossible when the state is 2/);
  });

  test('etcd_000.log: the evidence replays and ends at an impossible read', () => {
    const file = 'jepsen/etcd_000.log';
    const loaded = loadHistory(readFileSync(new URL(file, FIXTURES), 'utf8'), 'jepsen-log', file);
    const result = checkHistory(loaded.ops, registerModel);
    const evidence = result.evidence;
    assert.ok(evidence);
    assert.equal(evidence.partition, null);
    assert.equal(evidence.opIds.length, 85);
    assert.equal(evidence.prefix.length, 43);
    assert.equal(evidence.stateAfterPrefix, '0');
    assert.deepEqual(
      evidence.blocked.map((b) => [b.op.id, b.op.process, b.description]),
      [[43, 11, 'read → 2']],
    );
    // No prefix operation is blocked, and each one's state follows from the one before.
    const placed = new Set(evidence.prefix.map((p) => p.op.id));
    for (const b of evidence.blocked) assert.ok(!placed.has(b.op.id));
    for (const p of evidence.prefix) {
      if (p.op.f === 'read' && p.op.outcome === 'ok')
        assert.equal(p.stateAfter, p.op.result === null ? 'absent' : JSON.stringify(p.op.result));
      if (p.op.f === 'write') assert.equal(p.stateAfter, JSON.stringify(p.op.value));
    }
    const summary = formatSummary(result, { file, model: 'register', partitioned: true });
    assert.match(
      summary,
      /^jepsen\/etcd_000\.log: NOT linearizable — register model, 85 operations, 1 partition, /,
    );
    assert.match(summary, /✗ #43 client 11: read → 2: impossible when the state is 0/);
  });

  test('kv: the failing key is named and its state shown as text', () => {
    const file = 'kv/c10-bad.txt';
    const loaded = loadHistory(readFileSync(new URL(file, FIXTURES), 'utf8'), 'edn', file);
    const { evidence } = checkHistory(loaded.ops, kvModel, { initialValue: '' });
    assert.ok(evidence);
    assert.equal(evidence.partition, '0');
    assert.equal(evidence.initialState, '""');
    assert.ok(evidence.opIds.length < loaded.ops.length);
    assert.ok(evidence.blocked.length > 0);
    for (const b of evidence.blocked) {
      assert.equal(b.op.key, '0');
      assert.match(b.reason, /^impossible when the state is "/);
    }
  });

  test('without partitioning the state covers every key', () => {
    const ops = history(
      { process: 0, f: 'put', key: 'a', value: 'x', invoke: 0, complete: 1 },
      { process: 0, f: 'put', key: 'b', value: 'y', invoke: 2, complete: 3 },
      { process: 1, f: 'get', key: 'a', result: null, invoke: 4, complete: 5 },
    );
    const { evidence } = checkHistory(ops, kvModel, { partition: false });
    assert.equal(evidence?.stateAfterPrefix, '{"a": "x", "b": "y"}');
    assert.equal(evidence?.blocked[0]?.description, 'get "a" → null');
  });
});
