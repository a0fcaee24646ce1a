/**
 * Followers' long polls (replica.fetch.wait.max.ms, parked-fetches.ts): a leader holds a fetch
 * it has nothing for and answers it once it appends, so acks=all waits for one round trip and
 * the followers' fsyncs, not for an idle pause or the wait; an idle partition costs a fetch per
 * wait, not per poll; a leader that stops leading answers what it held at once. The
 * `no-held-fetch-wake` mutant answers held fetches only when their wait runs out, and is caught.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsrHarness, P } from './isr-harness.js';

const ABC = ['a', 'b', 'c'] as const;
const LEADS = { replicas: ABC, leader: 'a', leaderEpoch: 1, isr: ABC, partitionEpoch: 1 };
const WAIT_MS = 300;

/** a leads, the followers long-poll; `fetches` counts the fetches sent. */
function longPolling(mutant?: 'no-held-fetch-wake'): { h: IsrHarness; fetches: () => number } {
  const h = new IsrHarness(ABC, undefined, 2, 10_000, WAIT_MS, mutant);
  let n = 0;
  h.drop = (_from, _to, msg) => {
    if (msg.type === 'isr-fetch') n++;
    return false;
  };
  h.assign(LEADS);
  h.advance(20);
  return { h, fetches: () => n };
}

/** Milliseconds until `req` is answered, at most `limit`. */
function msUntilAnswered(h: IsrHarness, req: number, limit: number): number {
  for (let ms = 0; ms < limit; ms++) {
    if (h.replies.has(req)) return ms;
    h.advance(1);
  }
  return limit;
}

test('a held fetch is answered at the append: acks=all is answered within a few ms', () => {
  const { h } = longPolling();
  assert.equal(h.rm('a').heldFetches, 2, 'both caught-up followers are held');
  const req = h.produce('a', 7);
  const ms = msUntilAnswered(h, req, WAIT_MS);
  assert.ok(ms <= 5, `answered after ${ms} ms`);
  assert.deepEqual(h.replies.get(req), { ok: true, value: { offset: 0 } });
  assert.deepEqual(h.values('b'), [7]);
  assert.deepEqual(h.values('c'), [7]);
});

test('no-held-fetch-wake: the produce waits out the followers’ wait (mutant caught)', () => {
  const { h } = longPolling('no-held-fetch-wake');
  const req = h.produce('a', 7);
  const ms = msUntilAnswered(h, req, WAIT_MS);
  assert.ok(ms > 5, `answered after ${ms} ms: the mutant was not caught`);
});

test('every batch appended in one turn goes out in one answer', () => {
  const { h } = longPolling();
  const reqs = [1, 2, 3, 4].map((v) => h.produce('a', v));
  h.advance(1);
  assert.deepEqual(h.values('b'), [1, 2, 3, 4]);
  h.advance(5);
  for (const r of reqs) assert.equal(h.replies.get(r)?.ok, true);
});

test('an idle partition costs a fetch per wait, and keeps its ISR', () => {
  const { h, fetches } = longPolling();
  const before = fetches();
  h.advance(3000);
  const perFollower = (fetches() - before) / 2;
  // About 3000 / 300 each; a follower that polled every 5 ms would send 600.
  assert.ok(perFollower >= 8 && perFollower <= 12, `${perFollower} fetches per follower`);
  assert.deepEqual(h.alters, [], 'no ISR change while idle');
});

test('a leader that stops leading answers the fetches it held at once', () => {
  const { h } = longPolling();
  assert.equal(h.rm('a').heldFetches, 2);
  h.assign({ ...LEADS, leader: 'b', leaderEpoch: 2, partitionEpoch: 2 });
  assert.equal(h.rm('a').heldFetches, 0);
  // b leads now: a and c follow it, and a produce there is committed as quickly.
  h.advance(20);
  const req = h.produce('b', 9);
  assert.ok(msUntilAnswered(h, req, WAIT_MS) <= 5);
  assert.deepEqual(h.values('a'), [9]);
  assert.equal(h.rm('b').logOf(P).hw, 1);
});
