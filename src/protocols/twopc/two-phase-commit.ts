/**
 * Two-phase commit with presumed abort. The first node of the cluster coordinates; the others
 * are participants, each holding some of the accounts. A transaction is a set of balance
 * changes (a transfer) or reads (an audit of every balance), split per participant.
 *
 * Phase 1: each participant locks the accounts it holds (no waiting: a conflict votes no),
 * checks that no balance would go negative, makes a `prepared` record durable (with the locks
 * and changes, so a restart restores them) and votes yes. Phase 2: with every vote yes the
 * coordinator makes its `commit` decision durable and only then tells the participants and the
 * client; otherwise it aborts, which needs no record (no record means abort). A participant
 * that stays prepared asks the coordinator for the outcome until it learns it: while the
 * coordinator is down, the participant is blocked, holding its locks. That is 2PC's weakness.
 */
import type { Json } from '../../core/json.js';
import type { PaxosCommitMsg } from './paxos-commit-messages.js';
import type {
  ClientRequest,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  TimerId,
} from '../../core/node.js';

/** The change a transaction makes at one participant: account → delta (0 for a read). */
export type Changes = Readonly<Record<string, number>>;

export type TwoPcMsg =
  | {
      readonly type: 'prepare';
      readonly txn: string;
      readonly changes: Changes;
      /** Every participant of the transaction (`paxos-commit` only: its instances). */
      readonly rms?: readonly NodeId[];
    }
  | {
      readonly type: 'vote';
      readonly txn: string;
      readonly yes: boolean;
      /** The balances of the changed accounts as locked (what an audit reads). */
      readonly balances: Readonly<Record<string, number>>;
    }
  | { readonly type: 'decision'; readonly txn: string; readonly commit: boolean }
  | { readonly type: 'ack'; readonly txn: string }
  | { readonly type: 'status'; readonly txn: string }
  | ConsensusMsg
  | PaxosCommitMsg;

/**
 * Consensus on one transaction's outcome (`twopc-replicated` only; see consensus-outcome.ts):
 * one Paxos instance per transaction, every node an acceptor. The coordinator proposes commit
 * in ballot 0 without phase 1; a participant left in doubt runs both phases in a higher ballot,
 * proposing abort unless a promise reports commit accepted.
 */
export type ConsensusMsg =
  | { readonly type: 'c-prepare'; readonly txn: string; readonly ballot: number }
  | {
      readonly type: 'c-promise';
      readonly txn: string;
      readonly ballot: number;
      readonly acceptedBallot: number;
      readonly acceptedCommit: boolean | null;
    }
  | {
      readonly type: 'c-accept';
      readonly txn: string;
      readonly ballot: number;
      readonly commit: boolean;
    }
  | { readonly type: 'c-accepted'; readonly txn: string; readonly ballot: number }
  | { readonly type: 'c-nack'; readonly txn: string; readonly ballot: number };

export const INITIAL_BALANCE = 100;
export const ACCOUNTS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;

/** The participant holding `account`: participants are every node but the coordinator. */
export function ownerOf(cluster: readonly NodeId[], account: string): NodeId {
  const participants = cluster.slice(1);
  const i = ACCOUNTS.indexOf(account as (typeof ACCOUNTS)[number]);
  if (i < 0 || participants.length === 0) throw new Error(`no owner for account ${account}`);
  return participants[i % participants.length] as NodeId;
}

export interface TwoPcMutants {
  /** The coordinator decides commit on the first yes vote, without waiting for the rest. */
  readonly commitBeforeAllPrepared: boolean;
  /**
   * The coordinator announces commit (to participants and client) without waiting for its
   * `commit` record to be durable — and nothing else ever syncs it, so a crash can lose it and
   * the restarted coordinator presumes abort for participants still in doubt.
   */
  readonly noDurableDecision?: boolean;
  /** The retry timer re-sends a commit whose record is still being synced (see `syncing`). */
  readonly resendBeforeDurable?: boolean;
}

