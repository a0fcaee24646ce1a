/**
 * The leader's replication rules (replication.ts) pinned on the functions themselves: the
 * commit rule of Figure 8 (`commitCandidate`), the retry hint, and each follower's progress
 * (probe / replicate / snapshot). Each test is named for the rule a mutant of it breaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/core/node.js';
import {
  commitCandidate,
  MAX_APPEND_SIZE,
  MAX_BATCH,
  MAX_INFLIGHT,
  Progress,
  retryIndex,
} from '../../../src/protocols/raft/replication.js';

const FIVE = { voters: ['n1', 'n2', 'n3', 'n4', 'n5'], learners: ['n6'] };

function matches(m: Record<NodeId, number>): (id: NodeId) => number {
  return (id) => m[id] ?? 0;
}

/** Terms of the log in the paper's Figure 8 (d): indexes 1..3, terms 1, 2, 4. */
const figure8Terms = (i: number): number | undefined => [undefined, 1, 2, 4][i];

test('commit rule (Figure 8): a leader never commits an old-term entry by counting replicas', () => {
  // Index 2 (term 2) is on a majority, the leader is in term 4: not committed.
  const match = matches({ n1: 2, n2: 2, n3: 2, n4: 1, n5: 1 });
  assert.equal(commitCandidate(FIVE, match, figure8Terms, 4, 1, false), 1);
});

test('commit rule (Figure 8): a current-term entry on a majority commits, and everything before it', () => {
  const match = matches({ n1: 3, n2: 3, n3: 3, n4: 1, n5: 0 });
  assert.equal(commitCandidate(FIVE, match, figure8Terms, 4, 1, false), 3);
});

test('commit rule: the quorum-th largest match, not the largest nor a minority', () => {
  const terms = (): number => 5;
  // Three of five hold 4, one holds 9: the majority index is 4.
  const match = matches({ n1: 9, n2: 4, n3: 4, n4: 4, n5: 0, n6: 20 });
  assert.equal(
    commitCandidate(FIVE, match, terms, 5, 0, false),
    4,
    'the learner n6 does not count',
  );
  const minority = matches({ n1: 9, n2: 9, n3: 0, n4: 0, n5: 0 });
  assert.equal(commitCandidate(FIVE, minority, terms, 5, 0, false), 0);
});

test('commit rule: the commit index never moves back, nor stays when the quorum index equals it', () => {
  const terms = (): number => 2;
  const match = matches({ n1: 3, n2: 3, n3: 3 });
  assert.equal(commitCandidate(FIVE, match, terms, 2, 7, false), 7, 'behind the commit index');
  assert.equal(commitCandidate(FIVE, match, terms, 2, 3, false), 3, 'at the commit index');
  let asked = 0;
  const counting = (_index: number): number | undefined => {
    asked++;
    return terms();
  };
  commitCandidate(FIVE, match, counting, 2, 3, false);
  assert.equal(asked, 0, 'no term lookup when nothing new is on a majority');
});

test('mutant commit-old-term: counting replicas of any term commits the Figure 8 entry', () => {
  const match = matches({ n1: 2, n2: 2, n3: 2, n4: 1, n5: 1 });
  assert.equal(commitCandidate(FIVE, match, figure8Terms, 4, 1, true), 2);
});

test("retry hint: skip past the leader's last entry of the conflicting term, else the follower's term", () => {
  const lastOfTerm = (t: number): number => (t === 3 ? 8 : 0);
  assert.equal(retryIndex(5, 0, lastOfTerm), 5, "no term in the hint: the follower's index");
  assert.equal(retryIndex(5, 3, lastOfTerm), 9, 'leader has term 3 through 8');
  assert.equal(retryIndex(5, 2, lastOfTerm), 5, 'leader has no entry of term 2');
});

test('limits of an append: batch, size and pipeline depth', () => {
  assert.equal(MAX_BATCH, 64);
  assert.equal(MAX_APPEND_SIZE, 1024 * 1024);
  assert.equal(MAX_INFLIGHT, 4);
});

test("progress starts probing at the leader's next index, heard at its election", () => {
  const p = new Progress('n2', 10, 1000);
  assert.equal(p.id, 'n2');
  assert.equal(p.state, 'probe');
  assert.equal(p.next, 11);
  assert.equal(p.match, 0);
  assert.equal(p.probeSent, false);
  assert.deepEqual(p.inflight, []);
  assert.equal(p.lastAckAt, 1000);
  assert.equal(p.lastHeardAt, 1000);
  assert.equal(p.answeredAt, -Infinity, 'a new leader has no answer from anyone yet');
  assert.equal(p.round, 0);
  p.heard(1200);
  assert.equal(p.lastHeardAt, 1200);
  assert.equal(p.answeredAt, 1200);
});

test('probe state: one append at a time until an answer', () => {
  const p = new Progress('n2', 10, 0);
  assert.equal(p.canSend(), true);
  p.sent(11);
  assert.equal(p.probeSent, true);
  assert.equal(p.next, 11, 'probing does not move next optimistically');
  assert.deepEqual(p.inflight, []);
  assert.equal(p.canSend(), false);
});

