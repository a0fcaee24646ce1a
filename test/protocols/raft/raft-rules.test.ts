/**
 * Raft's safety rules, each pinned on the function that implements it (issue 27 item 2). The
 * anomaly each rule prevents is shown elsewhere, on the whole system, by a transcript or a
 * scenario run on the mutant that removes it (docs/testing-rules.md lists them):
 *
 * - commit rule (Figure 8): testdata/figure8.txt, figure8-mutant.txt (commit-old-term), and
 *   mutant-scenarios.test.ts "Figure 8 sweep";
 * - vote restriction (§5.4.1): testdata/vote-restriction.txt, vote-restriction-mutant.txt
 *   (vote-without-log-check);
 * - term and vote durable before answering: testdata/vote-durability-mutant.txt
 *   (vote-not-durable), mutant-scenarios.test.ts "forgotten-vote sweep";
 * - read-index confirmation: testdata/read-index-mutant.txt (read-index-no-round);
 * - lease bound: scenarios.test.ts "lease reads go stale under clock skew beyond the bound".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../../src/core/node.js';
import { streamFor } from '../../../src/core/random.js';
import { ManualStore } from '../../support/manual-store.js';
import { logUpToDate } from '../../../src/protocols/raft/election.js';
import { quorumMatch } from '../../../src/protocols/raft/membership.js';
import type { Membership, RaftMsg } from '../../../src/protocols/raft/messages.js';
import { leaseDuration, ReadRounds, type Reader } from '../../../src/protocols/raft/read-index.js';
import { commitCandidate } from '../../../src/protocols/raft/replication.js';
import { kvRaftSystem } from '../../../src/systems/kv/kv-raft.js';

const five: Membership = { voters: ['n1', 'n2', 'n3', 'n4', 'n5'], learners: [] };

/** Each voter's match index, from a table. */
const matches =
  (m: Record<string, number>) =>
  (id: NodeId): number =>
    m[id] ?? 0;

/** The terms of a log, entry i at terms[i - 1]. */
const termsOf =
  (terms: readonly number[]) =>
  (i: number): number | undefined =>
    terms[i - 1];

// ---- commit rule ---------------------------------------------------------------------------------

test('raft commit rule (Figure 8): an entry on a majority commits only if it is of the current term', () => {
  // Figure 8 (c): S1 leads term 4 (here 3); index 2 (term 2, here 1) is on S1, S2, S3; its own
  // entry at 3 is on S1 alone.
  const log = termsOf([1, 1, 3]);
  const match = matches({ n1: 3, n2: 2, n3: 2 });
  assert.equal(quorumMatch(five, match), 2, 'index 2 is on a majority');
  assert.equal(commitCandidate(five, match, log, 3, 1, false), 1, 'not committed by counting');
  // The rule removed (commit-old-term): counted, and then overwritten in (d).
  assert.equal(commitCandidate(five, match, log, 3, 1, true), 2);
  // Once the current term's entry is on a majority, everything before it commits with it.
  const later = matches({ n1: 3, n2: 3, n3: 3 });
  assert.equal(commitCandidate(five, later, log, 3, 1, false), 3);
  // Never backwards, whatever the counts.
  assert.equal(commitCandidate(five, match, log, 3, 3, false), 3);
  assert.equal(commitCandidate(five, match, log, 3, 3, true), 3);
});

test('raft commit rule (Figure 8): the count is over voters of the configuration, learners aside', () => {
  const m: Membership = { voters: ['n1', 'n2', 'n3'], learners: ['n4', 'n5'] };
  const log = termsOf([2, 2]);
  assert.equal(commitCandidate(m, matches({ n1: 2, n4: 2, n5: 2 }), log, 2, 0, false), 0);
  assert.equal(commitCandidate(m, matches({ n1: 2, n2: 2 }), log, 2, 0, false), 2);
});

// ---- vote restriction ----------------------------------------------------------------------------

test('raft vote restriction (§5.4.1): a later last term wins, whatever the lengths', () => {
  assert.equal(logUpToDate(3, 1, 2, 100), true);
  assert.equal(logUpToDate(2, 100, 3, 1), false);
});

test('raft vote restriction (§5.4.1): with the same last term, the longer log (or as long) wins', () => {
  assert.equal(logUpToDate(2, 5, 2, 5), true, 'as long');
  assert.equal(logUpToDate(2, 6, 2, 5), true);
  assert.equal(logUpToDate(2, 4, 2, 5), false);
  assert.equal(logUpToDate(0, 0, 0, 0), true, 'two empty logs');
  assert.equal(logUpToDate(0, 0, 1, 1), false, 'an empty log against a non-empty one');
});

// ---- term and vote durability ----------------------------------------------------------------------

interface Sent {
  readonly to: NodeId;
  readonly msg: RaftMsg;
}

interface Reply {
  readonly id: number;
  readonly reply: Json;
}

/**
 * One kv-raft server `n2` of three on `storage`, at time 0, recording what it sends (and, given
 * `replies`, what it answers clients).
 */
