/**
 * Deliberately broken Rafts. Each breaks one rule the dissertation states, and the simulation
 * tests must catch each (test/systems/kv-raft.test.ts): a checker that never fails proves
 * nothing.
 */
export interface RaftMutants {
  /**
   * A vote is answered before the term and vote it changed are synced: a crash before the next
   * sync forgets both, and the restarted server may vote again in the same term (§3.4).
   */
  readonly voteNotDurable: boolean;
  /**
   * The leader commits any entry a majority holds, even of an earlier term (§3.6.2, Figure 3.7
   * — the paper's Figure 8). Only the rule goes: a new leader still appends its no-op, which
   * usually reaches a majority in the same append as the old entries and masks the bug; the
   * old entries must be acknowledged without it (an append's batch limit splits them, and the
   * rest is lost): docs/raft.md, "Mutants".
   */
  readonly commitOldTerm: boolean;
  /** Every server answers reads from its own state machine, leader or not (§6.4). */
  readonly readFromFollower: boolean;
  /**
   * Appends are acknowledged (and the leader counts its own copy) before they are durable; the
   * disk is synced lazily every 100 ms, like `appendfsync everysec` (§11.7 on durability).
   */
  readonly noSyncBeforeAck: boolean;
  /**
   * A follower read is served as soon as the leader answers with its read index, without
   * waiting to apply through that index (§6.4): a lagging follower answers from old state.
   */
  readonly followerReadNoWait: boolean;
  /**
   * The leader answers a follower's read-index request at once whatever the configuration,
   * not only when it and that follower are a majority (leader-read.ts onReadIndex): a deposed
   * leader whose clock runs slow still "hears its quorum" and hands out a stale index.
   */
  readonly readIndexNoRound: boolean;
  /**
   * A server started to join a running cluster takes the initial `voters` as its configuration
   * instead of the empty one (membership.ts): empty, it campaigns and counts itself a voter.
   */
  readonly joinAsVoter: boolean;
  /** MemberPromote promotes a learner however far behind the leader it is. */
  readonly promoteUnready: boolean;
  /** A voter is removed even when the active voters left are no majority of the rest. */
  readonly removeBelowQuorum: boolean;
  /**
   * A snapshot written beside the log (several parts) has the log compacted past it at once,
   * not once the snapshot is durable: a crash in between loses committed entries (raft-log.ts
   * compactAside).
   */
  readonly compactBeforeSnapshotDurable: boolean;
  /**
   * A server that knows no configuration yet (it joined, or was wiped to rejoin, and no leader
   * has told it anything) grants votes: an amnesiac counted as a voter by a candidate whose
   * configuration predates its removal (elector.ts knowsConfiguration).
   */
  readonly joiningVotes: boolean;
  /**
   * A vote is granted without the election restriction (§3.6.1, paper §5.4.1): whatever the
   * candidate's log. Pre-vote still applies it, so an election that starts with one masks the
   * bug; an election at once (a leadership transfer's TimeoutNow) does not: docs/raft.md,
   * "Mutants".
   */
  readonly voteWithoutLogCheck: boolean;
}

export const NO_MUTANTS: RaftMutants = {
  voteNotDurable: false,
  commitOldTerm: false,
  readFromFollower: false,
  noSyncBeforeAck: false,
  followerReadNoWait: false,
  readIndexNoRound: false,
  joinAsVoter: false,
  promoteUnready: false,
  removeBelowQuorum: false,
  compactBeforeSnapshotDurable: false,
  joiningVotes: false,
  voteWithoutLogCheck: false,
};

export const RAFT_MUTANTS = [
  {
    name: 'vote-not-durable',
    description:
      'votes are answered before they are synced, so a restarted server can vote twice in a term',
  },
  {
    name: 'commit-old-term',
    description: "the leader commits earlier terms' entries by counting replicas (Figure 8's bug)",
  },
  {
    name: 'read-from-follower',
    description: 'every server answers reads from its local state, without ReadIndex or lease',
  },
  {
    name: 'no-sync-before-ack',
    description: 'appends are acknowledged before they are synced; the disk syncs every 100 ms',
  },
  {
    name: 'follower-read-no-wait',
    description:
      'a follower serves a read once the leader gives it a read index, without first applying ' +
      'through that index',
  },
  {
    name: 'read-index-no-round',
    description:
      "the leader answers a follower's read-index at once even when the two are no majority " +
      '(the three-voter shortcut applied to any cluster)',
  },
  {
    name: 'join-as-voter',
    description:
      'a server that joins a running cluster starts as a voter of the initial configuration, ' +
      'not with the empty one, so it campaigns before the leader has told it anything',
  },
  {
    name: 'promote-unready',
    description: 'a learner is promoted on request however far behind the leader it is',
  },
  {
    name: 'remove-below-quorum',
    description:
      'a voter is removed even when the active voters left are no majority of the new configuration',
  },
  {
    name: 'compact-before-snapshot-durable',
    description:
      'a snapshot of several parts has the log compacted past it before its file is durable, so ' +
      'a crash in between loses committed entries',
  },
  {
    name: 'joining-votes',
    description:
      'a server that joined (or was wiped to rejoin) grants votes before any leader has told it ' +
      'a configuration, so a stale candidate that still counts it as a voter wins with its vote',
  },
  {
    name: 'vote-without-log-check',
    description:
      "a vote is granted whatever the candidate's log (no election restriction); pre-vote " +
      'still checks it',
  },
] as const;

export function mutantsFor(name: string | undefined): RaftMutants {
  if (name === undefined) return NO_MUTANTS;
  if (!RAFT_MUTANTS.some((m) => m.name === name)) throw new Error(`unknown Raft mutant ${name}`);
  return {
    voteNotDurable: name === 'vote-not-durable',
    commitOldTerm: name === 'commit-old-term',
    readFromFollower: name === 'read-from-follower',
    noSyncBeforeAck: name === 'no-sync-before-ack',
    followerReadNoWait: name === 'follower-read-no-wait',
    readIndexNoRound: name === 'read-index-no-round',
    joinAsVoter: name === 'join-as-voter',
    promoteUnready: name === 'promote-unready',
    removeBelowQuorum: name === 'remove-below-quorum',
    compactBeforeSnapshotDurable: name === 'compact-before-snapshot-durable',
    joiningVotes: name === 'joining-votes',
    voteWithoutLogCheck: name === 'vote-without-log-check',
  };
}
