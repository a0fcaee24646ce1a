/**
 * Zab's fast leader election (election.ts) pinned on its functions: the vote order (epoch,
 * then zxid, then id), vote equality, the round rules and the quorum that decides or that
 * a server joins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { betterVote, Election, sameVote } from '../../../src/protocols/zab/election.js';
import type { Vote } from '../../../src/protocols/zab/messages.js';

const v = (leader: string, epoch: number, e: number, c: number): Vote => ({
  leader,
  epoch,
  zxid: [e, c],
});

test('vote order: a greater epoch wins, whatever the zxid and id', () => {
  assert.equal(betterVote(v('n1', 3, 1, 1), v('n9', 2, 2, 9)), true);
  assert.equal(betterVote(v('n9', 2, 2, 9), v('n1', 3, 1, 1)), false);
});

test('vote order: equal epochs, the later zxid wins, whatever the id', () => {
  assert.equal(betterVote(v('n1', 2, 2, 5), v('n9', 2, 2, 4)), true);
  assert.equal(betterVote(v('n9', 2, 2, 4), v('n1', 2, 2, 5)), false);
});

test('vote order: equal epochs and zxids, the greater id wins; a vote does not beat itself', () => {
  assert.equal(betterVote(v('n2', 2, 2, 4), v('n1', 2, 2, 4)), true);
  assert.equal(betterVote(v('n1', 2, 2, 4), v('n2', 2, 2, 4)), false);
  assert.equal(betterVote(v('n1', 2, 2, 4), v('n1', 2, 2, 4)), false);
});

test('sameVote: leader, epoch and zxid all equal', () => {
  const a = v('n1', 2, 2, 4);
  assert.equal(sameVote(a, v('n1', 2, 2, 4)), true);
  assert.equal(sameVote(a, v('n2', 2, 2, 4)), false, 'another leader');
  assert.equal(sameVote(a, v('n1', 3, 2, 4)), false, 'another epoch');
  assert.equal(sameVote(a, v('n1', 2, 2, 5)), false, 'another zxid');
  assert.equal(sameVote(a, v('n2', 3, 2, 4)), false);
  assert.equal(sameVote(a, v('n2', 2, 2, 5)), false);
});

test('election: a quorum of the round voting alike decides; a different vote does not count', () => {
  const own = v('n1', 1, 1, 1);
  const e = new Election('n1', 2, own);
  e.restart(own);
  assert.equal(e.round, 1);
  assert.equal(e.decided(), false, 'one vote of two');
  assert.deepEqual(e.onNotification('n2', 1, 'looking', v('n1', 1, 1, 0), own), { kind: 'none' });
  assert.equal(e.decided(), false, 'n2 votes n1 with another zxid');
  assert.deepEqual(e.onNotification('n3', 1, 'looking', own, own), { kind: 'none' });
  assert.equal(e.decided(), true);
});

test('election: a better vote in the round is adopted and broadcast', () => {
  const own = v('n1', 1, 1, 1);
  const e = new Election('n1', 2, own);
  e.restart(own);
  const better = v('n3', 1, 1, 5);
  assert.deepEqual(e.onNotification('n3', 1, 'looking', better, own), { kind: 'broadcast' });
  assert.deepEqual(e.vote, better);
  assert.equal(e.decided(), true, 'n3 and our own vote, now the same');
});

test('election: a later round resets the votes; an earlier one is answered', () => {
  const own = v('n1', 1, 1, 1);
  const e = new Election('n1', 3, own);
  e.restart(own);
  e.onNotification('n2', 1, 'looking', own, own);
  assert.deepEqual(e.onNotification('n3', 4, 'looking', v('n0', 1, 1, 0), own), {
    kind: 'broadcast',
  });
  assert.equal(e.round, 4);
  assert.deepEqual(e.vote, own, "our own vote is better than n0's");
  assert.equal(e.decided(), false, "n2's vote of round 1 is forgotten");
  assert.deepEqual(e.onNotification('n2', 2, 'looking', own, own), { kind: 'answer' });
  assert.equal(e.round, 4);
  const f = new Election('n1', 2, own);
  f.restart(own);
  const later = v('n5', 2, 2, 1);
  f.onNotification('n5', 3, 'looking', later, own);
  assert.deepEqual(f.vote, later, 'a better vote of a later round is adopted');
});

test('election: join a leader only when a quorum outside names it and it says it leads', () => {
  const own = v('n1', 1, 1, 1);
  const lead = v('n3', 2, 2, 0);
  const e = new Election('n1', 2, own);
  e.restart(own);
  assert.deepEqual(e.onNotification('n2', 5, 'following', lead, own), { kind: 'none' });
  assert.deepEqual(e.onNotification('n3', 5, 'leading', lead, own), {
    kind: 'join',
    leader: 'n3',
  });
  assert.equal(e.round, 5, "the round moves up to the leader's");
  const g = new Election('n1', 2, own);
  g.restart(own);
  g.onNotification('n2', 1, 'following', lead, own);
  assert.deepEqual(
    g.onNotification('n4', 1, 'following', lead, own),
    { kind: 'none' },
    'n3 never said it leads',
  );
  const h = new Election('n1', 2, own);
  h.round = 7;
  h.onNotification('n2', 1, 'following', lead, own);
  h.onNotification('n3', 1, 'leading', lead, own);
  assert.equal(h.round, 7, 'the round never moves back');
});

test('election: a quorum naming ourselves is not a leader to join', () => {
  const own = v('n1', 1, 1, 1);
  const e = new Election('n1', 2, own);
  e.restart(own);
  const me = v('n1', 2, 2, 0);
  e.onNotification('n1', 1, 'leading', me, own);
  assert.deepEqual(e.onNotification('n2', 1, 'following', me, own), { kind: 'none' });
});

test('election: joining needs a quorum of servers outside that agree', () => {
  const own = v('n1', 1, 1, 1);
  const e = new Election('n1', 3, own);
  e.restart(own);
  e.onNotification('n2', 1, 'following', v('n4', 2, 2, 0), own);
  assert.deepEqual(e.onNotification('n3', 1, 'leading', v('n3', 2, 2, 0), own), { kind: 'none' });
  assert.deepEqual(
    e.onNotification('n5', 1, 'following', v('n3', 2, 2, 0), own),
    { kind: 'none' },
    'two of three',
  );
});

test('election: the named leader must itself say it leads, not merely be outside', () => {
  const own = v('n1', 1, 1, 1);
  const lead = v('n3', 2, 2, 0);
  const e = new Election('n1', 2, own);
  e.restart(own);
  e.onNotification('n2', 1, 'following', lead, own);
  assert.deepEqual(e.onNotification('n3', 1, 'following', lead, own), { kind: 'none' });
});
