/**
 * PBFT's quorum arithmetic (quorums.ts) at its edges: the smallest cluster, f = 0, the
 * textbook 2f + 1 rule, and the typed errors with readable texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUORUM_RULES, QuorumError, quorums } from '../../../src/protocols/pbft/quorums.js';

test('quorum rules are safe, live and the textbook 2f + 1', () => {
  assert.deepEqual(QUORUM_RULES, ['safe', 'live', 'fixed-2f+1']);
});

test('the smallest cluster: one replica, no fault, a quorum of one', () => {
  assert.deepEqual(quorums(1), { n: 1, f: 0, quorum: 1, weak: 1 });
  assert.deepEqual(quorums(4, 0), { n: 4, f: 0, quorum: 3, weak: 1 });
});

test('fixed-2f+1 is 2f + 1 whatever n is', () => {
  assert.equal(quorums(7, 2, 'fixed-2f+1').quorum, 5);
  assert.equal(quorums(9, 2, 'fixed-2f+1').quorum, 5);
  assert.equal(quorums(9, 2, 'live').quorum, 7);
  assert.equal(quorums(9, 2, 'safe').quorum, 6);
});

test('a bad n or f is a typed QuorumError with a readable text', () => {
  const refused = (fn: () => unknown, code: string, text: string): void => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof QuorumError);
      assert.equal(e.name, 'QuorumError');
      assert.equal(e.code, code);
      assert.equal(e.message, text);
      return true;
    });
  };
  refused(() => quorums(0), 'bad-n', 'pbft: a cluster needs a positive integer of replicas, not 0');
  refused(
    () => quorums(4, -1),
    'bad-f',
    'pbft: f must be an integer in [0, 1] for 4 replicas, not -1',
  );
  refused(
    () => quorums(4, 2),
    'bad-f',
    'pbft: f must be an integer in [0, 1] for 4 replicas, not 2',
  );
});
