/**
 * The leader's view of each follower's log (§3.5, §10.2): `match` is the highest index known to
 * be replicated there, `next` the next index to send. A follower is in one of three states,
 * as in etcd/raft:
 *   - probe: the leader does not know where the logs diverge; one append at a time, each
 *     answered by an acceptance or a rejection carrying a hint (fast back-off, §5.4.3-style:
 *     the conflicting term and its first index, or the follower's last index);
 *   - replicate: logs agree through `match`; appends are pipelined optimistically (`next` moves
 *     on send), batched up to MAX_BATCH entries and about MAX_APPEND_SIZE, with at most
 *     MAX_INFLIGHT unacknowledged;
 *   - snapshot: `next` fell below the leader's snapshot; chunks of InstallSnapshot are sent one
 *     at a time (snapshot.ts).
 */
import type { NodeId } from '../../core/node.js';
import type { Membership } from './messages.js';
import { quorumMatch } from './membership.js';

export const MAX_BATCH = 64;
/**
 * An append carries entries up to about this size (jsonSizeBound, an upper bound) past its
 * first, like etcd/raft's MaxSizePerMsg: a run of large entries (1 MiB values) must not make a
 * message larger than the transport carries, or that follower would never catch up.
 */
export const MAX_APPEND_SIZE = 1 << 20;
export const MAX_INFLIGHT = 4;

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is outstanding (cleared by any response or a heartbeat reply). */
  probeSent = false;
  /** Last index carried by each unacknowledged pipelined append, oldest first. */
  readonly inflight: number[] = [];
  /** Local time of the last successful response (to detect a stalled pipeline). */
  lastAckAt: number;
  /** Local time the leader last heard anything from this follower (check-quorum, §6.2). */
  lastHeardAt: number;
  /**
   * Local time this follower last answered this leader: never, at first. Unlike lastHeardAt,
   * which starts at the election to give check-quorum one period of grace, this is what a
   * removal asks (is the rest of the configuration live?): a leader elected a moment ago has
   * heard from no one yet, and counting everyone as live let it remove a live voter while
   * another was down for good (`--swarm` with membership changes, kv-raft seed 77).
   */
  answeredAt = -Infinity;
  /** Highest read round this follower has echoed in the current term (read-index.ts). */
  round = 0;

  constructor(
    readonly id: NodeId,
    lastIndex: number,
    now: number,
  ) {
    this.next = lastIndex + 1;
    this.lastAckAt = now;
    // A new leader assumes it heard from everyone at its election, so check-quorum gives
    // followers one full period to answer.
    this.lastHeardAt = now;
  }

  /** Records an answer from this follower, at local time `now`. */
  heard(now: number): void {
    this.lastHeardAt = now;
    this.answeredAt = now;
  }

  /** True when another append may be sent now. */
  canSend(): boolean {
    if (this.state === 'probe') return !this.probeSent;
    if (this.state === 'replicate') return this.inflight.length < MAX_INFLIGHT;
    return false;
  }

  /** Records that entries through `last` were sent. */
  sent(last: number): void {
    if (this.state === 'replicate') {
      if (last >= this.next) {
        this.next = last + 1;
        this.inflight.push(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** An acceptance through `match`; returns true if it taught the leader something new. */
  acknowledged(match: number, now: number): boolean {
    this.lastAckAt = now;
    this.probeSent = false;
    const advanced = match > this.match;
    if (advanced) this.match = match;
    if (this.next <= match) this.next = match + 1;
    while (this.inflight.length > 0 && (this.inflight[0] as number) <= match) this.inflight.shift();
    if (this.state === 'probe') this.becomeReplicate();
    return advanced;
  }

  /**
   * A rejection of the append at `rejected`. Stale rejections (of positions already known to
   * match) are ignored; otherwise the leader falls back to probing from the hint.
   */
  rejected(rejected: number, retryAt: number): boolean {
    if (rejected <= this.match) return false;
    if (this.state === 'replicate' || this.state === 'probe') {
      this.next = Math.max(this.match + 1, Math.min(retryAt, rejected));
      this.becomeProbe();
      return true;
    }
    return false;
  }

  becomeProbe(): void {
    this.state = 'probe';
    this.probeSent = false;
    this.inflight.length = 0;
    if (this.next <= this.match) this.next = this.match + 1;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.inflight.length = 0;
    this.next = this.match + 1;
  }

  becomeSnapshot(): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.inflight.length = 0;
  }
}

/**
 * Where the leader should retry after a rejection, from the follower's hint (§5.4.3 in the
 * spirit of the dissertation's optimization): if the leader has entries of the conflicting
 * term, skip to just after its last one; otherwise skip the follower's whole conflicting term.
 */
export function retryIndex(
  hintIndex: number,
  hintTerm: number,
  lastIndexOfTerm: (term: number) => number,
): number {
  if (hintTerm === 0) return hintIndex;
  const mine = lastIndexOfTerm(hintTerm);
  return mine > 0 ? mine + 1 : hintIndex;
}

/**
 * The commit index a leader may adopt (§3.6.2, Figure 3.7 / the paper's Figure 8): the
 * highest index a majority holds, but only if that entry is of the leader's current term.
 * Entries of earlier terms are committed only indirectly, by a later current-term entry. The
 * `commit-old-term` mutant drops that condition.
 */
export function commitCandidate(
  config: Membership,
  match: (id: NodeId) => number,
  termAt: (index: number) => number | undefined,
  currentTerm: number,
  commitIndex: number,
  countOldTerms: boolean,
): number {
  const n = quorumMatch(config, match);
  if (n <= commitIndex) return commitIndex;
  if (countOldTerms) return n;
  return termAt(n) === currentTerm ? n : commitIndex;
}
