/**
 * The leader's side of linearizable reads (§6.4): ReadIndex rounds carried by heartbeats,
 * lease reads, reads held until this leader has committed in its term, and answering the
 * read-index requests of followers that serve reads themselves (read-index.ts says why each
 * is safe).
 */
import type { NodeEnv, NodeId, RequestId } from '../../core/node.js';
import type { RaftTiming, Role } from './election.js';
import { hasQuorum, quorumMatch } from './membership.js';
import type { Membership, RaftMsg } from './messages.js';
import { leaseDuration, ReadRounds, type Reader } from './read-index.js';
import type { StateMachine } from './state-machine.js';

export type ReadMode = 'read-index' | 'lease';

/** What the leader's reads need of their server. */
export interface LeaderReadHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly sm: Pick<StateMachine, 'read'>;
  readonly timing: RaftTiming;
  role(): Role;
  term(): number;
  commit(): number;
  applied(): number;
  config(): Membership;
  /** The read round `id` last echoed (0 for a server the leader does not track). */
  roundOf(id: NodeId): number;
  /** True once this leader has committed an entry of its own term (§6.4). */
  committedInTerm(): boolean;
  /** True when this leader heard from a majority within the minimum election timeout. */
  hearsQuorum(): boolean;
  /** A heartbeat to every follower, carrying the current round. */
  heartbeatAll(): void;
  replyNotLeader(request: RequestId): void;
}

export class LeaderReads {
  private readonly rounds = new ReadRounds();
  /** Reads that arrived before this leader committed an entry of its term (§6.4 step 1). */
  private early: Reader[] = [];

  constructor(
    private readonly host: LeaderReadHost,
    private readonly mode: ReadMode,
    /** For lease reads: the assumed bound on every clock's rate error (0.05 = ±5 %). */
    private readonly driftBound: number,
    /** The read-index-no-round mutant answers followers without a round whatever the config. */
    private readonly noRound: boolean,
  ) {}

  /** The latest round started (carried by every heartbeat and append). */
  get round(): number {
    return this.rounds.round;
  }

  /** A heartbeat is going out to every follower: it starts a round. */
  startRound(now: number): void {
    this.rounds.start(now);
  }

  /** A read at the leader: a client's, or a follower's read-index request (§6.4). */
  read(reader: Reader): void {
    if (!this.host.committedInTerm()) {
      this.early.push(reader);
      return;
    }
    this.start(reader);
  }

  private start(reader: Reader): void {
    const { env, timing } = this.host;
    const now = env.now();
    if (
      this.mode === 'lease' &&
      this.rounds.leaseValid(now, leaseDuration(timing.electionMinMs, this.driftBound))
    ) {
      this.rounds.addConfirmed(reader, this.host.commit());
      this.serve();
      return;
    }
    if (this.rounds.add(reader, this.host.commit())) this.startReadRound();
  }

  /** Entries were applied: reads held for the term's first commit, or for applying, may go. */
  applied(): void {
    if (this.early.length > 0 && this.host.committedInTerm()) {
      const early = this.early;
      this.early = [];
      for (const r of early) this.start(r);
    }
    this.serve();
  }

  /** Starts a read round now: a heartbeat to every follower carries it. */
  private startReadRound(): void {
    this.rounds.start(this.host.env.now());
    this.host.heartbeatAll();
    this.confirm();
  }

  /** Confirms every read round a majority has echoed, then answers what it can. */
  confirm(): void {
    const h = this.host;
    if (h.role() !== 'leader') return;
    const round = quorumMatch(h.config(), (id) =>
      id === h.env.id ? this.rounds.round : h.roundOf(id),
    );
    if (this.rounds.confirm(round)) this.startReadRound();
    this.serve();
  }

  private serve(): void {
    const { env, sm } = this.host;
    for (const r of this.rounds.takeReady(this.host.applied())) {
      const who = r.reader;
      if (who.kind === 'client') {
        env.reply(who.request, { ok: true, value: sm.read(who.query) });
      } else {
        // A follower's request: the noted commit index, now that leadership is confirmed.
        env.send(who.from, {
          type: 'read-index-resp',
          term: this.host.term(),
          ctx: who.ctx,
          index: r.readIndex,
          ok: true,
        });
      }
    }
  }

  /** A read this leader will not serve: the client or the asking follower hears so. */
  private refuse(reader: Reader): void {
    if (reader.kind === 'client') return this.host.replyNotLeader(reader.request);
    this.host.env.send(reader.from, {
      type: 'read-index-resp',
      term: this.host.term(),
      ctx: reader.ctx,
      index: 0,
      ok: false,
    });
  }

  /** Leadership ended: reads changed nothing, so they failed definitely. */
  abandon(): void {
    for (const r of this.rounds.drain()) this.refuse(r.reader);
    for (const r of this.early) this.refuse(r);
    this.early = [];
  }

  /** The leader's side of a follower read: handled exactly like a read of its own. */
  onReadIndex(from: NodeId, m: Extract<RaftMsg, { type: 'read-index' }>): void {
    const h = this.host;
    const reader: Reader = { kind: 'peer', from, ctx: m.ctx };
    // Not the leader the follower asked for, or one cut off from its majority: refuse now.
    if (h.role() !== 'leader' || m.term !== h.term() || !h.hearsQuorum()) {
      return this.refuse(reader);
    }
    if (
      h.committedInTerm() &&
      (this.noRound || hasQuorum(h.config(), (id) => id === h.env.id || id === from))
    ) {
      // This leader and the asking follower are a majority (three voters): the answer needs no
      // round. The follower uses it only while it is still in this term under this leader,
      // i.e. it too acknowledges the leadership after the request arrived here. Then, when the
      // request arrived, neither had moved past this term, and any majority of a later term
      // needs one of them: no later leader existed, and the commit index noted now covers
      // every write completed by then — what a round would have proven (read-index.ts).
      h.env.metric('read-index-without-round');
      h.env.send(from, {
        type: 'read-index-resp',
        term: h.term(),
        ctx: m.ctx,
        index: h.commit(),
        ok: true,
      });
      return;
    }
    this.read(reader);
  }
}
