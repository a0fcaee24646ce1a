/**
 * `twopc-replicated`: two-phase commit whose outcome is chosen by ONE consensus instance per
 * transaction, so a dead coordinator no longer blocks the participants. This is not Gray and
 * Lamport's Paxos Commit (that runs one Paxos instance per participant's vote: see
 * paxos-commit.ts). It is the approach their paper sets out from before it introduces Paxos
 * Commit: the coordinator collects the votes as in 2PC and only then puts its decision to
 * consensus, which costs a message delay that Paxos Commit saves.
 *
 * Every node is an acceptor of every transaction's outcome. With every vote yes, the coordinator
 * proposes commit in ballot 0 — the first ballot, which needs no phase 1 — and announces it (to
 * participants and client) only once a majority accepted it. An abort needs no consensus: only
 * the coordinator ever proposes commit, and it does not after deciding abort. A participant in
 * doubt for a while (the coordinator is down, or slow) becomes a recovery proposer: phase 1 in a
 * higher ballot, then phase 2 with the commit a promise reports accepted, else abort, and tells
 * every node what was chosen. Acceptors make promises and accepts durable before answering;
 * recovery ballots carry a round made durable before use.
 *
 * The coordinator keeps no `commit` records: the acceptors hold the decision. It answers a
 * participant's status question only when it knows the outcome, never by presuming abort.
 */
import type { Json } from '../../core/json.js';
import type { NodeId, TimerId } from '../../core/node.js';
import type { PaxosCommitMsg } from './paxos-commit-messages.js';
import { type ActiveTxn, type ConsensusMsg, TwoPcNode, type TwoPcMsg } from './two-phase-commit.js';

/** Retry ticks (100 ms each) a participant stays in doubt before it runs recovery. */
const DOUBT_TICKS = 2;
/** How long a proposer waits for a phase before trying again. */
const PHASE_TIMEOUT_MS = 80;

interface AcceptorRecord {
  promised: number;
  acceptedBallot: number;
  acceptedCommit: boolean | null;
}

interface Proposal {
  ballot: number;
  phase: 'prepare' | 'accept';
  /** The coordinator's own commit proposal: the transaction waiting for it. */
  readonly txn: ActiveTxn | null;
  readonly promises: Map<NodeId, { ballot: number; commit: boolean | null }>;
  readonly accepted: Set<NodeId>;
  commit: boolean;
  timer: TimerId | null;
}

export class OutcomeConsensusTwoPcNode extends TwoPcNode {
  private readonly acceptor = new Map<string, AcceptorRecord>();
  private readonly proposals = new Map<string, Proposal>();
  private readonly doubtTicks = new Map<string, number>();
  private round = 0;

  private get quorum(): number {
    return Math.floor(this.env.cluster.length / 2) + 1;
  }

  private get index(): number {
    return this.env.cluster.indexOf(this.env.id);
  }

  override start(): void {
    const s = this.env.storage;
    this.round = (s.get('round') as number | undefined) ?? 0;
    for (const key of s.keys('acc/')) {
      this.acceptor.set(key.slice(4), { ...(s.get(key) as unknown as AcceptorRecord) });
    }
    super.start();
  }

  // ---- coordinator ----------------------------------------------------------------------------

  protected override decide(txn: ActiveTxn, commit: boolean): void {
    if (!commit) return super.decide(txn, false);
    this.active.delete(txn.id);
    this.env.cancelTimer(txn.timer);
    const p: Proposal = {
      ballot: 0,
      phase: 'accept',
      txn,
      promises: new Map(),
      accepted: new Set(),
      commit: true,
      timer: null,
    };
    this.proposals.set(txn.id, p);
    this.sendAccepts(txn.id, p);
  }

  protected override onVote(from: NodeId, msg: Extract<TwoPcMsg, { type: 'vote' }>): void {
    // A vote for a transaction this incarnation knows nothing of: the acceptors decide it.
    if (!this.active.has(msg.txn) && !this.decisions.has(msg.txn)) return;
    super.onVote(from, msg);
  }

