/**
 * Paxos Commit: Jim Gray and Leslie Lamport, "Consensus on Transaction Commit", ACM Transactions
 * on Database Systems 31(1), 2006, Section 4. The same transactions, accounts and participants
 * as two-phase-commit.ts, but no single node decides: each participant (resource manager, RM)
 * has its own Paxos instance that chooses its vote, Prepared or Aborted, among 2F + 1
 * acceptors, and the transaction commits iff every instance chose Prepared.
 *
 * Normal case. The coordinator (the leader) sends each RM its part with the list of the
 * transaction's RMs. Ballot 0 of an RM's instance belongs to that RM, so it needs no phase 1:
 * the RM makes its `prepared` record durable and sends its phase 2a (Prepared, or Aborted)
 * straight to F + 1 acceptors, as the paper's cost count does (any majority would do). An
 * acceptor makes the acceptance durable and answers the leader with phase 2b, bundling an
 * instance's Prepared with the others of the same transaction once it holds them all (an
 * Aborted goes at once: it settles the transaction alone). The leader learns an instance's value
 * from F + 1 matching 2b messages and announces commit or abort to the RMs and the client.
 *
 * Recovery. A leader that has not learned every instance in time, or an RM left in doubt (the
 * leader is down or slow), runs phase 1 in a higher ballot for each instance not known decided,
 * then phase 2 with the value of the highest ballot a promise reports, or Aborted where no
 * acceptor of the majority reports one, and tells the RMs what was chosen. Ballots above 0 are
 * round × n + index + 1 with the round durable before use, so no two proposers share one.
 * Acceptors make promises and acceptances durable before answering. Nothing in the leader needs
 * to be durable: the acceptors hold the outcome.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, TimerId } from '../../core/node.js';
import {
  ABORTED,
  type InstanceReport,
  type InstanceValue,
  type PaxosCommitMsg,
  type RmVote,
} from './paxos-commit-messages.js';
import {
  type AcceptorTxn,
  type InstanceState,
  readAcceptorTxn,
  readNodeList,
  readPhaseTimer,
  readRound,
  readTxnTimer,
} from './paxos-commit-records.js';
import {
  type ActiveTxn,
  type Changes,
  type ConsensusMsg,
  TwoPcNode,
  type TwoPcMsg,
} from './two-phase-commit.js';

export interface PaxosCommitMutants {
  /** An acceptor answers phase 2b before its acceptance is durable (a crash may lose it). */
  readonly ackBeforeSync: boolean;
  /** A recovering leader proposes Aborted in its ballot without running phase 1 first. */
  readonly skipPhase1OnRecovery: boolean;
  /**
   * An RM sends its ballot-0 Aborted vote without making it durable: after a restart a
   * duplicate prepare can draw a Prepared vote from it in the same ballot.
   */
  readonly forgetAbortVote?: boolean;
  /**
   * An RM that prepared a transaction forgets it once it learns the abort (no `released/<txn>`
   * record): after a restart a late duplicate prepare draws a second ballot-0 vote from it,
   * Aborted where it had voted Prepared when a lock now refuses it.
   */
  readonly forgetReleasedVote?: boolean;
}

export interface PaxosCommitConfig {
  /** Faults tolerated: 2F + 1 acceptors. */
  readonly f: number;
  readonly mutants: PaxosCommitMutants;
}

export type PaxosCommitParamCode = 'bad-f' | 'cluster-too-small';

export class PaxosCommitParamError extends Error {
  constructor(
    readonly code: PaxosCommitParamCode,
    message: string,
  ) {
    super(message);
  }
}

/** The largest F accepted (2F + 1 acceptors must fit the largest cluster the CLI builds). */
export const MAX_F = 50;

/** Checks F on its own: an integer in [0, MAX_F]. */
export function checkF(f: number): number {
  if (!Number.isInteger(f) || f < 0 || f > MAX_F) {
    throw new PaxosCommitParamError('bad-f', `paxos-commit: F must be an integer in [0, ${MAX_F}]`);
  }
  return f;
}

