/**
 * Fast leader election, after ZooKeeper's FastLeaderElection (the paper leaves election open:
 * any election that picks a server with the latest history of a quorum will do). A LOOKING server votes for the server
 * with the greatest (currentEpoch, lastZxid, id) it has heard of in its round, tells everyone,
 * and decides once a quorum of the round votes as it does (after a short wait for a better vote).
 * A server that finds the others already FOLLOWING or LEADING joins the leader a quorum of them
 * names, if that leader says it leads. The elected server's history is then the latest of a
 * quorum, which is what lets discovery skip fetching the followers' histories (the leader still
 * refuses to go on if an ACKEPOCH shows a later history than its own).
 */
import type { NodeId } from '../../core/node.js';
import type { ServerState, Vote } from './messages.js';
import { compareZxid } from './zxid.js';

/** Whether `a` beats `b`: a greater epoch, then a greater zxid, then a greater id. */
export function betterVote(a: Vote, b: Vote): boolean {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  const z = compareZxid(a.zxid, b.zxid);
  if (z !== 0) return z > 0;
  return a.leader > b.leader;
}

export function sameVote(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.epoch === b.epoch && compareZxid(a.zxid, b.zxid) === 0;
}

/** What one notification changes for a LOOKING server. */
export type ElectionStep =
  | { readonly kind: 'none' }
  /** The vote changed (or the round did): tell everyone. */
  | { readonly kind: 'broadcast' }
  /** The sender is behind: tell it alone. */
  | { readonly kind: 'answer' }
  /** Follow (or lead) `leader`, as the servers outside the election already do. */
  | { readonly kind: 'join'; readonly leader: NodeId };

export class Election {
  round = 0;
  vote: Vote;
  private readonly votes = new Map<NodeId, Vote>();
  private readonly outside = new Map<
    NodeId,
    { readonly vote: Vote; readonly state: ServerState }
  >();

  constructor(
    private readonly self: NodeId,
    private readonly quorum: number,
    own: Vote,
  ) {
    this.vote = own;
  }

  /** A new round with a vote for ourselves. */
  restart(own: Vote): void {
    this.round++;
    this.vote = own;
    this.votes.clear();
    this.outside.clear();
    this.votes.set(this.self, own);
  }

  onNotification(
    from: NodeId,
    round: number,
    state: ServerState,
    vote: Vote,
    own: Vote,
  ): ElectionStep {
    if (state !== 'looking') {
      this.outside.set(from, { vote, state });
      let agree = 0;
      for (const o of this.outside.values()) if (o.vote.leader === vote.leader) agree++;
      const leaderSays = this.outside.get(vote.leader);
      if (
        agree >= this.quorum &&
        vote.leader !== this.self &&
        leaderSays !== undefined &&
        leaderSays.state === 'leading'
      ) {
        this.round = Math.max(this.round, round);
        return { kind: 'join', leader: vote.leader };
      }
      return { kind: 'none' };
    }
    if (round > this.round) {
      this.round = round;
      this.votes.clear();
      this.vote = betterVote(vote, own) ? vote : own;
      this.votes.set(from, vote);
      this.votes.set(this.self, this.vote);
      return { kind: 'broadcast' };
    }
    if (round < this.round) return { kind: 'answer' };
    this.votes.set(from, vote);
    if (betterVote(vote, this.vote)) {
      this.vote = vote;
      this.votes.set(this.self, vote);
      return { kind: 'broadcast' };
    }
    return { kind: 'none' };
  }

  /** Whether a quorum of this round votes as we do. */
  decided(): boolean {
    let agree = 0;
    for (const v of this.votes.values()) if (sameVote(v, this.vote)) agree++;
    return agree >= this.quorum;
  }
}
