/**
 * A server that joined (or was wiped and rejoins under its old name) has no vote to give until a
 * leader has told it a configuration (elector.ts knowsConfiguration). Found by
 * `kv-raft --swarm --seed 221`: a member removed (removal committed), wiped and restarted to
 * rejoin granted its vote to a candidate whose log predated the removal and still counted it a
 * voter; that candidate became a second leader of term 26. The mutant `joining-votes` drops the
 * rule and that seed catches it (test/sim/mutants-caught.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import { Elector, type ElectorHost } from '../../../src/protocols/raft/elector.js';
import type { Membership, RaftMsg } from '../../../src/protocols/raft/messages.js';
import { RaftLog } from '../../../src/protocols/raft/raft-log.js';
import { streamFor } from '../../../src/core/random.js';
import { SimDisk } from '../../../src/sim/disk.js';

const EMPTY: Membership = { voters: [], learners: [] };
const TOLD: Membership = { voters: ['n1', 'n2', 'n3'], learners: ['n4'] };

/** An elector of server n4 with an empty log and configuration `config`; what it sends. */
function server(config: Membership, joiningVotes = false) {
  const disk = new SimDisk({
    scheduleSync: (_w, done) => done(),
    scheduleFileWrite: (_p, done) => done(),
  });
  const log = new RaftLog(disk);
  log.load();
  const sent: [string, RaftMsg][] = [];
  let term = 0;
  let vote: string | null = null;
  const env = {
    id: 'n4',
    now: () => 10_000,
    random: streamFor(1, 'test'),
    send: (to: string, m: RaftMsg) => sent.push([to, m]),
  } as unknown as NodeEnv<RaftMsg>;
  const host: ElectorHost = {
    env,
    log,
    timing: { electionMinMs: 150, electionMaxMs: 300, heartbeatMs: 50 },
    mutants: { voteNotDurable: false, joiningVotes },
    role: () => 'follower',
    term: () => term,
    votedFor: () => vote,
    config: () => config,
    configBeforeUncommitted: () => null,
    becomeFollower: (t) => {
      term = t;
      vote = null;
    },
    becomeLeader: () => assert.fail('never'),
    checkQuorum: () => {},
    preCandidate: () => {},
    candidate: () => {},
    voteFor: (id) => {
      vote = id;
    },
    durable: (then) => then(),
  };
  return { elector: new Elector(host), sent };
}

// A stale candidate: its log (5 entries, last of term 2) predates this server's removal.
const VOTE = { type: 'vote', term: 26, lastIndex: 5, lastTerm: 2, transfer: false } as const;
const PRE_VOTE = { type: 'pre-vote', term: 26, lastIndex: 5, lastTerm: 2 } as const;

test('a server told no configuration refuses votes and pre-votes', () => {
  const { elector, sent } = server(EMPTY);
  elector.onVote('n5', VOTE);
  elector.onPreVote('n5', PRE_VOTE);
  assert.deepEqual(
    sent.map(([to, m]) => [to, m.type, 'granted' in m ? m.granted : null]),
    [
      ['n5', 'vote-resp', false],
      ['n5', 'pre-vote-resp', false],
    ],
  );
});

test('once told a configuration (here as a learner) it votes by the usual rules', () => {
  const { elector, sent } = server(TOLD);
  elector.onVote('n5', VOTE);
  assert.deepEqual(sent[0], ['n5', { type: 'vote-resp', term: 26, granted: true }]);
});

test('mutant joining-votes: the amnesiac grants its vote', () => {
  const { elector, sent } = server(EMPTY, true);
  elector.onVote('n5', VOTE);
  assert.deepEqual(sent[0], ['n5', { type: 'vote-resp', term: 26, granted: true }]);
});
