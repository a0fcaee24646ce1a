/**
 * Paxos's acceptor rules, pinned on one acceptor driven message by message (issue 27 item 2):
 * the promise rule (promise no ballot below one promised, report the highest accepted value,
 * answer only once the promise is durable) and the accept rule (accept no ballot below one
 * promised, answer only once the acceptance is durable). The anomaly each prevents, two values
 * chosen for one instance, is shown on the whole system by test/systems/paxos.test.ts: "paxos:
 * the forget-promise mutant lets two values be chosen" and "paxos: the accept-lower-ballot
 * mutant is caught without any fault".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv, NodeId } from '../../../src/core/node.js';
import { streamFor } from '../../../src/core/random.js';
import { ManualStore } from '../../support/manual-store.js';
import { makeBallot } from '../../../src/protocols/paxos/ballot.js';
import {
  NO_MUTANTS,
  SingleDecreePaxosNode,
  type PaxosMsg,
  type PaxosMutants,
} from '../../../src/protocols/paxos/single-decree.js';

interface Acceptor {
  readonly node: SingleDecreePaxosNode;
  readonly disk: ManualStore;
  /** What it sent to n1 (the proposer in these tests), in order. */
  readonly toN1: PaxosMsg[];
}

/** Acceptor n2 of three on `disk`. */
function acceptor(disk = new ManualStore(), mutants: PaxosMutants = NO_MUTANTS): Acceptor {
  const toN1: PaxosMsg[] = [];
  const env: NodeEnv<PaxosMsg> = {
    id: 'n2',
    cluster: ['n1', 'n2', 'n3'],
    peers: ['n1', 'n3'],
    now: () => 0,
    random: streamFor(1, 'paxos-rules-test'),
    send: (to: NodeId, msg) => {
      if (to === 'n1') toN1.push(msg);
    },
    setTimer: () => 1,
    cancelTimer: () => {},
    storage: disk,
    reply: () => {},
    log: () => {},
    metric: () => {},
  };
  const node = new SingleDecreePaxosNode(env, { mutants, backoff: true, maxBallots: 40 });
  node.start();
  return { node, disk, toN1 };
}

const I = 'k';
const b = (round: number, proposer = 0) => makeBallot(round, proposer);
const prepare = (ballot: number): PaxosMsg => ({ type: 'prepare', instance: I, ballot });
const accept = (ballot: number, value: string): PaxosMsg => ({
  type: 'accept',
  instance: I,
  ballot,
  value,
});
const types = (a: Acceptor) => a.toN1.map((m) => `${m.type} ${m.ballot}`);

test('paxos promise rule: a prepare below the ballot promised is refused', () => {
  const a = acceptor();
  a.node.onMessage('n1', prepare(b(5)));
  a.disk.flush();
  a.node.onMessage('n1', prepare(b(4)));
  a.disk.flush();
  a.node.onMessage('n1', prepare(b(5)));
  a.disk.flush();
  assert.deepEqual(types(a), [`promise ${b(5)}`, `nack ${b(4)}`, `promise ${b(5)}`]);
  const nack = a.toN1[1];
  assert.ok(nack?.type === 'nack');
  assert.equal(nack.promised, b(5), 'the nack names the ballot promised');
});

test('paxos promise rule: a promise reports the highest-ballot value accepted', () => {
  const a = acceptor();
  a.node.onMessage('n1', accept(b(2), 'x'));
  a.node.onMessage('n1', accept(b(3), 'y'));
  a.disk.flush();
  a.node.onMessage('n1', prepare(b(7)));
  a.disk.flush();
  const promise = a.toN1.find((m) => m.type === 'promise');
  assert.ok(promise?.type === 'promise');
  assert.deepEqual([promise.acceptedBallot, promise.acceptedValue], [b(3), 'y']);
});

test('paxos promise rule: the promise is durable before it is sent, and survives a crash', () => {
  const a = acceptor();
  a.node.onMessage('n1', prepare(b(5)));
  assert.deepEqual(types(a), [], 'sent before the promise reached the disk');
  a.disk.flush();
  assert.deepEqual(types(a), [`promise ${b(5)}`]);
  const restarted = acceptor(a.disk.afterCrash());
  restarted.node.onMessage('n1', prepare(b(4)));
  restarted.node.onMessage('n1', accept(b(4), 'late'));
  restarted.disk.flush();
  assert.deepEqual(types(restarted), [`nack ${b(4)}`, `nack ${b(4)}`]);
});

test('paxos promise rule: the forget-promise mutant answers at once and forgets on a crash', () => {
  const a = acceptor(undefined, { ...NO_MUTANTS, forgetPromise: true });
  a.node.onMessage('n1', prepare(b(5)));
  assert.deepEqual(types(a), [`promise ${b(5)}`]);
  const restarted = acceptor(a.disk.afterCrash(), { ...NO_MUTANTS, forgetPromise: true });
  restarted.node.onMessage('n1', prepare(b(4)));
  assert.deepEqual(types(restarted), [`promise ${b(4)}`], 'the broken promise');
});

test('paxos accept rule: an accept below the ballot promised is refused; at or above it is accepted', () => {
  const a = acceptor();
  a.node.onMessage('n1', prepare(b(5)));
  a.disk.flush();
  a.node.onMessage('n1', accept(b(4), 'old'));
  a.node.onMessage('n1', accept(b(5), 'v'));
  a.node.onMessage('n1', accept(b(6), 'w'));
  a.disk.flush();
  assert.deepEqual(types(a), [
    `promise ${b(5)}`,
    `nack ${b(4)}`,
    `accepted ${b(5)}`,
    `accepted ${b(6)}`,
  ]);
  // A later accept raises the promise: a prepare between is refused.
  a.node.onMessage('n1', prepare(b(5, 1)));
  assert.equal(types(a).at(-1), `nack ${b(5, 1)}`);
});

test('paxos accept rule: the acceptance is durable before it is announced, and survives a crash', () => {
  const a = acceptor();
  a.node.onMessage('n1', accept(b(2), 'v'));
  assert.deepEqual(types(a), [], 'announced before it reached the disk');
  a.disk.flush();
  assert.deepEqual(types(a), [`accepted ${b(2)}`]);
  const restarted = acceptor(a.disk.afterCrash());
  restarted.node.onMessage('n1', prepare(b(3)));
  restarted.disk.flush();
  const promise = restarted.toN1[0];
  assert.ok(promise?.type === 'promise');
  assert.deepEqual([promise.acceptedBallot, promise.acceptedValue], [b(2), 'v']);
});

test('paxos accept rule: the accept-lower-ballot mutant accepts below its promise', () => {
  const a = acceptor(undefined, { ...NO_MUTANTS, acceptLowerBallot: true });
  a.node.onMessage('n1', prepare(b(5)));
  a.node.onMessage('n1', accept(b(4), 'old'));
  a.disk.flush();
  assert.deepEqual(types(a), [`promise ${b(5)}`, `accepted ${b(4)}`]);
});
