/**
 * Single-decree Paxos, one independent instance per key. Every node plays all three roles:
 *
 * - proposer: on a client's `propose(instance, v)` it runs phase 1 (prepare/promise) with a
 *   fresh ballot, adopts the highest-ballot value any promise reports (else `v`), and runs
 *   phase 2 (accept/accepted); rejected or stalled, it retries with a higher ballot after a
 *   random backoff (without the backoff, dueling proposers can pre-empt each other forever);
 * - acceptor: promises and accepts only what its durable state allows, and makes every promise
 *   and every accept durable before answering;
 * - learner: a value is chosen once a majority of acceptors accepted it in the same ballot.
 *
 * The client is answered with the chosen value, which may be another proposer's.
 */
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode, TimerId } from '../../core/node.js';
import { type Ballot, makeBallot, majority, NO_BALLOT, proposerIndex, roundOf } from './ballot.js';

export type PaxosMsg =
  | { readonly type: 'prepare'; readonly instance: string; readonly ballot: Ballot }
  | {
      readonly type: 'promise';
      readonly instance: string;
      readonly ballot: Ballot;
      readonly acceptedBallot: Ballot;
      readonly acceptedValue: string | null;
    }
  | {
      readonly type: 'accept';
      readonly instance: string;
      readonly ballot: Ballot;
      readonly value: string;
    }
  | {
      readonly type: 'accepted';
      readonly instance: string;
      readonly ballot: Ballot;
      readonly value: string;
    }
  | {
      readonly type: 'nack';
      readonly instance: string;
      readonly ballot: Ballot;
      readonly promised: Ballot;
    };

export interface PaxosMutants {
  /** The acceptor answers a prepare without making its promise durable. */
  readonly forgetPromise: boolean;
  /** The acceptor accepts a ballot lower than the one it promised. */
  readonly acceptLowerBallot: boolean;
}

export const NO_MUTANTS: PaxosMutants = { forgetPromise: false, acceptLowerBallot: false };

/** What one acceptor holds for one instance; the durable record under `acc/<instance>`. */
interface AcceptorState {
  promised: Ballot;
  acceptedBallot: Ballot;
  acceptedValue: string | null;
}

interface ProposerState {
  ballot: Ballot;
  phase: 'prepare' | 'accept';
  /** This proposer's own candidate (the first client's value). */
  readonly own: string;
  readonly promises: Map<NodeId, { ballot: Ballot; value: string | null }>;
  value: string | null;
  timer: TimerId | null;
  attempts: number;
  /** Accept retransmissions in the current ballot. */
  resends: number;
}

/** How long a proposer waits for a phase to complete before resending or retrying. */
const PHASE_TIMEOUT_MS = 60;
/** Mean of the random pause before a new ballot after pre-emption, times the attempt count. */
const BACKOFF_MS = 15;
/** Accept is resent at most this often in one ballot before moving to a higher ballot. */
const MAX_RESENDS = 4;
/** By default a proposer gives up (its clients see an unknown outcome) after this many ballots. */
export const DEFAULT_MAX_BALLOTS = 40;

export interface PaxosOptions {
  readonly mutants: PaxosMutants;
  /** Randomized backoff between a proposer's ballots (off only to show dueling proposers). */
  readonly backoff: boolean;
  /**
   * Ballots a proposer starts for one instance before it gives up. The budget bounds how long a
   * duel can last, so it hides a livelock: the dueling-proposers experiment raises it.
   */
  readonly maxBallots: number;
}

export class SingleDecreePaxosNode implements ProtocolNode<PaxosMsg> {
  private readonly index: number;
  private readonly quorum: number;
  private readonly acceptor = new Map<string, AcceptorState>();
  private readonly proposers = new Map<string, ProposerState>();
  /** Learner: for each instance and ballot, who accepted which value. */
  private readonly votes = new Map<string, Map<Ballot, { value: string; from: Set<NodeId> }>>();
  private readonly learned = new Map<string, string>();
  /** Client requests waiting for an instance to be decided. */
  private readonly waiting = new Map<string, number[]>();
  /** The highest round this node has used or seen; made durable before a ballot is used. */
  private round = 0;
  private lastLearned: { instance: string; value: string } | null = null;
  /** Set when this learner saw two different values chosen for one instance. */
  private conflict: string | null = null;
  private ballotsStarted = 0;

  constructor(
    private readonly env: NodeEnv<PaxosMsg>,
    private readonly options: PaxosOptions,
  ) {
    if (!Number.isInteger(options.maxBallots) || options.maxBallots < 1) {
      throw new RangeError(`maxBallots must be a positive integer, got ${options.maxBallots}`);
    }
    this.index = proposerIndex(env.cluster, env.id);
    this.quorum = majority(env.cluster.length);
  }

