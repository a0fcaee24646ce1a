/**
 * An acceptor's promise is durable before it is sent, even when a hint (a nack's or a
 * heartbeat's ballot) already raised it in memory: found by a 10,000-seed sweep
 * (`truthkit sim kv-paxos --swarm --seed 408`, at a93cbe3), where n2 had learned ballot 27000
 * from a nack, promised it without writing it, crashed, and after the restart promised 26002 —
 * and two values were chosen for slot 158. Also: a restarted acceptor has promised at least every
 * ballot it accepted in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { NodeEnv, NodeId } from '../../../src/core/node.js';
import { streamFor } from '../../../src/core/random.js';
import { OpLogStore, type StoreOp } from '../../../src/core/storage.js';
import { makeBallot } from '../../../src/protocols/paxos/ballot.js';
import {
  MultiPaxosNode,
  type MultiPaxosMsg,
  type StateMachine,
} from '../../../src/protocols/paxos/multi-paxos.js';

class MemStore extends OpLogStore {
  readonly unsyncedWrites = 0;
  protected keep(_op: StoreOp): void {}
  sync(onDurable: () => void): void {
    onDurable();
  }
}

const machine: StateMachine = { apply: () => null, valid: () => true, summary: () => ({}) };
const NO_MUTANTS = { forgetPromise: false, acceptLowerBallot: false };
const cluster: readonly NodeId[] = ['n1', 'n2', 'n3'];

/** n2, over `storage`, recording what it sends with what its disk held at that moment. */
function acceptor(storage: MemStore, sent: { to: NodeId; msg: MultiPaxosMsg; disk: Json }[]) {
  const env: NodeEnv<MultiPaxosMsg> = {
    id: 'n2',
    cluster,
    peers: ['n1', 'n3'],
    now: () => 0,
    random: streamFor(1, 'multi-paxos-promise-test'),
    send: (to, msg) => sent.push({ to, msg, disk: storage.get('promised') ?? null }),
    setTimer: () => 1,
    cancelTimer: () => {},
    storage,
    reply: () => {},
    log: () => {},
    metric: () => {},
  };
  const node = new MultiPaxosNode(env, machine, NO_MUTANTS);
  node.start();
  return node;
}

test('a promise raised in memory by a nack is written before it is sent', () => {
  const storage = new MemStore();
  const sent: { to: NodeId; msg: MultiPaxosMsg; disk: Json }[] = [];
  const n2 = acceptor(storage, sent);
  const high = makeBallot(27, 0);
  const low = makeBallot(26, 2);
  // A nack tells n2 of ballot 27000 (it raises its promise in memory only)…
  n2.onMessage('n1', { type: 'nack', ballot: makeBallot(1, 1), promised: high });
  // …then n1's prepare of that very ballot: the promise must be on disk when it goes out.
  n2.onMessage('n1', { type: 'prepare', ballot: high, from: 1 });
  const promise = sent.find((s) => s.msg.type === 'promise');
  assert.ok(promise !== undefined, 'no promise sent');
  assert.equal(promise.disk, high, 'the promise was sent before it was durable');
  // After a crash, the restarted acceptor refuses the lower ballot.
  const after: { to: NodeId; msg: MultiPaxosMsg; disk: Json }[] = [];
  const restarted = acceptor(storage, after);
  restarted.onMessage('n3', { type: 'prepare', ballot: low, from: 1 });
  assert.deepEqual(
    after.map((s) => s.msg.type),
    ['nack'],
  );
});

test('a restarted acceptor has promised at least every ballot it accepted in', () => {
  const storage = new MemStore();
  const ballot = makeBallot(5, 0);
  storage.put('promised', makeBallot(2, 1));
  storage.put('slot/1', { ballot, cmd: { kind: 'noop' } });
  const sent: { to: NodeId; msg: MultiPaxosMsg; disk: Json }[] = [];
  const n2 = acceptor(storage, sent);
  n2.onMessage('n3', { type: 'prepare', ballot: makeBallot(4, 2), from: 1 });
  assert.deepEqual(
    sent.map((s) => s.msg.type),
    ['nack'],
  );
});