function server(
  storage: ManualStore,
  sent: Sent[],
  mutant?: string,
  replies?: Reply[],
): ProtocolNode<RaftMsg> {
  const env: NodeEnv<RaftMsg> = {
    id: 'n2',
    cluster: ['n1', 'n2', 'n3'],
    peers: ['n1', 'n3'],
    now: () => 0,
    random: streamFor(1, 'raft-rules-test'),
    send: (to, msg) => sent.push({ to, msg }),
    setTimer: () => 1,
    cancelTimer: () => {},
    storage,
    reply: (id, reply) => replies?.push({ id, reply: reply as unknown as Json }),
    log: () => {},
    metric: () => {},
  };
  const node = kvRaftSystem.createNode({
    cluster: env.cluster,
    params: {},
    ...(mutant !== undefined ? { mutant } : {}),
  })(env);
  node.start({ recovered: storage.get('raft/hard') !== undefined });
  storage.flush();
  return node as ProtocolNode<RaftMsg>;
}

const voteFrom = (term: number): RaftMsg => ({
  type: 'vote',
  term,
  lastIndex: 0,
  lastTerm: 0,
  transfer: true,
});

const answers = (sent: readonly Sent[]): Json[] =>
  sent
    .filter((s) => s.msg.type === 'vote-resp')
    .map((s) => ({ to: s.to, ...(s.msg as unknown as Record<string, Json>) }));

test('raft term and vote durability: a vote is answered only once the term and vote are synced', () => {
  const disk = new ManualStore();
  const sent: Sent[] = [];
  const n2 = server(disk, sent);
  n2.onMessage('n1', voteFrom(1));
  assert.deepEqual(answers(sent), [], 'answered before the vote reached the disk');
  disk.flush();
  assert.deepEqual(answers(sent), [{ to: 'n1', type: 'vote-resp', term: 1, granted: true }]);
  // Restarted from that disk, it remembers the term and the vote: no second vote in term 1.
  const after: Sent[] = [];
  const restarted = server(disk.afterCrash(), after);
  assert.equal(restarted.inspect().term, 1);
  restarted.onMessage('n3', voteFrom(1));
  disk.flush();
  assert.deepEqual(answers(after), [{ to: 'n3', type: 'vote-resp', term: 1, granted: false }]);
});

test('raft term and vote durability: a crash before the sync loses the vote, and no one heard it', () => {
  const disk = new ManualStore();
  const sent: Sent[] = [];
  server(disk, sent).onMessage('n1', voteFrom(1));
  const after: Sent[] = [];
  const rebooted = disk.afterCrash();
  const restarted = server(rebooted, after);
  assert.deepEqual(answers(sent), [], 'the lost vote was never answered');
  assert.equal(restarted.inspect().term, 0);
  // Voting again in term 1 is then safe: n1 never counted the first.
  restarted.onMessage('n3', voteFrom(1));
  rebooted.flush();
  assert.deepEqual(answers(after), [{ to: 'n3', type: 'vote-resp', term: 1, granted: true }]);
});

test('raft term and vote durability: on the vote-not-durable mutant the answer goes before the sync', () => {
  const disk = new ManualStore();
  const sent: Sent[] = [];
  const node = server(disk, sent, 'vote-not-durable');
  node.onMessage('n1', voteFrom(1));
  assert.equal(answers(sent).length, 1, 'the mutant answers at once');
  assert.ok(disk.unsyncedWrites > 0, 'with the vote not yet on disk');
});

test('raft vote restriction (§5.4.1): a server refuses its vote to a candidate whose log is behind its own', () => {
  for (const mutant of [undefined, 'vote-without-log-check']) {
    const disk = new ManualStore();
    const sent: Sent[] = [];
    const n2 = server(disk, sent, mutant);
    // n1, leader of term 1, gives n2 two entries.
    n2.onMessage('n1', {
      type: 'append',
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      entries: [
        { term: 1, kind: 'noop' },
        { term: 1, kind: 'noop' },
      ],
      commit: 0,
      round: 0,
    });
    disk.flush();
    // n3, with one entry of term 1, asks at once (a transfer: no stickiness, no pre-vote).
    n2.onMessage('n3', { type: 'vote', term: 2, lastIndex: 1, lastTerm: 1, transfer: true });
    disk.flush();
    assert.deepEqual(
      answers(sent),
      [{ to: 'n3', type: 'vote-resp', term: 2, granted: mutant !== undefined }],
      mutant ?? 'the correct server',
    );
  }
});

// ---- read-index confirmation -----------------------------------------------------------------------

const client = (request: number): Reader => ({ kind: 'client', request, query: null });

test('raft read-index confirmation: a read is served only after a round started after it arrived is echoed by a majority', () => {
  const r = new ReadRounds();
  assert.equal(r.add(client(1), 5), true, 'a round must start for it');
  const round = r.start(10);
  assert.deepEqual(r.takeReady(100), [], 'not before the round is confirmed');
  assert.equal(r.confirm(round - 1), false);
  assert.deepEqual(r.takeReady(100), [], 'an earlier round proves nothing');
  r.confirm(round);
  assert.deepEqual(
    r.takeReady(4).map((p) => p.readIndex),
    [],
    'confirmed, but the read index is not applied yet',
  );
  assert.deepEqual(
    r.takeReady(5).map((p) => p.readIndex),
    [5],
  );
});

