/**
 * The quorum and membership rules of membership.ts pinned on the functions themselves: the
 * majority size, quorum checks, the quorum match that the commit rule reads, one-server
 * changes and etcd's strict removal check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  changeMembership,
  EMPTY_MEMBERSHIP,
  hasQuorum,
  isAdminOp,
  isMember,
  isMembershipRefusal,
  isVoter,
  MEMBERSHIP_REFUSALS,
  quorumMatch,
  quorumSize,
  removalKeepsQuorum,
  replicationTargets,
  sameMembership,
} from '../../../src/protocols/raft/membership.js';
import type { Membership } from '../../../src/protocols/raft/messages.js';

const voters = (n: number): Membership => ({
  voters: Array.from({ length: n }, (_, i) => `n${i + 1}`),
  learners: [],
});

test('quorum size is a strict majority of the voters', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => quorumSize(voters(n))),
    [1, 2, 2, 3, 3, 4, 4],
  );
  assert.equal(quorumSize({ voters: ['a', 'b', 'c'], learners: ['d', 'e', 'f'] }), 2);
});

test('hasQuorum counts voters only and needs a full majority', () => {
  const m: Membership = { voters: ['a', 'b', 'c', 'd'], learners: ['e', 'f'] };
  assert.equal(
    hasQuorum(m, (id) => ['a', 'b'].includes(id)),
    false,
    'two of four',
  );
  assert.equal(
    hasQuorum(m, (id) => ['a', 'b', 'c'].includes(id)),
    true,
    'three of four',
  );
  assert.equal(
    hasQuorum(m, (id) => ['a', 'e', 'f'].includes(id)),
    false,
    'learners count not',
  );
  assert.equal(
    hasQuorum(EMPTY_MEMBERSHIP, () => true),
    false,
    'no voters: no quorum',
  );
});

test('quorum match is the quorum-th largest match of the voters', () => {
  const m: Membership = { voters: ['a', 'b', 'c', 'd', 'e'], learners: ['f'] };
  const match: Record<string, number> = { a: 2, b: 10, c: 3, d: 9, e: 7, f: 100 };
  assert.equal(
    quorumMatch(m, (id) => match[id] ?? 0),
    7,
  );
  // Listed so that no unsorted position holds the answer; numeric order, not string order.
  assert.equal(
    quorumMatch(voters(3), (id) => ({ n1: 1, n2: 10, n3: 9 })[id] ?? 0),
    9,
  );
  assert.equal(
    quorumMatch(EMPTY_MEMBERSHIP, () => 5),
    0,
  );
});

test('membership predicates and replication targets', () => {
  const m: Membership = { voters: ['a', 'b'], learners: ['c'] };
  assert.equal(isVoter(m, 'a'), true);
  assert.equal(isVoter(m, 'c'), false);
  assert.equal(isMember(m, 'c'), true);
  assert.equal(isMember(m, 'a'), true);
  assert.equal(isMember(m, 'z'), false);
  assert.deepEqual(replicationTargets(m, 'a'), ['b', 'c']);
  assert.deepEqual(replicationTargets(m, 'z'), ['a', 'b', 'c']);
});

test('admin operations are recognized by their name and a node', () => {
  for (const f of ['add-learner', 'add-server', 'promote', 'remove-server', 'transfer-leader']) {
    assert.equal(isAdminOp({ f, node: 'n1' }), true, f);
  }
  assert.equal(isAdminOp({ f: 'put', node: 'n1' }), false);
  assert.equal(isAdminOp({ f: 'promote' }), false);
  assert.equal(isAdminOp({ f: 'promote', node: 3 }), false);
  assert.equal(isAdminOp(null), false);
  assert.equal(isAdminOp('promote'), false);
  assert.equal(isMembershipRefusal(MEMBERSHIP_REFUSALS.notLearner), true);
  assert.equal(isMembershipRefusal('membership: something else'), false);
});

const U = ['n1', 'n2', 'n3', 'n4'];

test("one-server changes: learners join in the cluster's order and are promoted out of learners", () => {
  const m: Membership = { voters: ['n1', 'n3'], learners: ['n4'] };
  assert.deepEqual(changeMembership(U, m, { f: 'add-learner', node: 'n2' }), {
    voters: ['n1', 'n3'],
    learners: ['n2', 'n4'],
  });
  assert.deepEqual(changeMembership(U, m, { f: 'promote', node: 'n4' }), {
    voters: ['n1', 'n3', 'n4'],
    learners: [],
  });
  assert.deepEqual(changeMembership(U, m, { f: 'add-server', node: 'n2' }), {
    voters: ['n1', 'n2', 'n3'],
    learners: ['n4'],
  });
  assert.deepEqual(changeMembership(U, m, { f: 'remove-server', node: 'n4' }), {
    voters: ['n1', 'n3'],
    learners: [],
  });
  assert.deepEqual(changeMembership(U, m, { f: 'remove-server', node: 'n1' }), {
    voters: ['n3'],
    learners: ['n4'],
  });
});

test('one-server changes refuse what makes no sense', () => {
  const m: Membership = { voters: ['n1', 'n3'], learners: ['n4'] };
  const R = MEMBERSHIP_REFUSALS;
  assert.equal(changeMembership(U, m, { f: 'add-learner', node: 'n9' }), R.unknownServer);
  assert.equal(changeMembership(U, m, { f: 'add-learner', node: 'n4' }), R.alreadyMember);
  assert.equal(changeMembership(U, m, { f: 'add-learner', node: 'n1' }), R.alreadyMember);
  assert.equal(changeMembership(U, m, { f: 'add-server', node: 'n3' }), R.alreadyMember);
  assert.equal(changeMembership(U, m, { f: 'promote', node: 'n3' }), R.alreadyMember);
  assert.equal(changeMembership(U, m, { f: 'promote', node: 'n2' }), R.notLearner);
  assert.equal(changeMembership(U, m, { f: 'remove-server', node: 'n2' }), R.notMember);
  const one: Membership = { voters: ['n1'], learners: ['n2'] };
  assert.equal(changeMembership(U, one, { f: 'remove-server', node: 'n1' }), R.notEnoughActive);
  assert.deepEqual(changeMembership(U, one, { f: 'remove-server', node: 'n2' }), {
    voters: ['n1'],
    learners: [],
  });
});

test('strict removal: the voters left that are active must be a majority without the removed one', () => {
  const m: Membership = { voters: ['a', 'b', 'c'], learners: ['l'] };
  assert.equal(
    removalKeepsQuorum(m, 'l', () => false),
    true,
    'a learner always goes',
  );
  assert.equal(
    removalKeepsQuorum(m, 'a', (id) => id === 'b'),
    false,
    'b alone of b, c',
  );
  assert.equal(
    removalKeepsQuorum(m, 'a', (id) => id !== 'a'),
    true,
    'b and c are up',
  );
  assert.equal(
    removalKeepsQuorum(m, 'a', (id) => id === 'a' || id === 'l' || id === 'b'),
    false,
    'neither the removed voter nor a learner counts for the rest',
  );
});

test('sameMembership compares voters and learners in order', () => {
  const a: Membership = { voters: ['n1', 'n2'], learners: ['n3'] };
  assert.equal(sameMembership(a, { voters: ['n1', 'n2'], learners: ['n3'] }), true);
  assert.equal(sameMembership(a, { voters: ['n2', 'n1'], learners: ['n3'] }), false);
  assert.equal(sameMembership(a, { voters: ['n1', 'n2'], learners: ['n4'] }), false);
  assert.equal(sameMembership(a, { voters: ['n1', 'n2'], learners: [] }), false);
  assert.equal(sameMembership(a, { voters: ['n1'], learners: ['n3'] }), false);
  assert.equal(sameMembership(a, { voters: ['n1', 'n2', 'n3'], learners: [] }), false);
});

test('refusals are fixed texts that front ends map by equality', () => {
  assert.deepEqual(MEMBERSHIP_REFUSALS, {
    unknownServer: 'membership: no such server in the cluster',
    alreadyMember: 'membership: already a member',
    notMember: 'membership: not a member',
    notLearner: 'membership: can only promote a learner',
    learnerNotReady: 'membership: the learner is not caught up with the leader',
    notEnoughActive:
      'membership: removing it would leave fewer active voters than a majority of the rest',
  });
  assert.deepEqual(EMPTY_MEMBERSHIP, { voters: [], learners: [] });
});

test('sameMembership: every voter and every learner, and nothing more', () => {
  const a: Membership = { voters: ['n1', 'n2'], learners: ['n3'] };
  assert.equal(sameMembership(a, { voters: ['n1', 'n4'], learners: ['n3'] }), false);
  const b: Membership = { voters: ['n1'], learners: ['n2', 'n3'] };
  assert.equal(sameMembership(b, { voters: ['n1'], learners: ['n2', 'n4'] }), false);
  assert.equal(sameMembership({ voters: ['n1'], learners: [] }, b), false, 'learners a prefix');
  const c: Membership = { voters: ['n1'], learners: ['n2'] };
  assert.equal(sameMembership({ voters: [], learners: ['n2'] }, c), false, 'voters a prefix');
});
