/**
 * The kafka judge across a topic's deletion: a record of the deleted topic read from the topic
 * created anew under its name (`t-0` → `t-0~4`, topic-ids.ts) is `deleted-topic-read`; a
 * consumer that moves to the new topic and reads it from offset 0, acknowledged records of the
 * deleted topic never read, and commits kept per topic id are all valid; a `delete-topic` op
 * without a topic is malformed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp, Outcome } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import { judgeKafka } from '../../../src/systems/kafka/log-judge.js';
import {
  clientPartitionName,
  otherTopicIdOfSamePartition,
  partitionIndexOf,
} from '../../../src/systems/kafka/topic-ids.js';

class H {
  readonly ops: HistoryOp[] = [];
  private add(process: number, f: string, outcome: Outcome, extra: Partial<HistoryOp>): void {
    const id = this.ops.length;
    this.ops.push({ id, process, f, invoke: id * 10, complete: id * 10 + 5, outcome, ...extra });
  }
  send(p: number, key: string, value: number, offset: number): void {
    this.add(p, 'send', 'ok', { key, value, result: { offset } });
  }
  poll(p: number, records: [string, number, number][], moved?: string): void {
    this.add(p, 'poll', 'ok', {
      result: { records, ...(moved !== undefined ? { partition: moved } : {}) } as Json,
    });
  }
  commit(p: number, value: Record<string, number>): void {
    this.add(p, 'commit', 'ok', { value, result: true });
  }
  seek(p: number, result: Record<string, number | null>): void {
    this.add(p, 'seek-committed', 'ok', { result });
  }
  del(p: number, key?: string): void {
    this.add(p, 'delete-topic', 'ok', { ...(key !== undefined ? { key } : {}), result: true });
  }
}

test('partition names across topic ids', () => {
  assert.equal(clientPartitionName('t-0~4'), 't-0');
  assert.equal(clientPartitionName('t-12'), 't-12');
  assert.equal(partitionIndexOf('t-12~4'), 12);
  assert.equal(partitionIndexOf('my-topic-3'), 3);
  assert.ok(otherTopicIdOfSamePartition('t-0', 't-0~4'));
  assert.ok(otherTopicIdOfSamePartition('t-0~2', 't-0~4'));
  assert.ok(!otherTopicIdOfSamePartition('t-0', 't-0'));
  assert.ok(!otherTopicIdOfSamePartition('t-0', 't-1~4'));
});

/** Two records in t-0, the topic deleted, one record in its successor t-0~4. */
function acrossDeletion(): H {
  const h = new H();
  h.send(1, 't-0', 100, 0);
  h.send(1, 't-0', 101, 1);
  h.poll(2, [
    ['t-0', 0, 100],
    ['t-0', 1, 101],
  ]);
  h.commit(2, { 't-0': 2 });
  h.del(3, 't');
  h.send(1, 't-0~4', 102, 0);
  return h;
}

test('a consumer moved to the new topic reads it from 0; old commits stay with the old topic', () => {
  const h = acrossDeletion();
  h.poll(2, [], 't-0~4');
  h.poll(2, [['t-0~4', 0, 102]]);
  h.commit(2, { 't-0~4': 1 });
  h.seek(2, { 't-0~4': 1 });
  h.seek(2, { 't-0': 2 }); // a broker that had not applied the deletion yet
  const j = judgeKafka(h.ops);
  assert.equal(j.verdict, 'valid', j.message);
  assert.equal((j.details as { partitions: number }).partitions, 2);
});

test('records acknowledged in the deleted topic and never read are not lost writes', () => {
  const h = new H();
  h.send(1, 't-0', 100, 0);
  h.send(1, 't-0', 101, 1);
  h.del(3, 't');
  h.send(1, 't-0~4', 102, 0);
  h.poll(2, [['t-0~4', 0, 102]]);
  assert.equal(judgeKafka(h.ops).verdict, 'valid');
});

test('a record of the deleted topic read from the new one is deleted-topic-read', () => {
  const h = acrossDeletion();
  // The new topic's replica served the old topic's record at offset 0.
  h.poll(4, [['t-0~4', 0, 100]]);
  const j = judgeKafka(h.ops);
  assert.equal(j.verdict, 'invalid', j.message);
  assert.ok(j.message.startsWith('deleted-topic-read: '), j.message);
  assert.match(j.message, /op 6 read 100 at t-0~4 offset 0, but op 0 sent it to t-0:/);
  const counts = (j.details as { counts: Record<string, number> }).counts;
  assert.equal(counts['deleted-topic-read'], 1);
  assert.equal(counts.phantom, undefined, 'reported as what it is, not as a phantom');
});

test('a record read from another partition is still a phantom', () => {
  const h = acrossDeletion();
  h.poll(4, [['t-1~4', 0, 100]]);
  const counts = (judgeKafka(h.ops).details as { counts: Record<string, number> }).counts;
  assert.equal(counts.phantom, 1);
  assert.equal(counts['deleted-topic-read'], undefined);
});

test('a delete-topic op without a topic is malformed', () => {
  const h = new H();
  h.del(1);
  const j = judgeKafka(h.ops);
  assert.equal(j.verdict, 'unknown');
  assert.match(j.message, /op 0 \(delete-topic\): no topic named/);
});