test('raft read-index confirmation: a read arriving while a round is in flight waits for the next round', () => {
  const r = new ReadRounds();
  r.add(client(1), 5);
  const first = r.start(0);
  // Arrives after round `first` was sent: that round's answers may predate the read.
  assert.equal(r.add(client(2), 6), false, 'batched into the next round');
  assert.equal(r.confirm(first), true, 'the next round must start now');
  assert.deepEqual(
    r.takeReady(100).map((p) => p.readIndex),
    [5],
    'only the read that came before the round',
  );
  const second = r.start(1);
  r.confirm(second);
  assert.deepEqual(
    r.takeReady(100).map((p) => p.readIndex),
    [6],
  );
});

// ---- lease bound -----------------------------------------------------------------------------------

test('raft lease bound: a lease lasts electionMin·(1−ρ)/(1+ρ) on the leader clock', () => {
  assert.equal(leaseDuration(150, 0), 150);
  assert.ok(Math.abs(leaseDuration(150, 0.05) - (150 * 0.95) / 1.05) < 1e-9);
  assert.ok(leaseDuration(150, 0.05) < 150 * 0.95, 'shorter than the drift alone allows');
});

test('raft lease bound: the lease runs from the start of the confirmed round, not its confirmation', () => {
  const r = new ReadRounds();
  const d = leaseDuration(150, 0.05);
  assert.equal(r.leaseValid(0, d), false, 'no lease before any round is confirmed');
  const round = r.start(100);
  r.confirm(round);
  assert.equal(r.leaseValid(100, d), true);
  assert.equal(r.leaseValid(100 + d - 0.001, d), true);
  assert.equal(r.leaseValid(100 + d, d), false, 'expired at start + duration');
  assert.equal(r.leaseValid(99, d), false, 'a clock stepped back does not extend it');
  r.drain();
  assert.equal(r.leaseValid(100, d), false, 'leadership lost: no lease');
});

/**
 * §6.4 step 1: a new leader's commit index may lag what its predecessor committed, so it serves
 * a read only once it has committed an entry of its own term (its no-op), which brings the commit
 * index up to date. Here n1 committed `put k v1` with n3 in term 1, and n2 has the entry but not
 * its commit; n2 then leads term 2. A heartbeat round n3 confirms is not enough: the read waits
 * until n3 has the no-op, and then answers v1. Without the rule it answers at once from commit
 * index 0: null, a stale read (StrykerJS found no test pinning it).
 */
test('raft read-index confirmation (§6.4 step 1): a new leader serves reads only after committing in its own term', () => {
  const disk = new ManualStore();
  const sent: Sent[] = [];
  const replies: Reply[] = [];
  const n2 = server(disk, sent, undefined, replies);
  const put = { client: 'c1', seq: 1, op: { f: 'put', key: 'k', value: 'v1' } };
  n2.onMessage('n1', {
    type: 'append',
    term: 1,
    prevIndex: 0,
    prevTerm: 0,
    entries: [{ term: 1, kind: 'command', command: put }],
    commit: 0,
    round: 1,
  });
  disk.flush();
  n2.onMessage('n1', { type: 'timeout-now', term: 1 });
  disk.flush();
  n2.onMessage('n3', { type: 'vote-resp', term: 2, granted: true });
  disk.flush();
  assert.equal(n2.inspect().role, 'leader');
  assert.equal(n2.inspect().commit, 0, 'the new leader does not know entry 1 is committed');
  n2.onClientRequest({ id: 77, client: 'c9', seq: 1, op: { f: 'get', key: 'k' } });
  const roundOf = (): number => {
    const hb = sent.filter((s) => s.msg.type === 'heartbeat').at(-1);
    assert.ok(hb !== undefined && hb.msg.type === 'heartbeat', 'a heartbeat went out');
    return hb.msg.round;
  };
  n2.onTimer('heartbeat', { term: 2 });
  n2.onMessage('n3', { type: 'heartbeat-resp', term: 2, round: roundOf() });
  disk.flush();
  assert.deepEqual(replies, [], 'answered before an entry of its term was committed');
  n2.onMessage('n3', {
    type: 'append-resp',
    term: 2,
    success: true,
    match: 2,
    rejected: 0,
    hintIndex: 0,
    hintTerm: 0,
    round: 0,
  });
  disk.flush();
  assert.equal(n2.inspect().commit, 2);
  n2.onTimer('heartbeat', { term: 2 });
  n2.onMessage('n3', { type: 'heartbeat-resp', term: 2, round: roundOf() });
  disk.flush();
  assert.deepEqual(replies, [{ id: 77, reply: { ok: true, value: 'v1' } }]);
});