test('an acceptance moves match and next and turns a probe into replication', () => {
  const p = new Progress('n2', 10, 0);
  p.sent(11);
  assert.equal(p.acknowledged(11, 50), true);
  assert.equal(p.match, 11);
  assert.equal(p.next, 12);
  assert.equal(p.state, 'replicate');
  assert.equal(p.probeSent, false);
  assert.equal(p.lastAckAt, 50);
  assert.equal(p.acknowledged(11, 60), false, 'the same match again teaches nothing');
  assert.equal(p.acknowledged(5, 70), false, 'an older match teaches nothing');
  assert.equal(p.match, 11, 'match never moves back');
  assert.equal(p.lastAckAt, 70);
});

test('replicate state: pipelined appends up to MAX_INFLIGHT, freed by acknowledgements in order', () => {
  const p = new Progress('n2', 0, 0);
  p.acknowledged(0, 0);
  assert.equal(p.state, 'replicate');
  for (let last = 2; last <= 8; last += 2) {
    assert.equal(p.canSend(), true);
    p.sent(last);
  }
  assert.deepEqual(p.inflight, [2, 4, 6, 8]);
  assert.equal(p.next, 9, 'next moves on send');
  assert.equal(p.canSend(), false, `${MAX_INFLIGHT} in flight`);
  p.sent(3);
  assert.deepEqual(p.inflight, [2, 4, 6, 8], 'a resend below next is not a new append');
  assert.equal(p.next, 9);
  p.sent(9);
  assert.deepEqual(p.inflight, [2, 4, 6, 8, 9], 'an append ending at next is new');
  assert.equal(p.next, 10);
  p.acknowledged(4, 1);
  assert.deepEqual(p.inflight, [6, 8, 9], 'acknowledged through 4 frees 2 and 4');
  assert.equal(p.canSend(), true);
  p.acknowledged(9, 2);
  assert.deepEqual(p.inflight, []);
  assert.equal(p.next, 10);
});

test('an acceptance beyond next moves next past it', () => {
  const p = new Progress('n2', 3, 0);
  p.acknowledged(3, 0);
  assert.equal(p.next, 4);
  p.acknowledged(7, 0);
  assert.equal(p.next, 8);
});

test('a rejection falls back to probing from the hint, never below match + 1', () => {
  const p = new Progress('n2', 0, 0);
  p.acknowledged(5, 0);
  p.sent(10);
  assert.equal(p.rejected(3, 1), false, 'stale: 3 is already known to match');
  assert.equal(p.rejected(5, 1), false, 'stale: at match');
  assert.equal(p.state, 'replicate');
  assert.equal(p.rejected(10, 8), true);
  assert.equal(p.state, 'probe');
  assert.equal(p.next, 8, 'the hint, below the rejected index');
  assert.deepEqual(p.inflight, []);
  assert.equal(p.probeSent, false);
  p.sent(8);
  assert.equal(p.rejected(8, 2), true, 'a hint below match');
  assert.equal(p.next, 6, 'clamped to match + 1');
  assert.equal(p.rejected(9, 20), true, 'a hint above the rejected index');
  assert.equal(p.next, 9, 'clamped to the rejected index');
});

test('a snapshot follower ignores rejections and sends no appends', () => {
  const p = new Progress('n2', 0, 0);
  p.acknowledged(2, 0);
  p.sent(4);
  p.becomeSnapshot();
  assert.equal(p.state, 'snapshot');
  assert.deepEqual(p.inflight, []);
  assert.equal(p.canSend(), false);
  assert.equal(p.rejected(9, 3), false);
  assert.equal(p.state, 'snapshot');
  const next = p.next;
  p.sent(12);
  assert.equal(p.next, next, 'sending in snapshot state moves nothing');
  assert.equal(p.probeSent, false);
});

test('becomeProbe keeps next above match; becomeReplicate restarts at match + 1', () => {
  const p = new Progress('n2', 0, 0);
  p.acknowledged(6, 0);
  p.next = 3;
  p.probeSent = true;
  p.becomeProbe();
  assert.equal(p.next, 7);
  assert.equal(p.probeSent, false);
  p.next = 9;
  p.becomeProbe();
  assert.equal(p.next, 9, 'a next above match stays');
  p.next = 7;
  p.becomeProbe();
  assert.equal(p.next, 7, 'next at match + 1 stays');
  p.inflight.push(1);
  p.probeSent = true;
  p.becomeReplicate();
  assert.equal(p.next, 7);
  assert.deepEqual(p.inflight, []);
  assert.equal(p.probeSent, false);
  p.probeSent = true;
  p.becomeSnapshot();
  assert.equal(p.probeSent, false);
});

test('an acceptance behind next leaves it; one at next moves it past', () => {
  const p = new Progress('n2', 0, 0);
  p.acknowledged(0, 0);
  p.sent(4);
  p.sent(8);
  assert.equal(p.next, 9);
  p.acknowledged(4, 1);
  assert.equal(p.next, 9, 'pipelined appends are not resent');
  const q = new Progress('n2', 3, 0);
  q.acknowledged(3, 0);
  assert.equal(q.next, 4);
  q.acknowledged(4, 0);
  assert.equal(q.next, 5, 'an acceptance at next');
});

test('becomeProbe moves a next that sits at match to match + 1', () => {
  const p = new Progress('n2', 0, 0);
  p.acknowledged(6, 0);
  p.next = 6;
  p.becomeProbe();
  assert.equal(p.next, 7);
});

test('retry hint: a hint without a term is taken as it is, without asking the log', () => {
  assert.equal(
    retryIndex(5, 0, () => assert.fail('the log was asked')),
    5,
  );
});
