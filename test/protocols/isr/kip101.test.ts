/**
 * The two data-loss cases that KIP-101 ("Alter replication protocol to use leader epoch rather
 * than high watermark for truncation") fixed, as scripted scenarios: with truncation by leader
 * epoch neither happens; with the `truncate-to-hw` mutant (pre-KIP-101: a new follower cuts its
 * log back to its own high watermark) each one does, so these tests catch that mutant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../../src/core/node.js';
import type { FetchRespMsg } from '../../../src/protocols/isr/messages.js';
import { IsrHarness, P } from './isr-harness.js';

const AB = ['a', 'b'] as const;

/**
 * Case 1: b fetched m2 and the leader's HW passed it (m2 is acknowledged), but the answer that
 * would have told b so was lost, so b's own HW still says 1. b restarts and follows again; then
 * a dies and b is elected (it is in the ISR).
 */
function case1(mutant: string | undefined): { h: IsrHarness; ack: number } {
  const h = new IsrHarness(AB, mutant, 1);
  h.assign({ replicas: AB, leader: 'a', leaderEpoch: 1, isr: AB, partitionEpoch: 1 });
  h.produce('a', 1);
  h.advance(30);
  assert.equal(h.rm('b').logOf(P).hw, 1, 'b learned m1 is committed');
  h.drop = (from, _to, msg: Message) =>
    from === 'a' && msg.type === 'isr-fetch-resp' && (msg as FetchRespMsg).highWatermark >= 2;
  const ack = h.produce('a', 2);
  h.advance(30);
  assert.deepEqual(h.replies.get(ack), { ok: true, value: { offset: 1 } }, 'm2 acknowledged');
  assert.equal(h.rm('b').logOf(P).hw, 1, "b's HW lags");
  h.crash('b');
  h.restart('b');
  h.assign({ replicas: AB, leader: 'a', leaderEpoch: 1, isr: AB, partitionEpoch: 1 }, ['b']);
  // a dies before b fetches again; the controller elects b from the ISR.
  h.crash('a');
  h.drop = () => false;
  h.assign({ replicas: AB, leader: 'b', leaderEpoch: 2, isr: ['b'], partitionEpoch: 2 }, ['b']);
  h.produce('b', 3);
  h.advance(30);
  return { h, ack };
}

test('KIP-101 case 1: an acknowledged record survives a follower restart and its election', () => {
  const { h } = case1(undefined);
  assert.deepEqual(h.values('b'), [1, 2, 3]);
  assert.equal(h.recorder.violation, undefined);
});

test('KIP-101 case 1 under truncate-to-hw: the acknowledged m2 is lost (mutant caught)', () => {
  const { h } = case1('truncate-to-hw');
  assert.deepEqual(h.values('b'), [1, 3], 'b cut m2 at its HW and then led without it');
  assert.match(h.recorder.violation ?? '', /t-0 offset 1: committed/);
});

/**
 * Case 2: KIP-101's replica divergence. a leads with m1 and m2; b has only m1; a's HW says 2
 * (in Kafka, b had acknowledged m2 from its page cache and then lost it in a power failure; here
 * a follower's fetch position counts only once on disk, so the HW is written into a's disk to
 * reach the case's starting point). Both restart; b is elected and takes m3 at offset 1; a
 * follows b.
 */
function case2(mutant: string | undefined): IsrHarness {
  const h = new IsrHarness(AB, mutant, 1);
  h.assign({ replicas: AB, leader: 'a', leaderEpoch: 1, isr: AB, partitionEpoch: 1 });
  h.produce('a', 1);
  h.advance(30);
  h.drop = (from) => from === 'a';
  h.produce('a', 2);
  h.advance(30);
  h.rm('a').logOf(P).setHw(2);
  h.syncAll();
  h.crash('a');
  h.crash('b');
  h.drop = () => false;
  h.restart('b');
  h.assign({ replicas: AB, leader: 'b', leaderEpoch: 2, isr: ['b'], partitionEpoch: 2 }, ['b']);
  h.produce('b', 3);
  h.advance(30);
  h.restart('a');
  h.assign({ replicas: AB, leader: 'b', leaderEpoch: 2, isr: ['b'], partitionEpoch: 2 }, ['a']);
  h.advance(50);
  return h;
}

test('KIP-101 case 2: the follower truncates where the epochs part, and the logs agree', () => {
  const h = case2(undefined);
  assert.deepEqual(h.values('a'), [1, 3]);
  assert.deepEqual(h.values('b'), [1, 3]);
});

test('KIP-101 case 2 under truncate-to-hw: the logs diverge at offset 1 (mutant caught)', () => {
  const h = case2('truncate-to-hw');
  assert.deepEqual(h.values('a'), [1, 2]);
  assert.deepEqual(h.values('b'), [1, 3]);
});