  protected override onStatus(from: NodeId, msg: Extract<TwoPcMsg, { type: 'status' }>): void {
    const commit = this.decisions.get(msg.txn);
    if (commit !== undefined) this.env.send(from, { type: 'decision', txn: msg.txn, commit });
  }

  // ---- consensus ------------------------------------------------------------------------------

  protected override onConsensus(from: NodeId, msg: ConsensusMsg | PaxosCommitMsg): void {
    switch (msg.type) {
      case 'c-prepare':
        return this.onPrepareBallot(from, msg);
      case 'c-accept':
        return this.onAcceptBallot(from, msg);
      case 'c-promise':
        return this.onPromise(from, msg);
      case 'c-accepted':
        return this.onAccepted(from, msg);
      case 'c-nack':
        return this.onNack(msg);
    }
  }

  private state(txn: string): AcceptorRecord {
    let a = this.acceptor.get(txn);
    if (a === undefined) {
      a = { promised: -1, acceptedBallot: -1, acceptedCommit: null };
      this.acceptor.set(txn, a);
    }
    return a;
  }

  private onPrepareBallot(from: NodeId, msg: Extract<ConsensusMsg, { type: 'c-prepare' }>): void {
    const a = this.state(msg.txn);
    if (msg.ballot < a.promised) {
      this.env.send(from, { type: 'c-nack', txn: msg.txn, ballot: msg.ballot });
      return;
    }
    a.promised = msg.ballot; // equal: a duplicate prepare, promised again
    this.env.storage.put(`acc/${msg.txn}`, { ...a });
    const promise: TwoPcMsg = {
      type: 'c-promise',
      txn: msg.txn,
      ballot: msg.ballot,
      acceptedBallot: a.acceptedBallot,
      acceptedCommit: a.acceptedCommit,
    };
    this.env.storage.sync(() => this.env.send(from, promise));
  }

  private onAcceptBallot(from: NodeId, msg: Extract<ConsensusMsg, { type: 'c-accept' }>): void {
    const a = this.state(msg.txn);
    if (msg.ballot < a.promised) {
      this.env.send(from, { type: 'c-nack', txn: msg.txn, ballot: msg.ballot });
      return;
    }
    a.promised = msg.ballot;
    a.acceptedBallot = msg.ballot;
    a.acceptedCommit = msg.commit;
    this.env.storage.put(`acc/${msg.txn}`, { ...a });
    const reply: TwoPcMsg = { type: 'c-accepted', txn: msg.txn, ballot: msg.ballot };
    this.env.storage.sync(() => this.env.send(from, reply));
  }

  private sendAccepts(txn: string, p: Proposal): void {
    p.phase = 'accept';
    for (const to of this.env.cluster) {
      this.env.send(to, { type: 'c-accept', txn, ballot: p.ballot, commit: p.commit });
    }
    this.arm(txn, p);
  }

  private arm(txn: string, p: Proposal): void {
    if (p.timer !== null) this.env.cancelTimer(p.timer);
    p.timer = this.env.setTimer(PHASE_TIMEOUT_MS, 'c-timeout', { txn, ballot: p.ballot });
  }

  private onPromise(from: NodeId, msg: Extract<ConsensusMsg, { type: 'c-promise' }>): void {
    const p = this.proposals.get(msg.txn);
    if (p === undefined || p.ballot !== msg.ballot || p.phase !== 'prepare') return;
    p.promises.set(from, { ballot: msg.acceptedBallot, commit: msg.acceptedCommit });
    if (p.promises.size < this.quorum) return;
    let best = { ballot: -1, commit: null as boolean | null };
    for (const v of p.promises.values()) if (v.ballot > best.ballot) best = v;
    // Commit may have been chosen only if some promise reports it accepted; else abort is safe.
    p.commit = best.commit ?? false;
    this.sendAccepts(msg.txn, p);
  }