/** The 2F + 1 acceptors: the last nodes of the cluster (with 4 nodes and F = 1: n2, n3, n4). */
export function acceptorsOf(cluster: readonly NodeId[], f: number): readonly NodeId[] {
  const n = 2 * checkF(f) + 1;
  if (n > cluster.length) {
    throw new PaxosCommitParamError(
      'cluster-too-small',
      `paxos-commit: F=${f} needs 2F + 1 = ${n} acceptors, but the cluster has ${cluster.length} nodes`,
    );
  }
  return cluster.slice(cluster.length - n);
}

/** Retry ticks (100 ms each) an RM stays in doubt before it runs recovery itself. */
const DOUBT_TICKS = 2;
/** How long a proposer waits for a phase before giving the ballot up. */
const PHASE_TIMEOUT_MS = 80;

const FRESH: InstanceState = { mbal: 0, bal: -1, vote: null };

interface Proposal {
  readonly ballot: number;
  readonly instances: readonly NodeId[];
  /** 1, 2: the phase under way; 0: an acceptor refused the ballot (it waits for its timer). */
  phase: 0 | 1 | 2;
  readonly promises: Map<NodeId, readonly InstanceReport[]>;
  timer: TimerId | null;
}

/** What a node that wants a transaction's outcome knows of its instances. */
interface Learner {
  readonly rms: readonly NodeId[];
  /** The coordinator's transaction when this node leads it; null for an RM's recovery. */
  readonly txn: ActiveTxn | null;
  readonly chosen: Map<NodeId, RmVote>;
  /** Phase 2b messages per instance and ballot (`rm@ballot`): the value and who accepted it. */
  readonly accepts: Map<string, { readonly vote: RmVote; readonly from: Set<NodeId> }>;
  proposal: Proposal | null;
}

export class PaxosCommitNode extends TwoPcNode {
  private readonly acceptors: readonly NodeId[];
  /** The F + 1 acceptors an RM sends its ballot-0 vote to. */
  private readonly firstMajority: readonly NodeId[];
  private readonly acceptorTxns = new Map<string, AcceptorTxn>();
  /** Transactions whose ballot-0 bundle this acceptor has sent (resending is never needed). */
  private readonly bundled = new Set<string>();
  private readonly learners = new Map<string, Learner>();
  /** The RMs of each transaction this RM takes part in (record `rms/<txn>`). */
  private readonly rmsOf = new Map<string, readonly NodeId[]>();
  private readonly doubtTicks = new Map<string, number>();
  private round = 0;
  /** Transactions this RM voted Aborted in (record `voted-no/<txn>`). */
  private readonly votedNo = new Set<string>();
  /** Set when this acceptor saw a ballot carry two different votes for one instance. */
  private twoValues: string | null = null;

  constructor(
    env: NodeEnv<TwoPcMsg>,
    private readonly config: PaxosCommitConfig,
  ) {
    super(env, { commitBeforeAllPrepared: false });
    this.acceptors = acceptorsOf(env.cluster, config.f);
    this.firstMajority = this.acceptors.slice(0, config.f + 1);
  }

  private get majority(): number {
    return this.config.f + 1;
  }

  private get isAcceptor(): boolean {
    return this.acceptors.includes(this.env.id);
  }

  override start(): void {
    const s = this.env.storage;
    this.round = readRound(s.get('pc-round'));
    for (const key of s.keys('pc/')) {
      this.acceptorTxns.set(key.slice(3), readAcceptorTxn(key, s.get(key)));
    }
    for (const key of s.keys('rms/')) this.rmsOf.set(key.slice(4), readNodeList(key, s.get(key)));
    for (const key of s.keys('voted-no/')) {
      this.aborted.add(key.slice(9));
      this.votedNo.add(key.slice(9));
    }
    // Prepared, then released on an abort (onDecision): its ballot-0 vote is sent.
    for (const key of s.keys('released/')) this.aborted.add(key.slice(9));
    super.start();
  }

  // ---- leader (the coordinator) ---------------------------------------------------------------

  protected override sendPrepares(txn: ActiveTxn): void {
    const rms = [...txn.parts.keys()];
    this.learners.set(txn.id, newLearner(rms, txn));
    for (const [p, changes] of txn.parts) {
      this.env.send(p, { type: 'prepare', txn: txn.id, changes, rms });
    }
  }

