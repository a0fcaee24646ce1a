/**
 * The election rules of election.ts pinned on the functions themselves, so that a mutation of
 * one comparison fails a test named for the rule (issue 27, `npm run mutate`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TIMING,
  electionTimeout,
  logUpToDate,
  VoteTally,
} from '../../../src/protocols/raft/election.js';
import { streamFor } from '../../../src/core/random.js';

test('vote restriction (§5.4.1): a later last term wins whatever the lengths', () => {
  assert.equal(logUpToDate(3, 1, 2, 50), true, 'later term, shorter log: up to date');
  assert.equal(logUpToDate(2, 50, 3, 1), false, 'earlier term, longer log: not up to date');
});

test('vote restriction (§5.4.1): with equal last terms the longer log wins, a tie is enough', () => {
  assert.equal(logUpToDate(4, 7, 4, 7), true, 'same term, same length');
  assert.equal(logUpToDate(4, 8, 4, 7), true, 'same term, longer');
  assert.equal(logUpToDate(4, 6, 4, 7), false, 'same term, shorter');
  assert.equal(logUpToDate(0, 0, 0, 0), true, 'two empty logs');
});

test("election timeout is a draw from [electionMin, electionMax) of the node's stream", () => {
  const a = streamFor(7, 'node:n1');
  const b = streamFor(7, 'node:n1');
  for (let i = 0; i < 50; i++) {
    const t = electionTimeout(DEFAULT_TIMING, a);
    assert.equal(t, b.range(150, 300), 'the same draw as range(min, max)');
    assert.ok(t >= 150 && t < 300, `${t} within the bounds`);
  }
  assert.deepEqual(DEFAULT_TIMING, { heartbeatMs: 50, electionMinMs: 150, electionMaxMs: 300 });
});

test('a vote tally counts each voter once and forgets them all on clear', () => {
  const t = new VoteTally();
  assert.equal(t.has('n1'), false);
  t.grant('n1');
  t.grant('n1');
  assert.equal(t.has('n1'), true);
  assert.equal(t.has('n2'), false);
  t.clear();
  assert.equal(t.has('n1'), false);
});
