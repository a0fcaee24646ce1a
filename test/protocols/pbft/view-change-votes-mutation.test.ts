/**
 * The VIEW-CHANGE messages a PBFT replica holds (view-change-votes.ts; Castro & Liskov, TOCS
 * 2002 §4.5.2 "liveness"): a replica that receives view-changes for views above its own from
 * f + 1 distinct other replicas joins the smallest of those views; only a sender's highest
 * request above the replica's view is kept, so a faulty replica cannot hold memory for ever
 * higher views nor be counted twice. One rule per test, on the class itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignedMsg } from '../../../src/protocols/pbft/crypto.js';
import { ViewChangeVotes } from '../../../src/protocols/pbft/view-change-votes.js';
import type { ViewChangeInfo } from '../../../src/protocols/pbft/view-change.js';

/** `i`'s (already verified) view-change to `v`; `tag` tells two messages of one sender apart. */
function vc(i: string, v: number, tag = ''): { msg: SignedMsg; info: ViewChangeInfo } {
  const info: ViewChangeInfo = { i, v, n: 0, ckptDigest: null, C: [], prepared: new Map() };
  return {
    msg: { type: 'pbft', p: JSON.stringify({ i, v, tag }), s: `sig-${i}-${v}${tag}` },
    info,
  };
}

function add(votes: ViewChangeVotes, i: string, v: number, current: number, tag = ''): boolean {
  const { msg, info } = vc(i, v, tag);
  return votes.add(msg, info, current);
}

const senders = (votes: ViewChangeVotes, v: number) => [...(votes.forView(v)?.keys() ?? [])];

test('view-changes are held per view and per sender', () => {
  const votes = new ViewChangeVotes();
  assert.equal(votes.forView(1), undefined);
  assert.equal(add(votes, 'n2', 1, 0), true);
  assert.equal(add(votes, 'n3', 1, 0), true);
  assert.deepEqual(senders(votes, 1), ['n2', 'n3']);
  const held = votes.forView(1)?.get('n2');
  assert.deepEqual(held, vc('n2', 1));
});

test('one view-change per sender and view: the first is kept', () => {
  const votes = new ViewChangeVotes();
  assert.equal(add(votes, 'n2', 2, 0, 'first'), true);
  assert.equal(add(votes, 'n2', 2, 0, 'second'), true);
  assert.equal(votes.forView(2)?.size, 1);
  assert.deepEqual(votes.forView(2)?.get('n2')?.msg, vc('n2', 2, 'first').msg);
  // The same at the view being entered.
  assert.equal(add(votes, 'n3', 0, 0, 'first'), true);
  assert.equal(add(votes, 'n3', 0, 0, 'second'), true);
  assert.deepEqual(votes.forView(0)?.get('n3')?.msg, vc('n3', 0, 'first').msg);
});

test("a sender's higher view above ours replaces its lower one", () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n2', 2, 0);
  add(votes, 'n3', 2, 0);
  assert.equal(add(votes, 'n2', 3, 0), true);
  assert.deepEqual(senders(votes, 2), ['n3'], 'n2 left view 2, n3 stays');
  assert.deepEqual(senders(votes, 3), ['n2']);
  assert.equal(add(votes, 'n3', 4, 0), true);
  assert.equal(votes.forView(2), undefined, 'a view nobody asks for any more is forgotten');
});

test("a sender's lower view above ours after a higher one is refused", () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n2', 3, 0);
  assert.equal(add(votes, 'n2', 2, 0), false);
  assert.equal(votes.forView(2), undefined);
  assert.deepEqual(senders(votes, 3), ['n2']);
});

test("other senders' higher views do not refuse or displace a sender's view-change", () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n3', 3, 0);
  assert.equal(add(votes, 'n2', 2, 0), true);
  assert.deepEqual(senders(votes, 2), ['n2']);
  assert.deepEqual(senders(votes, 3), ['n3']);
});

test('view-changes for the view being entered are kept when their sender asks for a higher one', () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n2', 1, 1);
  assert.equal(add(votes, 'n2', 3, 1), true);
  assert.deepEqual(senders(votes, 1), ['n2'], 'still counts towards the NEW-VIEW of view 1');
  assert.deepEqual(senders(votes, 3), ['n2']);
  // And a view-change for the view being entered is taken even when its sender asked higher.
  assert.equal(add(votes, 'n3', 3, 1), true);
  assert.equal(add(votes, 'n3', 1, 1), true);
  assert.deepEqual(senders(votes, 1), ['n2', 'n3']);
  assert.deepEqual(senders(votes, 3), ['n2', 'n3']);
});

test('f + 1 distinct other replicas asking for higher views make a replica join the smallest', () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n2', 5, 1);
  assert.equal(votes.joinTarget(1, 'n1', 2), undefined, 'f = 1 asking: it may be the faulty one');
  add(votes, 'n3', 3, 1);
  assert.equal(votes.joinTarget(1, 'n1', 2), 3, 'f + 1 = 2: the smallest of their views');
  assert.equal(votes.joinTarget(1, 'n1', 3), undefined, 'at f = 2, two are not enough');
});

test('a replica does not count itself towards joining', () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n1', 2, 1);
  add(votes, 'n2', 4, 1);
  assert.equal(votes.joinTarget(1, 'n1', 2), undefined, 'itself and one other');
  add(votes, 'n3', 3, 1);
  assert.equal(votes.joinTarget(1, 'n1', 2), 3, "its own view 2 is not the others' smallest");
});

test('view-changes for our view or below do not count towards joining', () => {
  const votes = new ViewChangeVotes();
  add(votes, 'n2', 1, 1);
  add(votes, 'n3', 1, 1);
  add(votes, 'n4', 2, 1);
  assert.equal(votes.joinTarget(1, 'n1', 2), undefined);
  add(votes, 'n3', 3, 1);
  assert.equal(votes.joinTarget(1, 'n1', 2), 2);
});

test('dropBelow(v) forgets views below v; dropThrough(v) forgets v too', () => {
  const votes = new ViewChangeVotes();
  for (const v of [1, 2, 3, 4]) add(votes, `n${v}`, v, 0);
  votes.dropBelow(2);
  assert.equal(votes.forView(1), undefined);
  assert.deepEqual(senders(votes, 2), ['n2']);
  votes.dropThrough(3);
  assert.equal(votes.forView(2), undefined);
  assert.equal(votes.forView(3), undefined);
  assert.deepEqual(senders(votes, 4), ['n4']);
});