  protected override onStatus(from: NodeId, msg: Extract<TwoPcMsg, { type: 'status' }>): void {
    // Only what it learned: the leader never presumes abort (the acceptors may hold Prepared).
    const commit = this.decisions.get(msg.txn);
    if (commit !== undefined) this.env.send(from, { type: 'decision', txn: msg.txn, commit });
  }

  // ---- RM (participant) -----------------------------------------------------------------------

  protected override onPrepare(from: NodeId, msg: Extract<TwoPcMsg, { type: 'prepare' }>): void {
    // A duplicate prepare of a transaction whose outcome this RM has learned is not answered: its
    // ballot-0 vote is long sent, and voting again now could send the other value (Aborted,
    // once it has released a Prepared transaction on an abort) in the same ballot.
    const committed = this.records.get(msg.txn)?.state === 'committed';
    if (committed || (this.aborted.has(msg.txn) && !this.votedNo.has(msg.txn))) return;
    if (msg.rms !== undefined && !this.rmsOf.has(msg.txn)) {
      this.rmsOf.set(msg.txn, msg.rms);
      // Made durable with the prepared record (the base syncs before voting yes): an RM that
      // restarts in doubt needs the list to recover.
      this.env.storage.put(`rms/${msg.txn}`, [...msg.rms]);
    }
    super.onPrepare(from, msg);
  }

  /** The RM's vote is its phase 2a in ballot 0 of its own instance, sent to the acceptors. */
  protected override vote(_to: NodeId, txn: string, yes: boolean, changes: Changes): void {
    const rms = this.rmsOf.get(txn);
    if (rms === undefined) return; // a transaction this RM has forgotten: a decision was learned
    const msg: TwoPcMsg = {
      type: 'pc-2a',
      txn,
      ballot: 0,
      rms,
      values: [
        {
          rm: this.env.id,
          vote: yes ? { prepared: true, balances: this.balancesOf(changes) } : ABORTED,
        },
      ],
    };
    const send = (): void => {
      for (const a of this.firstMajority) this.env.send(a, msg);
    };
    if (yes) return send(); // the caller synced the prepared record first
    this.votedNo.add(txn);
    if (this.config.mutants.forgetAbortVote === true) return send();
    // Ballot 0 must carry one value: an Aborted vote is durable before it leaves, so a duplicate
    // prepare after a restart cannot draw a Prepared one from this RM.
    this.env.storage.put(`voted-no/${txn}`, true);
    this.env.storage.sync(send);
  }

  /** No acknowledgements: the acceptors, not the leader, remember the outcome. */
  protected override acknowledge(): void {}

  protected override onDecision(from: NodeId, msg: Extract<TwoPcMsg, { type: 'decision' }>): void {
    // An abort deletes the prepared record, and with it the memory that this RM voted Prepared in
    // ballot 0: a duplicate prepare after a restart would be voted on afresh — Aborted, if a lock
    // now refuses it — a second value in the ballot. The record goes first, so a crash that
    // keeps the deletion keeps it too (a crash keeps a prefix of the unsynced writes).
    const released = !msg.commit && this.records.get(msg.txn)?.state === 'prepared';
    if (released && this.config.mutants.forgetReleasedVote !== true) {
      this.env.storage.put(`released/${msg.txn}`, true);
    }
    super.onDecision(from, msg);
    this.doubtTicks.delete(msg.txn);
    const learner = this.learners.get(msg.txn);
    if (learner !== undefined && learner.txn === null) {
      this.drop(learner);
      this.learners.delete(msg.txn);
    }
  }

  // ---- acceptor -------------------------------------------------------------------------------

  private acceptorTxn(txn: string, rms: readonly NodeId[]): AcceptorTxn {
    return this.acceptorTxns.get(txn) ?? { rms, inst: {} };
  }

  private store(txn: string, t: AcceptorTxn): void {
    this.acceptorTxns.set(txn, t);
    this.env.storage.put(`pc/${txn}`, t as unknown as Json);
  }

