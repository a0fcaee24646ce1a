/**
 * The commit protocols' message schemas refuse each kind of malformed message a peer could send,
 * naming the field, and each system takes only its own kinds; what they accept from the systems'
 * own nodes is test/systems/message-schemas.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  paxosCommitMessageProblem,
  replicatedTwoPcMessageProblem,
  twoPcMessageProblem,
} from '../../../src/protocols/twopc/message-schema.js';

const cluster = ['n1', 'n2', 'n3', 'n4'];

function assertRefused(
  check: (msg: unknown, cluster: readonly string[]) => string | undefined,
  cases: readonly (readonly [unknown, RegExp])[],
): void {
  for (const [msg, why] of cases) {
    const problem = check(msg, cluster);
    assert.ok(problem !== undefined, `accepted: ${JSON.stringify(msg)}`);
    assert.match(problem, why, JSON.stringify(msg));
  }
}

const prepare = { type: 'prepare', txn: '2.17', changes: { A: -5, C: 5 } };

test('2PC: a well-formed message passes, a malformed one is named by its field', () => {
  assert.equal(twoPcMessageProblem(prepare, cluster), undefined);
  assert.equal(
    twoPcMessageProblem({ type: 'vote', txn: '1.1', yes: true, balances: { A: 95 } }, cluster),
    undefined,
  );
  assertRefused(twoPcMessageProblem, [
    [{ ...prepare, txn: 'drop table' }, /^txn: /],
    [{ ...prepare, txn: 7 }, /^txn: /],
    [{ ...prepare, changes: { Z: 1 } }, /^changes\.Z: /],
    [{ ...prepare, changes: { A: 0.5 } }, /^changes\.A: /],
    [{ ...prepare, changes: { A: 1e300 } }, /^changes\.A: /],
    [{ ...prepare, rms: ['n2', 'n9'] }, /^rms\.1: /],
    [{ ...prepare, rms: ['n1', 'n2', 'n3', 'n4', 'n1'] }, /^rms: /],
    [{ type: 'decision', txn: '1.1', commit: 'yes' }, /^commit: /],
    [{ type: 'ack' }, /txn/],
    // Another system's kinds are no 2PC message.
    [{ type: 'c-prepare', txn: '1.1', ballot: 1 }, /^type: /],
    [{ type: 'pc-nack', txn: '1.1', ballot: 1, promised: 2 }, /^type: /],
  ]);
});

test('twopc-replicated: consensus messages are checked too', () => {
  const promise = {
    type: 'c-promise',
    txn: '1.2',
    ballot: 6,
    acceptedBallot: -1,
    acceptedCommit: null,
  };
  assert.equal(replicatedTwoPcMessageProblem(promise, cluster), undefined);
  assert.equal(replicatedTwoPcMessageProblem(prepare, cluster), undefined);
  assertRefused(replicatedTwoPcMessageProblem, [
    [{ ...promise, ballot: -1 }, /^ballot: /],
    [{ ...promise, acceptedBallot: -2 }, /^acceptedBallot: /],
    [{ ...promise, ballot: 2 ** 60 }, /^ballot: /],
    [{ ...promise, acceptedCommit: 'maybe' }, /^acceptedCommit: /],
    [{ type: 'pc-2b', txn: '1.1', ballot: 0, values: [] }, /^type: /],
  ]);
});

test('Paxos Commit: instance names are members, lists no longer than the cluster', () => {
  const vote = { prepared: true, balances: { A: 100 } };
  const twoA = {
    type: 'pc-2a',
    txn: '3.1',
    ballot: 0,
    rms: ['n2', 'n3'],
    values: [{ rm: 'n2', vote }],
  };
  const oneB = {
    type: 'pc-1b',
    txn: '3.1',
    ballot: 5,
    reports: [{ rm: 'n3', bal: -1, vote: null }],
  };
  assert.equal(paxosCommitMessageProblem(twoA, cluster), undefined);
  assert.equal(paxosCommitMessageProblem(oneB, cluster), undefined);
  assertRefused(paxosCommitMessageProblem, [
    [{ ...twoA, values: [{ rm: 'mallory', vote }] }, /^values\.0\.rm: /],
    [{ ...twoA, values: Array.from({ length: 5 }, () => ({ rm: 'n2', vote })) }, /^values: /],
    [
      { ...twoA, values: [{ rm: 'n2', vote: { prepared: 1, balances: {} } }] },
      /^values\.0\.vote\.prepared: /,
    ],
    [{ ...oneB, reports: [{ rm: 'n3', bal: -7, vote: null }] }, /^reports\.0\.bal: /],
    [{ type: 'pc-1a', txn: '3.1', ballot: 5, rms: ['n2'], instances: ['n7'] }, /^instances\.0: /],
    [{ type: 'pc-nack', txn: '3.1', ballot: 5, promised: 1e18 }, /^promised: /],
    [{ type: 'c-accept', txn: '1.1', ballot: 1, commit: true }, /^type: /],
  ]);
});