  start(): void {
    const s = this.env.storage;
    this.round = (s.get('round') as number | undefined) ?? 0;
    for (const key of s.keys('acc/')) {
      this.acceptor.set(key.slice(4), { ...(s.get(key) as unknown as AcceptorState) });
    }
  }

  // ---- client -------------------------------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    const op = request.op as { f?: Json; key?: Json; value?: Json };
    if (op.f !== 'propose' || typeof op.key !== 'string' || typeof op.value !== 'string') {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    const decided = this.learned.get(op.key);
    if (decided !== undefined) {
      this.env.reply(request.id, { ok: true, value: decided });
      return;
    }
    const waiters = this.waiting.get(op.key) ?? [];
    waiters.push(request.id);
    this.waiting.set(op.key, waiters);
    if (!this.proposers.has(op.key)) {
      this.proposers.set(op.key, {
        ballot: NO_BALLOT,
        phase: 'prepare',
        own: op.value,
        promises: new Map(),
        value: null,
        timer: null,
        attempts: 0,
        resends: 0,
      });
      this.newBallot(op.key);
    }
  }

  // ---- proposer -----------------------------------------------------------------------------

  /** Starts phase 1 with a ballot higher than any this node has used or seen. */
  private newBallot(instance: string): void {
    const p = this.proposers.get(instance);
    if (p === undefined) return;
    if (++p.attempts > this.options.maxBallots) {
      this.proposers.delete(instance);
      for (const id of this.waiting.get(instance) ?? []) {
        this.env.reply(id, { ok: false, error: 'no decision reached', definite: false });
      }
      this.waiting.delete(instance);
      return;
    }
    this.round++;
    const ballot = makeBallot(this.round, this.index);
    p.ballot = ballot;
    p.phase = 'prepare';
    p.promises.clear();
    p.value = null;
    p.resends = 0;
    this.ballotsStarted++;
    this.env.metric('paxos.ballots');
    // A ballot must never be reused after a restart with a different value: the round is
    // durable before any acceptor hears of the ballot.
    this.env.storage.put('round', this.round);
    this.env.storage.sync(() => {
      if (this.proposers.get(instance)?.ballot !== ballot) return;
      for (const to of this.env.cluster) this.env.send(to, { type: 'prepare', instance, ballot });
      this.armTimer(instance, p);
    });
  }

  private armTimer(instance: string, p: ProposerState): void {
    if (p.timer !== null) this.env.cancelTimer(p.timer);
    p.timer = this.env.setTimer(PHASE_TIMEOUT_MS, 'phase', { instance, ballot: p.ballot });
  }

  private retryLater(instance: string, p: ProposerState): void {
    if (p.timer !== null) this.env.cancelTimer(p.timer);
    p.timer = null;
    p.ballot = NO_BALLOT; // ignore late answers to the abandoned ballot
    const delay = this.options.backoff ? this.env.random.range(0, BACKOFF_MS * p.attempts) : 0;
    this.env.setTimer(delay, 'retry', { instance });
  }

  private onPromise(from: NodeId, msg: Extract<PaxosMsg, { type: 'promise' }>): void {
    const p = this.proposers.get(msg.instance);
    if (p === undefined || p.ballot !== msg.ballot || p.phase !== 'prepare') return;
    p.promises.set(from, { ballot: msg.acceptedBallot, value: msg.acceptedValue });
    if (p.promises.size < this.quorum) return;
    // Adopt the value of the highest ballot any promising acceptor accepted: it may be chosen.
    let best: { ballot: Ballot; value: string | null } = { ballot: NO_BALLOT, value: null };
    for (const a of p.promises.values()) if (a.ballot > best.ballot) best = a;
    p.value = best.value ?? p.own;
    p.phase = 'accept';
    this.sendAccepts(msg.instance, p);
  }

  private sendAccepts(instance: string, p: ProposerState): void {
    const value = p.value as string;
    for (const to of this.env.cluster) {
      this.env.send(to, { type: 'accept', instance, ballot: p.ballot, value });
    }
    this.armTimer(instance, p);
  }

  private onNack(msg: Extract<PaxosMsg, { type: 'nack' }>): void {
    this.round = Math.max(this.round, roundOf(msg.promised));
    const p = this.proposers.get(msg.instance);
    if (p === undefined || p.ballot !== msg.ballot) return;
    this.env.metric('paxos.preempted');
    this.retryLater(msg.instance, p);
  }

  // ---- acceptor -----------------------------------------------------------------------------

  private state(instance: string): AcceptorState {
    let a = this.acceptor.get(instance);
    if (a === undefined) {
      a = { promised: NO_BALLOT, acceptedBallot: NO_BALLOT, acceptedValue: null };
      this.acceptor.set(instance, a);
    }
    return a;
  }

  private persist(instance: string, a: AcceptorState): void {
    this.env.storage.put(`acc/${instance}`, { ...a });
  }

