/**
 * Kafka's high-watermark rule (high-watermark.ts) pinned on the function itself: the minimum
 * over the in-sync replicas of what is on disk, the leader's own durable log end included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highWatermark } from '../../../src/protocols/isr/high-watermark.js';
import { isrMutantsFor, NO_ISR_MUTANTS } from '../../../src/protocols/isr/mutants.js';

const offsets: Record<string, number> = { b1: 9, b2: 6, b3: 2 };
const followerOffset = (id: string): number => offsets[id] ?? 0;

test("high watermark: the smallest durable offset over the ISR, the leader's own counted once", () => {
  const isr = new Set(['b0', 'b1', 'b2']);
  assert.equal(highWatermark('b0', 12, 10, isr, followerOffset, NO_ISR_MUTANTS), 6);
  assert.equal(
    highWatermark('b0', 12, 10, new Set(['b0', 'b1']), followerOffset, NO_ISR_MUTANTS),
    9,
    'b2 left the ISR: it no longer holds the watermark back',
  );
});

test('high watermark: the leader counts only what is on its disk', () => {
  assert.equal(
    highWatermark('b0', 12, 4, new Set(['b0', 'b1']), followerOffset, NO_ISR_MUTANTS),
    4,
  );
  assert.equal(highWatermark('b0', 12, 4, new Set(['b0']), followerOffset, NO_ISR_MUTANTS), 4);
});

test("high watermark: the leader's own entry in the ISR is not read as a follower's", () => {
  const asked: string[] = [];
  const hw = highWatermark(
    'b0',
    12,
    10,
    new Set(['b0', 'b1']),
    (id) => {
      asked.push(id);
      return followerOffset(id);
    },
    NO_ISR_MUTANTS,
  );
  assert.equal(hw, 9);
  assert.deepEqual(asked, ['b1']);
});

test('mutants hw-from-leader-only and count-before-sync each drop one term of the minimum', () => {
  const isr = new Set(['b0', 'b3']);
  assert.equal(highWatermark('b0', 12, 10, isr, followerOffset, NO_ISR_MUTANTS), 2);
  assert.equal(
    highWatermark('b0', 12, 10, isr, followerOffset, isrMutantsFor('hw-from-leader-only')),
    12,
  );
  assert.equal(
    highWatermark(
      'b0',
      12,
      10,
      new Set(['b0']),
      followerOffset,
      isrMutantsFor('count-before-sync'),
    ),
    12,
  );
});
