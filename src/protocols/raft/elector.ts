/**
 * Elections as a server runs them (§3.4, with pre-vote §9.6 and leader stickiness §4.2.3): the
 * election timer, campaigns, and both sides of (pre-)votes. The rules themselves are in
 * election.ts; the server's term, vote and role changes stay with RaftNode, which this calls.
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import { electionTimeout, logUpToDate, VoteTally, type RaftTiming, type Role } from './election.js';
import { hasQuorum, isVoter } from './membership.js';
import type { Membership, RaftMsg } from './messages.js';
import type { RaftMutants } from './mutants.js';
import type { RaftLog } from './raft-log.js';

/** What elections need of their server. */
export interface ElectorHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly log: RaftLog;
  readonly timing: RaftTiming;
  readonly mutants: Pick<RaftMutants, 'voteNotDurable' | 'joiningVotes'> &
    Partial<Pick<RaftMutants, 'voteWithoutLogCheck'>>;
  role(): Role;
  term(): number;
  votedFor(): NodeId | null;
  config(): Membership;
  /**
   * The configuration before the latest one in the log, while that latest entry is not known
   * committed; null once it is (or when the latest comes from a snapshot or the start).
   */
  configBeforeUncommitted(): Membership | null;
  becomeFollower(term: number, leader: NodeId | null): void;
  becomeLeader(): void;
  /** Check-quorum (§6.2), on the leader's election tick. */
  checkQuorum(): void;
  /** Becomes a pre-candidate: no term or vote changes. */
  preCandidate(): void;
  /** Becomes a candidate of the next term, voting for itself (written, not yet durable). */
  candidate(): void;
  /** Records a vote for `id` in the current term (written, not yet durable). */
  voteFor(id: NodeId): void;
  /** Runs `then` once every write issued so far is durable. */
  durable(then: () => void): void;
}

export class Elector {
  private readonly votes = new VoteTally();
  private deadline = 0;
  private lastLeaderContact = -Infinity;

  constructor(private readonly host: ElectorHost) {}

  /**
   * Arms the election timer. A restarted server may have promised a leader, just before
   * crashing, not to vote for anyone else for an election timeout; it keeps that promise
   * (which lease reads rely on).
   */
  start(recovered: boolean): void {
    const { env } = this.host;
    if (recovered) this.lastLeaderContact = env.now();
    this.resetDeadline();
    env.setTimer(this.deadline - env.now(), 'election');
  }

  resetDeadline(): void {
    const { env, timing } = this.host;
    this.deadline = env.now() + electionTimeout(timing, env.random);
  }

  /** A leader of a current or newer term was heard from. */
  leaderContact(): void {
    this.lastLeaderContact = this.host.env.now();
    this.resetDeadline();
  }

  /** Time since this server last heard from a leader, on its own clock (never negative). */
  private sinceLeaderContact(): number {
    const now = this.host.env.now();
    // A clock stepped backwards: restart the count rather than stay sticky for the jump.
    if (now < this.lastLeaderContact) this.lastLeaderContact = now;
    return now - this.lastLeaderContact;
  }

  /** Leader stickiness (§4.2.3): refuse to help depose a leader heard from recently. */
  leaderIsAlive(): boolean {
    if (this.host.role() === 'leader') return true;
    return this.sinceLeaderContact() < this.host.timing.electionMinMs;
  }

  tick(): void {
    const h = this.host;
    const { env, timing } = h;
    const now = env.now();
    let next: number;
    if (h.role() === 'leader') {
      h.checkQuorum();
      next = timing.electionMinMs;
    } else if (now >= this.deadline) {
      this.resetDeadline();
      if (this.mayCampaign()) this.campaign(false);
      next = this.deadline - now;
    } else {
      if (this.deadline - now > timing.electionMaxMs) this.resetDeadline();
      next = this.deadline - now;
    }
    // At least 1 ms: a deadline a rounding error away would re-fire at the same virtual instant.
    env.setTimer(Math.max(1, next), 'election');
  }

  /**
   * Starts a pre-vote, or (after winning one, or when a leader hands over with TimeoutNow) a
   * real election in the next term.
   */
  private campaign(real: boolean, transfer = real): void {
    const h = this.host;
    const { env, log } = h;
    if (!this.mayCampaign()) return;
    this.votes.clear();
    this.votes.grant(env.id);
    this.resetDeadline();
    const lastIndex = log.lastIndex();
    const lastTerm = log.lastTerm();
    if (!real) {
      if (h.role() === 'leader') return;
      h.preCandidate();
      if (this.won()) return this.campaign(true, false);
      const msg: RaftMsg = { type: 'pre-vote', term: h.term() + 1, lastIndex, lastTerm };
      for (const v of h.config().voters) if (v !== env.id) env.send(v, msg);
      return;
    }
    h.candidate();
    const term = h.term();
    h.durable(() => {
      if (h.role() !== 'candidate' || h.term() !== term) return;
      if (this.won()) return h.becomeLeader();
      const msg: RaftMsg = { type: 'vote', term, lastIndex, lastTerm, transfer };
      for (const v of h.config().voters) if (v !== env.id) env.send(v, msg);
    });
  }