  private onPhase1a(from: NodeId, msg: Extract<PaxosCommitMsg, { type: 'pc-1a' }>): void {
    if (!this.isAcceptor) return;
    const t = this.acceptorTxn(msg.txn, msg.rms);
    const promised = Math.max(...msg.instances.map((rm) => (t.inst[rm] ?? FRESH).mbal));
    if (promised >= msg.ballot) {
      this.env.send(from, { type: 'pc-nack', txn: msg.txn, ballot: msg.ballot, promised });
      return;
    }
    const inst = { ...t.inst };
    const reports: InstanceReport[] = [];
    for (const rm of msg.instances) {
      const s = inst[rm] ?? FRESH;
      inst[rm] = { ...s, mbal: msg.ballot };
      reports.push({ rm, bal: s.bal, vote: s.vote });
    }
    this.store(msg.txn, { rms: t.rms, inst });
    const reply: TwoPcMsg = { type: 'pc-1b', txn: msg.txn, ballot: msg.ballot, reports };
    this.env.storage.sync(() => this.env.send(from, reply));
  }

  private onPhase2a(from: NodeId, msg: Extract<PaxosCommitMsg, { type: 'pc-2a' }>): void {
    if (!this.isAcceptor) return;
    const t = this.acceptorTxn(msg.txn, msg.rms);
    const promised = Math.max(...msg.values.map((v) => (t.inst[v.rm] ?? FRESH).mbal));
    if (promised > msg.ballot) {
      // Ballot 0 is an RM's, and an RM waits for no answer: only a leader hears a refusal.
      if (msg.ballot > 0) {
        this.env.send(from, { type: 'pc-nack', txn: msg.txn, ballot: msg.ballot, promised });
      }
      return;
    }
    const inst = { ...t.inst };
    for (const v of msg.values) {
      this.noteSecondValue(msg.txn, msg.ballot, v, inst[v.rm]);
      inst[v.rm] = { mbal: msg.ballot, bal: msg.ballot, vote: v.vote };
    }
    const next: AcceptorTxn = { rms: t.rms, inst };
    this.store(msg.txn, next);
    if (msg.ballot > 0) return this.answer2b(from, msg.txn, msg.ballot, msg.values);
    // Ballot 0: answered to the transaction's leader. An Aborted vote settles the transaction
    // alone, so it goes at once; Prepared ones go as one message once all are here.
    if (msg.values.some((v) => !v.vote.prepared)) {
      return this.answer2b(this.coordinator, msg.txn, 0, msg.values);
    }
    if (this.bundled.has(msg.txn)) return;
    const bundle: InstanceValue[] = [];
    for (const rm of next.rms) {
      const s = next.inst[rm];
      if (s === undefined || s.bal !== 0 || s.vote === null || !s.vote.prepared) return;
      bundle.push({ rm, vote: s.vote });
    }
    this.bundled.add(msg.txn);
    this.answer2b(this.coordinator, msg.txn, 0, bundle);
  }

  /**
   * Paxos sends one value per ballot (Gray and Lamport 2006, Section 4.1: a ballot's leader sends
   * one phase 2a; Section 4.2: ballot 0 of an instance is its RM's). An acceptor that already
   * accepted a vote in this ballot and is now asked for the opposite one has seen that rule
   * broken: two values may then each be chosen in one ballot. The acceptor still accepts (what
   * it would have done anyway), but remembers the first such ballot for the invariant. Only
   * Prepared against Aborted counts: a repeated Prepared may carry other balances (an RM that
   * answers a duplicate prepare after the commit reports its balances as they now are).
   */
  private noteSecondValue(
    txn: string,
    ballot: number,
    v: InstanceValue,
    had: InstanceState | undefined,
  ): void {
    if (this.twoValues !== null || had === undefined || had.bal !== ballot || had.vote === null) {
      return;
    }
    if (had.vote.prepared === v.vote.prepared) return;
    const word = (vote: RmVote): string => (vote.prepared ? 'Prepared' : 'Aborted');
    this.twoValues = `txn ${txn}: ${v.rm}'s instance got ${word(had.vote)} and then ${word(v.vote)} in ballot ${ballot}`;
  }

  /** The first ballot in which this acceptor was sent two different votes, if any. */
  secondValueInBallot(): string | null {
    return this.twoValues;
  }

