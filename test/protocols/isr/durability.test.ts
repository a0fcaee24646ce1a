/**
 * An offset counts toward the high watermark only once it is on disk (docs/kafka.md, "fsync
 * before it counts"): with every disk holding its writes in cache, an acks=all produce is not
 * answered; the `count-before-sync` mutant (Kafka's own rule: replicas acknowledge from memory)
 * answers it, and a power failure of both replicas then loses the acknowledged record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsrHarness } from './isr-harness.js';

const AB = ['a', 'b'] as const;

function cachedOnly(mutant: string | undefined): { h: IsrHarness; req: number } {
  const h = new IsrHarness(AB, mutant, 2);
  h.assign({ replicas: AB, leader: 'a', leaderEpoch: 1, isr: AB, partitionEpoch: 1 });
  h.advance(10);
  h.holdSyncs = true;
  const req = h.produce('a', 5);
  h.advance(30);
  return { h, req };
}

test("a record in both replicas' caches but on no disk is not acknowledged", () => {
  const { h, req } = cachedOnly(undefined);
  assert.deepEqual(h.values('b'), [5], 'b fetched it');
  assert.equal(h.replies.get(req), undefined);
  h.holdSyncs = false;
  h.advance(30);
  assert.deepEqual(h.replies.get(req), { ok: true, value: { offset: 0 } });
});

test('count-before-sync: acknowledged from cache, then lost when both lose power (mutant caught)', () => {
  const { h, req } = cachedOnly('count-before-sync');
  assert.deepEqual(h.replies.get(req), { ok: true, value: { offset: 0 } });
  h.crash('a');
  h.crash('b');
  h.restart('a');
  h.restart('b');
  assert.deepEqual(h.values('a'), []);
  assert.deepEqual(h.values('b'), []);
});