const VOTE_TIMEOUT_MS = 100;
/** How often decisions are resent to unacknowledging participants and in-doubt ones ask. */
const RETRY_MS = 100;

export interface ActiveTxn {
  readonly id: string;
  readonly parts: ReadonlyMap<NodeId, Changes>;
  readonly votes: Map<NodeId, Readonly<Record<string, number>>>;
  readonly request: number;
  readonly audit: boolean;
  timer: TimerId;
}

export interface ParticipantRecord {
  readonly state: 'prepared' | 'committed';
  readonly changes: Changes;
}

export class TwoPcNode implements ProtocolNode<TwoPcMsg> {
  protected readonly coordinator: NodeId;
  // coordinator
  private epoch = 0;
  private ready = false;
  private nextTxn = 0;
  protected readonly active = new Map<string, ActiveTxn>();
  /** Committed transactions whose participants have not all acknowledged. */
  private readonly unacked = new Map<string, Set<NodeId>>();
  /**
   * Commits whose record is still being synced: the retry timer must not re-send them, or a
   * crash before the sync completes lets the restarted coordinator presume abort for the
   * participants that have not heard yet, after some have committed (`sim twopc --swarm --seed
   * 13 --param workload=list-append`, 1000 ops: "txn 21.57 aborted at n2 but committed at n3").
   */
  private readonly syncing = new Set<string>();
  /** What this incarnation decided, for duplicate votes and the atomicity check. */
  protected readonly decisions = new Map<string, boolean>();
  // participant
  private readonly balances = new Map<string, number>();
  private readonly locks = new Map<string, string>();
  protected readonly records = new Map<string, ParticipantRecord>();
  protected readonly aborted = new Set<string>();
  /** When each transaction prepared here became prepared (local clock; restart time after one). */
  private readonly preparedAt = new Map<string, number>();
  private lastDecided: { txn: string; commit: boolean } | null = null;

  constructor(
    protected readonly env: NodeEnv<TwoPcMsg>,
    private readonly mutants: TwoPcMutants,
  ) {
    this.coordinator = env.cluster[0] as NodeId;
  }

  protected get isCoordinator(): boolean {
    return this.env.id === this.coordinator;
  }

  start(): void {
    const s = this.env.storage;
    if (this.isCoordinator) {
      // Transaction ids carry an epoch made durable before any is issued, so an id is never
      // reused after a restart (presumed abort relies on unknown ids meaning "never committed").
      this.epoch = ((s.get('epoch') as number | undefined) ?? 0) + 1;
      s.put('epoch', this.epoch);
      for (const key of s.keys('commit/')) {
        this.unacked.set(key.slice(7), new Set(s.get(key) as string[]));
      }
      s.sync(() => {
        this.ready = true;
      });
    } else {
      for (const a of ACCOUNTS) {
        if (ownerOf(this.env.cluster, a) === this.env.id) this.balances.set(a, INITIAL_BALANCE);
      }
      for (const key of s.keys('txn/')) {
        const txn = key.slice(4);
        const rec = s.get(key) as unknown as ParticipantRecord;
        this.records.set(txn, rec);
        if (rec.state === 'committed') this.applyChanges(rec.changes);
        else {
          for (const a of Object.keys(rec.changes)) this.locks.set(a, txn);
          this.preparedAt.set(txn, this.env.now());
        }
      }
    }
    this.env.setTimer(RETRY_MS, 'retry');
  }