  /** Phase 2b, once the acceptance is durable (mutant `ack-before-sync`: at once). */
  private answer2b(
    to: NodeId,
    txn: string,
    ballot: number,
    values: readonly InstanceValue[],
  ): void {
    const send = (): void => this.env.send(to, { type: 'pc-2b', txn, ballot, values });
    if (this.config.mutants.ackBeforeSync) return send();
    this.env.storage.sync(send);
  }

  // ---- learning and proposing -----------------------------------------------------------------

  private onPhase2b(from: NodeId, msg: Extract<PaxosCommitMsg, { type: 'pc-2b' }>): void {
    const learner = this.learners.get(msg.txn);
    if (learner === undefined) return;
    for (const v of msg.values) {
      if (learner.chosen.has(v.rm) || !learner.rms.includes(v.rm)) continue;
      const key = `${v.rm}@${msg.ballot}`;
      let a = learner.accepts.get(key);
      if (a === undefined) {
        a = { vote: v.vote, from: new Set() };
        learner.accepts.set(key, a);
      }
      a.from.add(from);
      // F + 1 acceptors accepted it in one ballot: a majority, so it is chosen.
      if (a.from.size >= this.majority) learner.chosen.set(v.rm, a.vote);
    }
    this.settle(msg.txn, learner);
  }

  /** Commit iff every instance chose Prepared; abort as soon as one chose Aborted. */
  private settle(txn: string, learner: Learner): void {
    const votes = learner.rms.map((rm) => learner.chosen.get(rm));
    if (votes.some((v) => v !== undefined && !v.prepared)) this.conclude(txn, learner, false);
    else if (votes.every((v) => v?.prepared === true)) this.conclude(txn, learner, true);
  }

  private conclude(txn: string, learner: Learner, commit: boolean): void {
    this.learners.delete(txn);
    this.drop(learner);
    const active = learner.txn;
    if (active === null) {
      // An RM's recovery: every RM of the transaction hears the outcome (this one included).
      this.env.metric('twopc.recovered');
      for (const rm of learner.rms) this.env.send(rm, { type: 'decision', txn, commit });
      return;
    }
    this.active.delete(txn);
    this.env.cancelTimer(active.timer);
    this.decisions.set(txn, commit);
    this.decided(txn, commit);
    for (const rm of learner.rms) this.env.send(rm, { type: 'decision', txn, commit });
    this.env.metric(commit ? 'twopc.committed' : 'twopc.aborted');
    if (!commit) {
      this.env.reply(active.request, { ok: false, error: 'aborted', definite: true });
      return;
    }
    let total = 0;
    for (const vote of learner.chosen.values()) {
      for (const b of Object.values(vote.balances)) total += b;
    }
    this.env.reply(active.request, { ok: true, value: active.audit ? total : null });
  }

  private drop(learner: Learner): void {
    const p = learner.proposal;
    if (p?.timer !== null && p?.timer !== undefined) this.env.cancelTimer(p.timer);
    learner.proposal = null;
  }

  /** Phase 1 in a fresh ballot for every instance not known decided (round durable first). */
  private propose(txn: string, learner: Learner): void {
    const instances = learner.rms.filter((rm) => !learner.chosen.has(rm));
    this.round++;
    const ballot = this.round * this.env.cluster.length + this.env.cluster.indexOf(this.env.id) + 1;
    const p: Proposal = { ballot, instances, phase: 1, promises: new Map(), timer: null };
    learner.proposal = p;
    this.env.storage.put('pc-round', this.round);
    this.env.storage.sync(() => {
      if (learner.proposal !== p || this.learners.get(txn) !== learner) return;
      if (this.config.mutants.skipPhase1OnRecovery) {
        return this.phase2(
          txn,
          learner,
          p,
          instances.map((rm) => ({ rm, vote: ABORTED })),
        );
      }
      for (const a of this.acceptors) {
        this.env.send(a, { type: 'pc-1a', txn, ballot, rms: learner.rms, instances });
      }
      this.arm(txn, p);
    });
  }

