/**
 * The leader's side of reads (leader-read.ts) over a hand-driven host: which follower read-index
 * requests it refuses at once, when the three-voter shortcut answers without a round, reads held
 * until the leader's first commit in its term and released when it applies, and what stepping
 * down does to reads in flight. The scenario and transcript tests reach these paths only by
 * chance; the mutation run (docs/testing.md, `raft-reads`) found them unpinned.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientReply, NodeEnv, NodeId } from '../../../src/core/node.js';
import { DEFAULT_TIMING, type Role } from '../../../src/protocols/raft/election.js';
import { LeaderReads, type LeaderReadHost } from '../../../src/protocols/raft/leader-read.js';
import type { RaftMsg } from '../../../src/protocols/raft/messages.js';

interface Harness {
  readonly reads: LeaderReads;
  readonly sent: { to: NodeId; msg: RaftMsg }[];
  readonly replies: { request: number; reply: ClientReply }[];
  readonly notLeader: number[];
  readonly metrics: string[];
  heartbeats: number;
  role: Role;
  term: number;
  commit: number;
  applied: number;
  committedInTerm: boolean;
  hearsQuorum: boolean;
  readonly rounds: Map<NodeId, number>;
}

function harness(voters: readonly NodeId[], options: { noRound?: boolean } = {}): Harness {
  const h = {
    sent: [],
    replies: [],
    notLeader: [],
    metrics: [],
    heartbeats: 0,
    role: 'leader',
    term: 3,
    commit: 7,
    applied: 7,
    committedInTerm: true,
    hearsQuorum: true,
    rounds: new Map<NodeId, number>(),
  } as Omit<Harness, 'reads'> & { reads?: LeaderReads };
  const env = {
    id: 'n1',
    now: () => 1000,
    send: (to: NodeId, msg: RaftMsg) => h.sent.push({ to, msg }),
    reply: (request: number, reply: ClientReply) => h.replies.push({ request, reply }),
    metric: (name: string) => h.metrics.push(name),
  } as unknown as NodeEnv<RaftMsg>;
  const host: LeaderReadHost = {
    env,
    sm: { read: (q) => `value of ${JSON.stringify(q)}` },
    timing: DEFAULT_TIMING,
    role: () => h.role,
    term: () => h.term,
    commit: () => h.commit,
    applied: () => h.applied,
    config: () => ({ voters: [...voters], learners: [] }),
    roundOf: (id) => h.rounds.get(id) ?? 0,
    committedInTerm: () => h.committedInTerm,
    hearsQuorum: () => h.hearsQuorum,
    heartbeatAll: () => {
      h.heartbeats++;
    },
    replyNotLeader: (request) => h.notLeader.push(request as number),
  };
  h.reads = new LeaderReads(host, 'read-index', 0.05, options.noRound ?? false);
  return h as Harness;
}

const readIndex = (term: number, ctx = 'c1'): Extract<RaftMsg, { type: 'read-index' }> => ({
  type: 'read-index',
  term,
  ctx,
});

function responses(h: Harness): { to: NodeId; ok: boolean; index: number }[] {
  return h.sent.flatMap(({ to, msg }) =>
    msg.type === 'read-index-resp' ? [{ to, ok: msg.ok, index: msg.index }] : [],
  );
}

test('a follower read-index request is refused at once by a non-leader, another term, or a leader not hearing a quorum', () => {
  for (const breakIt of [
    (h: Harness) => {
      h.role = 'follower';
    },
    (h: Harness) => {
      h.term = 4;
    },
    (h: Harness) => {
      h.hearsQuorum = false;
    },
  ]) {
    const h = harness(['n1', 'n2', 'n3']);
    breakIt(h);
    h.reads.onReadIndex('n2', readIndex(3));
    assert.deepEqual(responses(h), [{ to: 'n2', ok: false, index: 0 }]);
    assert.equal(h.heartbeats, 0, 'no round for a refused request');
  }
});

test('with three voters, leader and asking follower are a majority: answered with the commit index, no round', () => {
  const h = harness(['n1', 'n2', 'n3']);
  h.reads.onReadIndex('n2', readIndex(3));
  assert.deepEqual(responses(h), [{ to: 'n2', ok: true, index: 7 }]);
  assert.equal(h.heartbeats, 0);
  assert.deepEqual(h.metrics, ['read-index-without-round']);
});

test('with five voters the pair is no majority: a round goes out, and the answer waits for a majority to echo it', () => {
  const h = harness(['n1', 'n2', 'n3', 'n4', 'n5']);
  h.reads.onReadIndex('n2', readIndex(3));
  assert.equal(h.heartbeats, 1, 'a heartbeat round started');
  assert.deepEqual(responses(h), [], 'not answered before the round is echoed');
  // The asking follower and one more echo: with the leader, three of five.
  h.rounds.set('n2', h.reads.round);
  h.reads.confirm();
  assert.deepEqual(responses(h), [], 'two of five (leader and the asker) are not a majority');
  h.rounds.set('n4', h.reads.round);
  h.reads.confirm();
  assert.deepEqual(responses(h), [{ to: 'n2', ok: true, index: 7 }]);
});

test('the read-index-no-round mutant answers five voters without a round (what the rule prevents)', () => {
  const h = harness(['n1', 'n2', 'n3', 'n4', 'n5'], { noRound: true });
  h.reads.onReadIndex('n2', readIndex(3));
  assert.deepEqual(responses(h), [{ to: 'n2', ok: true, index: 7 }]);
});

test('reads before the first commit of the term are held, then released once it is applied', () => {
  const h = harness(['n1', 'n2', 'n3']);
  h.committedInTerm = false;
  h.reads.read({ kind: 'client', request: 11, query: { key: 'k' } });
  h.reads.onReadIndex('n2', readIndex(3));
  h.reads.applied();
  assert.equal(h.heartbeats, 0, 'nothing starts before the commit');
  assert.deepEqual(h.replies, []);
  assert.deepEqual(responses(h), []);
  // The no-op of the term commits and applies: the held reads start their round.
  h.committedInTerm = true;
  h.commit = h.applied = 8;
  h.reads.applied();
  assert.equal(h.heartbeats, 1, 'one round for the held reads');
  h.rounds.set('n2', h.reads.round);
  h.reads.confirm();
  assert.deepEqual(h.replies, [
    { request: 11, reply: { ok: true, value: 'value of {"key":"k"}' } },
  ]);
  // The follower's request joined while that round was in flight: it goes in the next one.
  assert.deepEqual(responses(h), []);
  assert.equal(h.heartbeats, 2);
  h.rounds.set('n2', h.reads.round);
  h.reads.confirm();
  assert.deepEqual(responses(h), [{ to: 'n2', ok: true, index: 8 }]);
  // Released once: later applies and rounds answer nothing more.
  h.reads.applied();
  h.rounds.set('n2', h.reads.round + 1);
  h.reads.confirm();
  assert.equal(h.replies.length, 1);
  assert.equal(responses(h).length, 1);
});

test('a read waits until the state machine has applied its read index', () => {
  const h = harness(['n1', 'n2', 'n3']);
  h.applied = 6;
  h.reads.read({ kind: 'client', request: 12, query: { key: 'k' } });
  h.rounds.set('n3', h.reads.round);
  h.reads.confirm();
  assert.deepEqual(h.replies, [], 'confirmed, but index 7 is not applied');
  h.applied = 7;
  h.reads.applied();
  assert.equal(h.replies.length, 1);
});

test('stepping down refuses every read in flight, held or in a round, and a later confirm answers none', () => {
  const h = harness(['n1', 'n2', 'n3', 'n4', 'n5']);
  h.reads.read({ kind: 'client', request: 13, query: null });
  h.reads.onReadIndex('n2', readIndex(3, 'c9'));
  h.committedInTerm = false;
  h.reads.read({ kind: 'client', request: 14, query: null });
  h.reads.abandon();
  assert.deepEqual(h.notLeader.sort(), [13, 14]);
  assert.deepEqual(responses(h), [{ to: 'n2', ok: false, index: 0 }]);
  h.role = 'follower';
  for (const id of ['n2', 'n3', 'n4']) h.rounds.set(id, h.reads.round);
  h.reads.confirm();
  h.committedInTerm = true;
  h.reads.applied();
  assert.deepEqual(h.replies, [], 'nothing answered after stepping down');
});