  private onAccepted(from: NodeId, msg: Extract<ConsensusMsg, { type: 'c-accepted' }>): void {
    const p = this.proposals.get(msg.txn);
    if (p === undefined || p.ballot !== msg.ballot || p.phase !== 'accept') return;
    p.accepted.add(from);
    if (p.accepted.size < this.quorum) return;
    this.chosen(msg.txn, p);
  }

  private onNack(msg: Extract<ConsensusMsg, { type: 'c-nack' }>): void {
    const p = this.proposals.get(msg.txn);
    if (p === undefined || p.ballot !== msg.ballot) return;
    this.giveUp(msg.txn, p);
  }

  /** The coordinator's ballot 0 failed (a recovery pre-empted it): the client cannot know. */
  private giveUp(txn: string, p: Proposal): void {
    if (p.timer !== null) this.env.cancelTimer(p.timer);
    this.proposals.delete(txn);
    if (p.txn !== null) {
      this.env.reply(p.txn.request, { ok: false, error: 'outcome unknown', definite: false });
    }
  }

  private chosen(txn: string, p: Proposal): void {
    if (p.timer !== null) this.env.cancelTimer(p.timer);
    this.proposals.delete(txn);
    this.env.metric(p.commit ? 'twopc.committed' : 'twopc.aborted');
    if (p.txn !== null) {
      // The coordinator: tell the participants and the client, as plain 2PC does.
      this.decisions.set(txn, p.commit);
      this.decided(txn, p.commit);
      for (const to of p.txn.parts.keys()) {
        this.env.send(to, { type: 'decision', txn, commit: p.commit });
      }
      let total = 0;
      for (const balances of p.txn.votes.values()) {
        for (const b of Object.values(balances)) total += b;
      }
      this.env.reply(p.txn.request, { ok: true, value: p.txn.audit ? total : null });
      return;
    }
    // A recovery proposer does not know who the participants are: it tells everyone.
    this.env.metric('twopc.recovered');
    for (const to of this.env.cluster) {
      if (to !== this.coordinator) this.env.send(to, { type: 'decision', txn, commit: p.commit });
    }
  }

  /** Phase 1 in a ballot above any this node used before (the round is durable first). */
  private recover(txn: string): void {
    this.round++;
    const ballot = this.round * this.env.cluster.length + this.index + 1;
    const p: Proposal = {
      ballot,
      phase: 'prepare',
      txn: null,
      promises: new Map(),
      accepted: new Set(),
      commit: false,
      timer: null,
    };
    this.proposals.set(txn, p);
    this.env.storage.put('round', this.round);
    this.env.storage.sync(() => {
      if (this.proposals.get(txn) !== p) return;
      for (const to of this.env.cluster) this.env.send(to, { type: 'c-prepare', txn, ballot });
      this.arm(txn, p);
    });
  }

  override onTimer(name: string, data: Json | undefined): void {
    if (name === 'c-timeout') {
      const { txn, ballot } = data as { txn: string; ballot: number };
      const p = this.proposals.get(txn);
      if (p === undefined || p.ballot !== ballot) return;
      p.timer = null;
      // Resending the same phase is safe; a recovery proposer's next tick may start over.
      if (p.txn !== null && p.phase === 'accept') return this.sendAccepts(txn, p);
      this.proposals.delete(txn);
      return;
    }
    super.onTimer(name, data);
    if (name !== 'retry' || this.isCoordinator) return;
    for (const [txn, rec] of this.records) {
      if (rec.state !== 'prepared') {
        this.doubtTicks.delete(txn);
        continue;
      }
      const ticks = (this.doubtTicks.get(txn) ?? 0) + 1;
      this.doubtTicks.set(txn, ticks);
      if (ticks >= DOUBT_TICKS && !this.proposals.has(txn)) this.recover(txn);
    }
    for (const txn of this.doubtTicks.keys()) {
      if (!this.records.has(txn)) this.doubtTicks.delete(txn);
    }
  }

  override outcome(txn: string): boolean | undefined {
    if (this.isCoordinator) return this.decisions.get(txn);
    return super.outcome(txn);
  }
}