  private onPhase1b(from: NodeId, msg: Extract<PaxosCommitMsg, { type: 'pc-1b' }>): void {
    const learner = this.learners.get(msg.txn);
    const p = learner?.proposal;
    if (learner === undefined || !p || p.ballot !== msg.ballot || p.phase !== 1) return;
    p.promises.set(from, msg.reports);
    if (p.promises.size < this.majority) return;
    const values = p.instances.map((rm): InstanceValue => {
      let best: { bal: number; vote: RmVote } | null = null;
      for (const reports of p.promises.values()) {
        for (const r of reports) {
          if (r.rm === rm && r.vote !== null && (best === null || r.bal > best.bal)) {
            best = { bal: r.bal, vote: r.vote };
          }
        }
      }
      // No acceptor of this majority accepted a vote, so none was chosen in a lower ballot:
      // the leader may (and, not knowing that the RM prepared, must) propose Aborted.
      return { rm, vote: best?.vote ?? ABORTED };
    });
    this.phase2(msg.txn, learner, p, values);
  }

  private phase2(
    txn: string,
    learner: Learner,
    p: Proposal,
    values: readonly InstanceValue[],
  ): void {
    p.phase = 2;
    for (const a of this.acceptors) {
      this.env.send(a, { type: 'pc-2a', txn, ballot: p.ballot, rms: learner.rms, values });
    }
    this.arm(txn, p);
  }

  private arm(txn: string, p: Proposal): void {
    if (p.timer !== null) this.env.cancelTimer(p.timer);
    p.timer = this.env.setTimer(PHASE_TIMEOUT_MS, 'pc-phase-timeout', { txn, ballot: p.ballot });
  }

  private onNack(msg: Extract<PaxosCommitMsg, { type: 'pc-nack' }>): void {
    const p = this.learners.get(msg.txn)?.proposal;
    if (!p || p.ballot !== msg.ballot) return;
    p.phase = 0;
    // The next ballot of this node is above the one that pre-empted it.
    this.round = Math.max(this.round, Math.floor(msg.promised / this.env.cluster.length));
  }

  // ---- events ---------------------------------------------------------------------------------

  protected override onConsensus(from: NodeId, msg: ConsensusMsg | PaxosCommitMsg): void {
    switch (msg.type) {
      case 'pc-1a':
        return this.onPhase1a(from, msg);
      case 'pc-1b':
        return this.onPhase1b(from, msg);
      case 'pc-2a':
        return this.onPhase2a(from, msg);
      case 'pc-2b':
        return this.onPhase2b(from, msg);
      case 'pc-nack':
        return this.onNack(msg);
      default:
        return; // twopc-replicated's messages: not this protocol's
    }
  }

  override onTimer(name: string, data: Json | undefined): void {
    if (name === 'vote-timeout') {
      // Not every instance decided in time. The leader may not abort on its own, as a 2PC
      // coordinator would: it runs phase 1 for the undecided instances.
      const txn = readTxnTimer(name, data);
      const learner = this.learners.get(txn);
      if (learner !== undefined && learner.proposal === null) this.propose(txn, learner);
      return;
    }
    if (name === 'pc-phase-timeout') {
      const { txn, ballot } = readPhaseTimer(data);
      const learner = this.learners.get(txn);
      if (learner === undefined || learner.proposal?.ballot !== ballot) return;
      learner.proposal = null;
      // The leader tries again at once; an RM in doubt on its next retry tick.
      if (learner.txn !== null) this.propose(txn, learner);
      return;
    }
    super.onTimer(name, data);
    if (name !== 'retry' || this.isCoordinator) return;
    for (const [txn, rec] of this.records) {
      if (rec.state !== 'prepared') continue;
      const ticks = (this.doubtTicks.get(txn) ?? 0) + 1;
      this.doubtTicks.set(txn, ticks);
      const rms = this.rmsOf.get(txn);
      if (ticks < DOUBT_TICKS || rms === undefined) continue;
      let learner = this.learners.get(txn);
      if (learner === undefined) {
        learner = newLearner(rms, null);
        this.learners.set(txn, learner);
      }
      if (learner.proposal === null) this.propose(txn, learner);
    }
    for (const txn of this.doubtTicks.keys()) {
      if (this.records.get(txn)?.state !== 'prepared') this.doubtTicks.delete(txn);
    }
  }
}

function newLearner(rms: readonly NodeId[], txn: ActiveTxn | null): Learner {
  return { rms, txn, chosen: new Map(), accepts: new Map(), proposal: null };
}