  /**
   * §4.2.2: a voter of its latest configuration, or of the one before while the latest (which
   * removed it) is uncommitted — the cluster may still need it until then: its log may be the
   * only one holding that entry, and so the only one the others can vote for. It asks the
   * voters of its latest configuration and counts its own vote only where it is one of them
   * (won()); once elected it commits the removal and steps down (admin.ts).
   */
  private mayCampaign(): boolean {
    const h = this.host;
    if (isVoter(h.config(), h.env.id)) return true;
    const before = h.configBeforeUncommitted();
    return before !== null && isVoter(before, h.env.id);
  }

  /** The leader handed over (§3.10): an election at once, past leader stickiness. */
  onTimeoutNow(m: Extract<RaftMsg, { type: 'timeout-now' }>): void {
    if (m.term === this.host.term() && this.host.role() !== 'leader') this.campaign(true);
  }

  private won(): boolean {
    return hasQuorum(this.host.config(), (id) => this.votes.has(id));
  }

  /** `checkLog` is false only for a real vote on the vote-without-log-check mutant. */
  private canGrant(lastTerm: number, lastIndex: number, checkLog = true): boolean {
    const { log } = this.host;
    return (
      this.knowsConfiguration() &&
      (!checkLog || logUpToDate(lastTerm, lastIndex, log.lastTerm(), log.lastIndex()))
    );
  }

  /**
   * A server that joined a running cluster (or was wiped and rejoins under its old name) starts
   * with the empty configuration and no log. Its vote is not its own to give until a leader has
   * told it a configuration: a candidate whose log predates the committed removal of this
   * server's former self still counts it as a voter, and an empty log refuses no one — the
   * amnesiac vote that elects a second leader in a term (kv-raft --swarm --seed 221). Once told,
   * its log holds that removal, so it refuses such a candidate as out of date. No quorum waits on
   * it before then: a learner is promoted only once it holds its own configuration entry.
   */
  private knowsConfiguration(): boolean {
    if (this.host.mutants.joiningVotes) return true;
    const c = this.host.config();
    return c.voters.length > 0 || c.learners.length > 0;
  }

  onPreVote(from: NodeId, m: Extract<RaftMsg, { type: 'pre-vote' }>): void {
    const h = this.host;
    const granted =
      m.term > h.term() && !this.leaderIsAlive() && this.canGrant(m.lastTerm, m.lastIndex);
    h.env.send(from, { type: 'pre-vote-resp', term: granted ? m.term : h.term(), granted });
  }

  onPreVoteResp(from: NodeId, m: Extract<RaftMsg, { type: 'pre-vote-resp' }>): void {
    const h = this.host;
    if (!m.granted) {
      if (m.term > h.term()) h.becomeFollower(m.term, null);
      return;
    }
    if (h.role() !== 'pre-candidate' || m.term !== h.term() + 1) return;
    this.votes.grant(from);
    if (this.won()) this.campaign(true, false);
  }

  onVote(from: NodeId, m: Extract<RaftMsg, { type: 'vote' }>): void {
    const h = this.host;
    if (m.term < h.term()) {
      h.env.send(from, { type: 'vote-resp', term: h.term(), granted: false });
      return;
    }
    if (m.term > h.term()) {
      // §4.2.3: a server that hears from its leader ignores disruptive vote requests, without
      // even adopting their term — unless the leader itself asked for the election.
      if (!m.transfer && this.leaderIsAlive()) return;
      h.becomeFollower(m.term, null);
    }
    const vote = h.votedFor();
    const granted =
      (vote === null || vote === from) &&
      this.canGrant(m.lastTerm, m.lastIndex, h.mutants.voteWithoutLogCheck !== true);
    if (granted) {
      h.voteFor(from);
      this.resetDeadline();
    }
    const term = h.term();
    const reply = (): void => h.env.send(from, { type: 'vote-resp', term, granted });
    // The vote-not-durable mutant answers before the term and vote reach the disk.
    if (h.mutants.voteNotDurable) reply();
    else h.durable(reply);
  }

  onVoteResp(from: NodeId, m: Extract<RaftMsg, { type: 'vote-resp' }>): void {
    const h = this.host;
    if (m.term > h.term()) return h.becomeFollower(m.term, null);
    if (h.role() !== 'candidate' || m.term !== h.term() || !m.granted) return;
    this.votes.grant(from);
    if (this.won()) h.becomeLeader();
  }
}
