/**
 * Paxos's message schemas refuse each kind of malformed message a peer could send, naming the
 * field; what they accept from the system's own nodes is test/systems/message-schemas.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKvOp } from '../../../src/core/kv.js';
import {
  multiPaxosMessageCheck,
  paxosMessageProblem,
} from '../../../src/protocols/paxos/message-schema.js';

const multiPaxosMessageProblem = multiPaxosMessageCheck((op) => isKvOp(op));

const cluster = ['n1', 'n2', 'n3'];

/** Each case must be refused, with a problem that matches its pattern. */
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

test('single-decree Paxos: a well-formed message passes, a malformed one is named by its field', () => {
  const promise = {
    type: 'promise',
    instance: 'i3',
    ballot: 4002,
    acceptedBallot: 3001,
    acceptedValue: '1.3',
  };
  assert.equal(paxosMessageProblem(promise, cluster), undefined);
  assert.equal(
    paxosMessageProblem({ ...promise, acceptedBallot: 0, acceptedValue: null }, cluster),
    undefined,
  );
  assertRefused(paxosMessageProblem, [
    [{ ...promise, ballot: '4002' }, /^ballot: /],
    [{ ...promise, ballot: -1000 }, /^ballot: /],
    [{ ...promise, ballot: 4002.5 }, /^ballot: /],
    [{ ...promise, ballot: 1e18 }, /^ballot: /],
    // Proposer index 3 in a 3-node cluster: no member made this ballot.
    [{ ...promise, ballot: 4003 }, /^ballot: names no proposer/],
    [{ ...promise, acceptedBallot: 1999 }, /^acceptedBallot: /],
    [{ ...promise, acceptedValue: 7 }, /^acceptedValue: /],
    [{ ...promise, instance: 7 }, /^instance: /],
    [{ type: 'accept', instance: 'i', ballot: 1000 }, /value/],
    [{ ...promise, extra: 1 }, /extra/],
    [{ type: 'elect-me', ballot: 1000 }, /^type: /],
    ['promise', /^message: /],
  ]);
});

test('Multi-Paxos: a well-formed message passes, a malformed one is named by its field', () => {
  const accept = {
    type: 'accept',
    ballot: 2001,
    slot: 9,
    cmd: { kind: 'op', client: 'c1', seq: 4, op: { f: 'put', key: 'k', value: 'v' } },
    chosenThrough: 8,
  };
  const entry = { slot: 1, cmd: { kind: 'noop' } };
  const chosen = { type: 'chosen', entries: Array.from({ length: 64 }, () => entry) };
  assert.equal(multiPaxosMessageProblem(accept, cluster), undefined);
  assert.equal(multiPaxosMessageProblem(chosen, cluster), undefined);
  assertRefused(multiPaxosMessageProblem, [
    [{ ...accept, slot: -1 }, /^slot: /],
    [{ ...accept, chosenThrough: 2 ** 53 }, /^chosenThrough: /],
    [{ ...accept, ballot: 2005 }, /^ballot: names no proposer/],
    [{ ...accept, cmd: { kind: 'op', client: 'c1', seq: 4 } }, /^cmd\.op: /],
    [
      { ...accept, cmd: { kind: 'op', client: 'c1', seq: 4, op: null } },
      /^cmd\.op: is no operation/,
    ],
    [
      { ...accept, cmd: { kind: 'op', client: 'c1', seq: 4, op: { f: 'rm', key: 'k' } } },
      /^cmd\.op: /,
    ],
    [
      { ...accept, cmd: { kind: 'op', client: '', seq: 4, op: { f: 'get', key: 'k' } } },
      /^cmd\.client: /,
    ],
    [
      { ...accept, cmd: { kind: 'op', client: 'c', seq: 1.5, op: { f: 'get', key: 'k' } } },
      /^cmd\.seq: /,
    ],
    [{ ...accept, cmd: { kind: 'magic' } }, /^cmd\.kind: /],
    [{ ...chosen, entries: [...chosen.entries, entry] }, /^entries: /],
    [
      { type: 'promise', ballot: 1000, accepted: [{ slot: 1, ballot: 'x', cmd: entry.cmd }] },
      /^accepted\.0\.ballot: /,
    ],
    [{ type: 'catchup' }, /from/],
    [{ type: 'heartbeat', ballot: 1000, chosenThrough: 3, leader: 'n1' }, /leader/],
  ]);
});