  // ---- coordinator ----------------------------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    if (!this.isCoordinator) {
      this.env.reply(request.id, {
        ok: false,
        error: 'not the coordinator',
        definite: true,
        leader: this.coordinator,
      });
      return;
    }
    if (!this.ready) {
      this.env.reply(request.id, { ok: false, error: 'recovering', definite: true });
      return;
    }
    const parts = this.split(request.op);
    if (parts === null) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    const id = `${this.epoch}.${++this.nextTxn}`;
    const txn: ActiveTxn = {
      id,
      parts,
      votes: new Map(),
      request: request.id,
      audit: (request.op as { f: string }).f === 'audit',
      timer: this.env.setTimer(VOTE_TIMEOUT_MS, 'vote-timeout', id),
    };
    this.active.set(id, txn);
    this.sendPrepares(txn);
  }

  protected sendPrepares(txn: ActiveTxn): void {
    for (const [p, changes] of txn.parts)
      this.env.send(p, { type: 'prepare', txn: txn.id, changes });
  }

  /** The per-participant changes of a transfer or an audit, or null when malformed. */
  private split(op: Json): Map<NodeId, Changes> | null {
    const o = op as { f?: Json; value?: Json };
    const parts = new Map<NodeId, Record<string, number>>();
    const add = (account: string, delta: number): void => {
      const owner = ownerOf(this.env.cluster, account);
      const changes = parts.get(owner) ?? {};
      changes[account] = (changes[account] ?? 0) + delta;
      parts.set(owner, changes);
    };
    if (o.f === 'audit') {
      for (const a of ACCOUNTS) add(a, 0);
      return parts;
    }
    const v = o.value;
    if (o.f !== 'transfer' || !Array.isArray(v) || v.length !== 3) return null;
    const [from, to, amount] = v;
    const known = (a: Json | undefined): a is string =>
      typeof a === 'string' && (ACCOUNTS as readonly string[]).includes(a);
    if (!known(from) || !known(to) || from === to) return null;
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) return null;
    add(from, -amount);
    add(to, amount);
    return parts;
  }

  protected onVote(from: NodeId, msg: Extract<TwoPcMsg, { type: 'vote' }>): void {
    const txn = this.active.get(msg.txn);
    if (txn === undefined) {
      // Not active: decided already, or lost in a restart (and so aborted).
      const commit = this.unacked.has(msg.txn) || this.decisions.get(msg.txn) === true;
      if (msg.yes) this.tell(from, msg.txn, commit);
      return;
    }
    if (!msg.yes) return this.decide(txn, false);
    txn.votes.set(from, msg.balances);
    if (txn.votes.size === txn.parts.size || this.mutants.commitBeforeAllPrepared) {
      this.decide(txn, true);
    }
  }

  protected decide(txn: ActiveTxn, commit: boolean): void {
    this.active.delete(txn.id);
    this.decisions.set(txn.id, commit);
    this.decided(txn.id, commit);
    this.env.cancelTimer(txn.timer);
    const participants = [...txn.parts.keys()];
    if (!commit) {
      for (const p of participants) this.env.send(p, { type: 'decision', txn: txn.id, commit });
      this.env.metric('twopc.aborted');
      this.env.reply(txn.request, { ok: false, error: 'aborted', definite: true });
      return;
    }
    this.unacked.set(txn.id, new Set(participants));
    this.syncing.add(txn.id);
    this.env.storage.put(`commit/${txn.id}`, participants);
    const announce = (): void => {
      this.syncing.delete(txn.id);
      for (const p of participants) this.env.send(p, { type: 'decision', txn: txn.id, commit });
      this.env.metric('twopc.committed');
      let total = 0;
      for (const balances of txn.votes.values()) {
        for (const b of Object.values(balances)) total += b;
      }
      this.env.reply(txn.request, { ok: true, value: txn.audit ? total : null });
    };
    // Mutant: announce before the record is durable (a crash may lose it: presumed abort).
    if (this.mutants.noDurableDecision === true) return announce();
    // The decision is durable before anyone hears it: after a crash it is resent, never undone.
    this.env.storage.sync(announce);
  }

  private onAck(from: NodeId, msg: Extract<TwoPcMsg, { type: 'ack' }>): void {
    const waiting = this.unacked.get(msg.txn);
    if (waiting === undefined) return;
    waiting.delete(from);
    if (waiting.size > 0) return;
    this.unacked.delete(msg.txn);
    // Forgetting the decision is safe now: nobody will ask about it again.
    this.env.storage.delete(`commit/${msg.txn}`);
  }

  protected onStatus(from: NodeId, msg: Extract<TwoPcMsg, { type: 'status' }>): void {
    if (this.active.has(msg.txn)) return; // still collecting votes: the decision will come
    this.tell(from, msg.txn, this.unacked.has(msg.txn));
  }

  /**
   * Answers a participant that asks (or votes again) about a decided transaction. A commit is
   * revealed only once its record is durable — a sync covers every write issued so far — or a
   * crash could lose it and the restarted coordinator presume abort for the others (seed 1252
   * under `all` did exactly that). An abort needs no record: it is what a restart presumes.
   */
  private tell(to: NodeId, txn: string, commit: boolean): void {
    const send = (): void => this.env.send(to, { type: 'decision', txn, commit });
    if (commit && this.mutants.noDurableDecision !== true) this.env.storage.sync(send);
    else send();
  }

  // ---- participant ----------------------------------------------------------------------------

  protected onPrepare(from: NodeId, msg: Extract<TwoPcMsg, { type: 'prepare' }>): void {
    const known = this.records.get(msg.txn);
    if (known !== undefined || this.aborted.has(msg.txn)) {
      // A duplicate: vote as before (only after the record is durable: sync covers it).
      const yes = known !== undefined;
      this.env.storage.sync(() => this.vote(from, msg.txn, yes, msg.changes));
      return;
    }
    const accounts = Object.keys(msg.changes);
    const conflict = accounts.some((a) => this.locks.has(a));
    const overdrawn = accounts.some(
      (a) => (this.balances.get(a) ?? 0) + (msg.changes[a] as number) < 0,
    );
    if (conflict || overdrawn) {
      this.aborted.add(msg.txn);
      this.decided(msg.txn, false);
      this.vote(from, msg.txn, false, msg.changes);
      return;
    }
    for (const a of accounts) this.locks.set(a, msg.txn);
    this.preparedAt.set(msg.txn, this.env.now());
    const rec: ParticipantRecord = { state: 'prepared', changes: msg.changes };
    this.records.set(msg.txn, rec);
    this.env.storage.put(`txn/${msg.txn}`, rec as unknown as Json);
    this.env.storage.sync(() => this.vote(from, msg.txn, true, msg.changes));
  }

  /** Tells `to` this participant's vote (a plain 2PC vote; Paxos Commit overrides it). */
  protected vote(to: NodeId, txn: string, yes: boolean, changes: Changes): void {
    this.env.send(to, { type: 'vote', txn, yes, balances: this.balancesOf(changes) });
  }

  protected onDecision(from: NodeId, msg: Extract<TwoPcMsg, { type: 'decision' }>): void {
    const rec = this.records.get(msg.txn);
    if (rec === undefined || rec.state === 'committed') {
      if (msg.commit) this.acknowledge(from, msg.txn);
      return;
    }
    this.releaseLocks(msg.txn, rec.changes);
    // How long this participant held the transaction's locks not knowing its outcome.
    this.env.metric('twopc.doubt-ms', this.env.now() - (this.preparedAt.get(msg.txn) ?? 0));
    this.preparedAt.delete(msg.txn);
    if (msg.commit) {
      this.applyChanges(rec.changes);
      const done: ParticipantRecord = { state: 'committed', changes: rec.changes };
      this.records.set(msg.txn, done);
      this.env.storage.put(`txn/${msg.txn}`, done as unknown as Json);
      this.acknowledge(from, msg.txn);
    } else {
      this.records.delete(msg.txn);
      this.aborted.add(msg.txn);
      this.env.storage.delete(`txn/${msg.txn}`);
    }
    this.decided(msg.txn, msg.commit);
  }

  /** Acknowledges a commit once it is durable here, so the coordinator may forget it. */
  protected acknowledge(to: NodeId, txn: string): void {
    this.env.storage.sync(() => this.env.send(to, { type: 'ack', txn }));
  }

  protected balancesOf(changes: Changes): Record<string, number> {
    const balances: Record<string, number> = {};
    for (const a of Object.keys(changes)) balances[a] = this.balances.get(a) ?? 0;
    return balances;
  }

  private releaseLocks(txn: string, changes: Changes): void {
    for (const a of Object.keys(changes)) if (this.locks.get(a) === txn) this.locks.delete(a);
  }

  private applyChanges(changes: Changes): void {
    for (const [a, d] of Object.entries(changes)) {
      this.balances.set(a, (this.balances.get(a) ?? 0) + d);
    }
  }

  protected decided(txn: string, commit: boolean): void {
    this.lastDecided = { txn, commit };
  }

  // ---- events ---------------------------------------------------------------------------------

  onMessage(from: NodeId, msg: TwoPcMsg): void {
    switch (msg.type) {
      case 'prepare':
        return this.onPrepare(from, msg);
      case 'vote':
        return this.onVote(from, msg);
      case 'decision':
        return this.onDecision(from, msg);
      case 'ack':
        return this.onAck(from, msg);
      case 'status':
        return this.onStatus(from, msg);
      default:
        return this.onConsensus(from, msg);
    }
  }

  /**
   * Consensus messages: `twopc-replicated` (OutcomeConsensusTwoPcNode) and `paxos-commit`
   * (PaxosCommitNode) use them; plain 2PC has none.
   */
  protected onConsensus(_from: NodeId, _msg: ConsensusMsg | PaxosCommitMsg): void {}

  onTimer(name: string, data: Json | undefined): void {
    if (name === 'vote-timeout') {
      const txn = this.active.get(data as string);
      if (txn !== undefined) this.decide(txn, false);
      return;
    }
    this.env.setTimer(RETRY_MS, 'retry');
    if (this.isCoordinator) {
      for (const [txn, waiting] of this.unacked) {
        // Announced once durable, not before.
        if (this.syncing.has(txn) && this.mutants.resendBeforeDurable !== true) continue;
        for (const p of waiting) this.env.send(p, { type: 'decision', txn, commit: true });
      }
      return;
    }
    // In doubt: only the coordinator knows, so ask it (and keep the locks meanwhile).
    let blocked = 0;
    for (const [txn, rec] of this.records) {
      if (rec.state !== 'prepared') continue;
      blocked++;
      this.env.send(this.coordinator, { type: 'status', txn });
    }
    if (blocked > 0) this.env.metric('twopc.in-doubt', blocked);
  }

  /** How this participant decided `txn`: true committed, false aborted, undefined not (yet). */
  outcome(txn: string): boolean | undefined {
    if (this.isCoordinator) return this.unacked.has(txn) ? true : this.decisions.get(txn);
    const rec = this.records.get(txn);
    if (rec?.state === 'committed') return true;
    if (this.aborted.has(txn)) return false;
    return undefined;
  }

  latestDecision(): { txn: string; commit: boolean } | null {
    return this.lastDecided;
  }

  /** Accounts this participant has locked right now (blocked ones included). */
  lockedAccounts(): number {
    return this.locks.size;
  }

  inspect(): NodeView {
    return this.isCoordinator
      ? {
          role: 'coordinator',
          epoch: this.epoch,
          active: this.active.size,
          unacked: this.unacked.size,
        }
      : {
          role: 'participant',
          balance: [...this.balances.values()].reduce((a, b) => a + b, 0),
          locked: this.locks.size,
          inDoubt: [...this.records.values()].filter((r) => r.state === 'prepared').length,
        };
  }
}
