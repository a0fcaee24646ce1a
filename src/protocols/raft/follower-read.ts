/**
 * The follower's side of follower reads: holding reads, asking the leader for a read index,
 * and serving them once applied through it (read-index.ts says why this is linearizable).
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, RequestId } from '../../core/node.js';
import type { RaftTiming, Role } from './election.js';
import type { RaftMsg } from './messages.js';
import { must } from './raft-assert.js';
import { FollowerReads, type HeldRead, type ReadBatch } from './read-index.js';
import type { StateMachine } from './state-machine.js';

/** What follower reads need of their server. */
export interface FollowerReadHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly sm: Pick<StateMachine, 'read' | 'readNeedsLeader'>;
  readonly timing: RaftTiming;
  role(): Role;
  term(): number;
  leader(): NodeId | null;
  applied(): number;
  /** Leader stickiness: this server heard from a leader within the minimum election timeout. */
  leaderIsAlive(): boolean;
  replyNotLeader(request: RequestId): void;
  becomeFollower(term: number, leader: NodeId | null): void;
}

export class FollowerReader {
  private readonly reads = new FollowerReads();
  /** Names this incarnation's read-index requests (drawn at the first one); then a counter. */
  private nonce: string | null = null;
  private seq = 0;

  constructor(
    private readonly host: FollowerReadHost,
    /** Off: followers refuse reads with "not leader", so clients go to the leader. */
    private readonly enabled: boolean,
    /** The follower-read-no-wait mutant serves at once, whatever it has applied. */
    private readonly noWait: boolean,
  ) {}

  /**
   * Whether this server, not the leader, may serve `op` itself (read-index.ts explains why that
   * is safe): only a follower that has heard from a live leader lately, and never a read that
   * needs the leader's own state. Otherwise the client is sent to the leader.
   */
  mayServe(op: Json): boolean {
    const h = this.host;
    const leader = h.leader();
    return (
      this.enabled &&
      h.role() === 'follower' &&
      leader !== null &&
      leader !== h.env.id &&
      h.leaderIsAlive() &&
      h.sm.readNeedsLeader?.(op) !== true
    );
  }

  hold(read: HeldRead): void {
    const fr = this.reads;
    this.settle();
    if (fr.empty) {
      fr.term = this.host.term();
      fr.leader = this.host.leader();
    }
    if (fr.hold(read)) this.askReadIndex();
  }

  /**
   * Sends the queued reads' request. Sent after every read in it arrived here, so the index
   * the leader notes on receiving it is its commit index at a moment after each of them.
   */
  private askReadIndex(): void {
    const { env, timing } = this.host;
    const fr = this.reads;
    const leader = must(fr.leader, 'read-index-leader-known', 'held reads name their leader');
    // A random nonce per incarnation and a counter: an answer to an earlier request of this
    // life (late or duplicated) or, barring a 1-in-2^31 draw, of an earlier life names another
    // ctx and is ignored — its index may predate the reads now waiting.
    this.nonce ??= env.random.int(0x7fffffff).toString(36);
    const ctx = `${this.nonce}.${++this.seq}`;
    // One election timeout: an answer later than that means the leader is gone or unreachable.
    const timer = env.setTimer(timing.electionMaxMs, 'follower-read', { ctx });
    fr.send(ctx, timer);
    env.send(leader, { type: 'read-index', term: fr.term, ctx });
  }

  onReadIndexResp(from: NodeId, m: Extract<RaftMsg, { type: 'read-index-resp' }>): void {
    if (m.term > this.host.term()) return this.host.becomeFollower(m.term, null);
    const fr = this.reads;
    if (fr.empty || from !== fr.leader || m.term !== fr.term) return;
    if (!m.ok) {
      const refused = fr.refuse(m.ctx);
      if (refused === undefined) return;
      // The leader will not confirm: fail these and the reads queued behind them.
      this.fail([refused], fr.takeQueued());
      return;
    }
    if (!fr.answer(m.ctx, this.noWait ? 0 : m.index)) return;
    this.serve();
    if (fr.wantsRequest) this.askReadIndex();
  }

  /** Serves every answered batch this follower has applied through (read-index.ts: why). */
  serve(): void {
    const { env, sm } = this.host;
    for (const b of this.reads.servable(this.host.applied())) {
      env.cancelTimer(b.timer);
      for (const r of b.reads) {
        env.metric('follower-reads');
        env.reply(r.request, { ok: true, value: sm.read(r.query) });
      }
    }
  }

  timeout(ctx: string): void {
    const fr = this.reads;
    const expired = fr.expire(ctx);
    if (expired === undefined) return;
    this.host.env.metric('follower-read-timeouts');
    this.fail([expired], []);
    if (fr.wantsRequest) this.askReadIndex();
  }

  /**
   * Fails every held read if this server is no longer a follower of the term and leader they
   * were taken under: the answer they wait for may never come. (An answered read would still
   * be safe to serve, but its server may never catch up now; the client retries elsewhere.)
   */
  settle(): void {
    const fr = this.reads;
    if (fr.empty) return;
    const h = this.host;
    if (h.role() === 'follower' && h.term() === fr.term && h.leader() === fr.leader) return;
    const { batches, queued } = fr.drain();
    this.fail(batches, queued);
  }

  /** Fails reads that were never served: a definite failure with the leader hint, if any. */
  private fail(batches: readonly ReadBatch[], queued: readonly HeldRead[]): void {
    for (const b of batches) {
      this.host.env.cancelTimer(b.timer);
      for (const r of b.reads) this.host.replyNotLeader(r.request);
    }
    for (const r of queued) this.host.replyNotLeader(r.request);
  }
}