  private onPrepare(from: NodeId, msg: Extract<PaxosMsg, { type: 'prepare' }>): void {
    const a = this.state(msg.instance);
    if (msg.ballot < a.promised) {
      this.env.send(from, this.nack(msg.instance, msg.ballot, a));
      return;
    }
    a.promised = msg.ballot;
    const promise: PaxosMsg = {
      type: 'promise',
      instance: msg.instance,
      ballot: msg.ballot,
      acceptedBallot: a.acceptedBallot,
      acceptedValue: a.acceptedValue,
    };
    if (this.options.mutants.forgetPromise) {
      // The mutant keeps the promise in memory only: a restart forgets it.
      this.env.send(from, promise);
      return;
    }
    this.persist(msg.instance, a);
    this.env.storage.sync(() => this.env.send(from, promise));
  }

  private onAccept(from: NodeId, msg: Extract<PaxosMsg, { type: 'accept' }>): void {
    const a = this.state(msg.instance);
    if (msg.ballot < a.promised && !this.options.mutants.acceptLowerBallot) {
      this.env.send(from, this.nack(msg.instance, msg.ballot, a));
      return;
    }
    a.promised = Math.max(a.promised, msg.ballot);
    a.acceptedBallot = msg.ballot;
    a.acceptedValue = msg.value;
    this.persist(msg.instance, a);
    const accepted: PaxosMsg = {
      type: 'accepted',
      instance: msg.instance,
      ballot: msg.ballot,
      value: msg.value,
    };
    this.env.storage.sync(() => {
      for (const to of this.env.cluster) this.env.send(to, accepted);
    });
  }

  private nack(instance: string, ballot: Ballot, a: AcceptorState): PaxosMsg {
    return { type: 'nack', instance, ballot, promised: a.promised };
  }

  // ---- learner ------------------------------------------------------------------------------

  private onAccepted(from: NodeId, msg: Extract<PaxosMsg, { type: 'accepted' }>): void {
    this.round = Math.max(this.round, roundOf(msg.ballot));
    let byBallot = this.votes.get(msg.instance);
    if (byBallot === undefined) this.votes.set(msg.instance, (byBallot = new Map()));
    let v = byBallot.get(msg.ballot);
    if (v === undefined) byBallot.set(msg.ballot, (v = { value: msg.value, from: new Set() }));
    v.from.add(from);
    if (v.from.size < this.quorum) return;
    const known = this.learned.get(msg.instance);
    if (known === undefined) this.learn(msg.instance, v.value);
    else if (known !== v.value && this.conflict === null) {
      // Two different values each accepted by a majority: Paxos's one safety property is gone.
      // Learners keep counting after they learn precisely so that this cannot go unnoticed.
      this.conflict = `${msg.instance}: chosen ${known} and ${v.value} (ballot ${msg.ballot})`;
    }
  }

  private learn(instance: string, value: string): void {
    this.learned.set(instance, value);
    this.lastLearned = { instance, value };
    const p = this.proposers.get(instance);
    if (p !== undefined) {
      if (p.timer !== null) this.env.cancelTimer(p.timer);
      this.proposers.delete(instance);
    }
    for (const id of this.waiting.get(instance) ?? []) {
      this.env.reply(id, { ok: true, value });
    }
    this.waiting.delete(instance);
  }

  // ---- events -------------------------------------------------------------------------------

  onMessage(from: NodeId, msg: PaxosMsg): void {
    switch (msg.type) {
      case 'prepare':
        return this.onPrepare(from, msg);
      case 'promise':
        return this.onPromise(from, msg);
      case 'accept':
        return this.onAccept(from, msg);
      case 'accepted':
        return this.onAccepted(from, msg);
      case 'nack':
        return this.onNack(msg);
    }
  }

  onTimer(name: string, data: Json | undefined): void {
    const { instance, ballot } = data as { instance: string; ballot?: Ballot };
    const p = this.proposers.get(instance);
    if (p === undefined) return;
    if (name === 'retry') {
      if (p.ballot === NO_BALLOT) this.newBallot(instance);
      return;
    }
    if (p.ballot !== ballot) return;
    p.timer = null;
    // Phase 2 stalled: resending the same accept is safe and cheap under message loss.
    if (p.phase === 'accept' && p.resends < MAX_RESENDS) {
      p.resends++;
      this.sendAccepts(instance, p);
      return;
    }
    this.retryLater(instance, p);
  }

  /** The value this node learned for `instance`, if any. */
  learnedValue(instance: string): string | undefined {
    return this.learned.get(instance);
  }

  /** The most recent instance this node learned (for the cheap per-step agreement check). */
  latestLearned(): { instance: string; value: string } | null {
    return this.lastLearned;
  }

  /** Two different values this learner saw chosen for one instance, if it ever did. */
  chosenConflict(): string | null {
    return this.conflict;
  }

  inspect() {
    return {
      learned: this.learned.size,
      proposing: this.proposers.size,
      round: this.round,
      ballotsStarted: this.ballotsStarted,
    };
  }
}
