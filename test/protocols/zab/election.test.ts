/** Fast leader election's vote order and decisions (election.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { betterVote, Election } from '../../../src/protocols/zab/election.js';
import type { Vote } from '../../../src/protocols/zab/messages.js';

const vote = (leader: string, epoch: number, zxid: [number, number]): Vote => ({
  leader,
  epoch,
  zxid,
});

const ORDER: readonly [Vote, Vote][] = [
  // A greater epoch wins over a longer history of an older one.
  [vote('n1', 3, [2, 1]), vote('n2', 2, [2, 9])],
  // Same epoch: the later zxid.
  [vote('n1', 2, [2, 5]), vote('n3', 2, [2, 4])],
  [vote('n1', 2, [2, 1]), vote('n3', 2, [1, 9])],
  // Same history: the greater id.
  [vote('n3', 2, [2, 5]), vote('n2', 2, [2, 5])],
];

for (const [a, b] of ORDER) {
  test(`${JSON.stringify(a)} beats ${JSON.stringify(b)}`, () => {
    assert.equal(betterVote(a, b), true);
    assert.equal(betterVote(b, a), false);
  });
}

test('a looking server adopts a better vote and decides once a quorum of its round agrees', () => {
  const own = vote('n1', 1, [1, 3]);
  const e = new Election('n1', 2, own);
  e.restart(own);
  assert.equal(e.decided(), false);
  const better = vote('n2', 1, [1, 4]);
  assert.deepEqual(e.onNotification('n2', 1, 'looking', better, own), { kind: 'broadcast' });
  assert.deepEqual(e.vote, better);
  assert.equal(e.decided(), true);
  // A worse vote of the round changes nothing; an older round is answered.
  assert.deepEqual(e.onNotification('n3', 1, 'looking', own, own), { kind: 'none' });
  assert.deepEqual(e.onNotification('n3', 0, 'looking', own, own), { kind: 'answer' });
});

test('a later round resets the votes', () => {
  const own = vote('n1', 1, [1, 3]);
  const e = new Election('n1', 2, own);
  e.restart(own);
  e.onNotification('n2', 1, 'looking', vote('n2', 1, [1, 1]), own);
  assert.deepEqual(e.onNotification('n3', 5, 'looking', vote('n3', 1, [1, 1]), own), {
    kind: 'broadcast',
  });
  assert.equal(e.round, 5);
  assert.deepEqual(e.vote, own);
});

test('servers outside the election are joined only once a quorum names a leader that leads', () => {
  const own = vote('n1', 1, [1, 3]);
  const e = new Election('n1', 2, own);
  e.restart(own);
  const v = vote('n3', 2, [2, 7]);
  assert.deepEqual(e.onNotification('n2', 4, 'following', v, own), { kind: 'none' });
  assert.deepEqual(e.onNotification('n3', 4, 'leading', v, own), { kind: 'join', leader: 'n3' });
});

test('followers alone (the leader silent) are not joined', () => {
  const own = vote('n1', 1, [1, 3]);
  const e = new Election('n1', 2, own);
  e.restart(own);
  const v = vote('n4', 2, [2, 7]);
  e.onNotification('n2', 4, 'following', v, own);
  assert.deepEqual(e.onNotification('n3', 4, 'following', v, own), { kind: 'none' });
});
