/**
 * A Zab server (Junqueira, Reed, Serafini, DSN 2011; ZooKeeper's Leader, Follower and
 * LearnerHandler). It runs the four phases in turn:
 *
 *  1. election: fast leader election (election.ts) picks a prospective leader;
 *  2. discovery: followers send FOLLOWERINFO with their accepted epoch, the leader proposes an
 *     epoch above every one a quorum accepted (LEADERINFO), each follower makes it durable and
 *     answers ACKEPOCH with its (currentEpoch, lastZxid);
 *  3. synchronization: the leader brings each follower in line (DIFF, TRUNC or SNAP, sync-plan.ts)
 *     inside NEWLEADER; a follower takes the history and the epoch durably and acks; once a
 *     quorum has, the leader's history is committed, it delivers it and sends UPTODATE;
 *  4. broadcast: PROPOSAL to every synced follower, ACK once durable, COMMIT in zxid order once
 *     a quorum (the leader included) holds it.
 *
 * A follower that hears nothing from its leader for `syncLimit` ticks, and a leader that hears
 * from no quorum for as long, go back to election. Every client operation is a transaction: a
 * follower forwards it to the leader and answers the client itself once it delivers it.
 */
import type { Json } from '../../core/json.js';
import type {
  ClientRequest,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  TimerId,
} from '../../core/node.js';
import { Election } from './election.js';
import { ZabHistory } from './history.js';
import type { ZabRecorder } from './invariants.js';
import type { Entry, ServerState, Txn, Vote, ZabMsg } from './messages.js';
import { NO_ZAB_MUTANTS, type ZabMutants } from './mutants.js';
import type { ZabStateMachine } from './state-machine.js';
import { planSync } from './sync-plan.js';
import { commitPoint } from './commit-point.js';
import { ReorderBuffer, type Proposal } from './reorder-buffer.js';
import { check } from './zab-assert.js';
import { compareZxid, maxZxid, zxidKey, ZXID_ZERO, type Zxid } from './zxid.js';

export interface ZabOptions {
  readonly mutants?: ZabMutants;
  /** Shared by every server of one simulated cluster; absent in a real process. */
  readonly recorder?: ZabRecorder;
  /** Milliseconds between heartbeats and failure checks (ZooKeeper's tickTime). */
  readonly tickMs?: number;
  /** Ticks without a word from the other side before a broadcasting server gives up. */
  readonly syncLimit?: number;
  /** Ticks discovery and synchronization may take before the server gives up. */
  readonly initLimit?: number;
  /** How far behind (in proposals) a follower may be and still be sent a DIFF, not a SNAP. */
  readonly diffWindow?: number;
}

export type Phase = 'election' | 'discovery' | 'sync' | 'broadcast';

/** Most proposals a leader resends to one lagging follower per tick. */
const RESEND_BATCH = 64;
/** Most proposals a follower holds that arrived ahead of their predecessor (reorder-buffer.ts). */
const REORDER_BOUND = 1024;

/** What a leader knows of one follower in its epoch. */
interface FollowerView {
  acceptedEpoch: number;
  /** (currentEpoch, lastZxid) from its ACKEPOCH, once it has accepted the new epoch. */
  history: { readonly currentEpoch: number; readonly lastZxid: Zxid } | undefined;
  /** It acked NEWLEADER: it holds the leader's history and takes proposals. */
  synced: boolean;
  /** Through where it durably holds the leader's history. */
  acked: Zxid;
  /** `acked` at the previous tick: a follower whose ack has not moved is resent proposals. */
  ackedBefore: Zxid;
  heard: number;
}

/** A client's request this server will answer once it delivers the transaction. */
interface Pending {
  readonly seq: number;
  readonly id: RequestId;
  /** A leader's request still queued, not proposed: refusing it is a definite failure. */
  queued: boolean;
}

export class ZabNode implements ProtocolNode<ZabMsg, Json> {
  state: ServerState = 'looking';
  phase: Phase = 'election';
  leader: NodeId | undefined;
  /** The epoch being established or served (0 while unknown). */
  epoch = 0;
  readonly history: ZabHistory;
  /** Transactions delivered since this incarnation started, and the last one's zxid. */
  delivered = 0;
  deliveredZxid: Zxid = ZXID_ZERO;
  /** The commit point this server knows. */
  committed: Zxid = ZXID_ZERO;
  private durable: Zxid = ZXID_ZERO;
  /** A follower's copy of its leader's history (NEWLEADER) is durable. */
  private syncedDurably = false;
  /** Bumped when the log is cut or replaced, so an older sync's callback claims nothing. */
  private generation = 0;
  /** Bumped on every change of state, so a callback from an earlier one does nothing. */
  private incarnation = 0;
  /** Shared by the servers of one simulated cluster (kv-zab's checkInvariants reads it). */
  readonly recorder: ZabRecorder | undefined;
  private readonly election: Election;
  private readonly mutants: ZabMutants;
  private readonly quorum: number;
  private readonly tickMs: number;
  private readonly syncLimit: number;
  private readonly initLimit: number;
  private readonly diffWindow: number;
  private ticks = 0;
  private lastHeard = 0;
  private phaseSince = 0;
  private finalizing: TimerId | undefined;
  // Leader state.
  private readonly followers = new Map<NodeId, FollowerView>();
  /** The leader's own acceptedEpoch (discovery) and currentEpoch (sync) are durable. */
  private selfEpochDurable = false;
  private selfSynced = false;
  private counter = 0;
  private queued: Txn[] = [];
  /** By client: a client has one request in flight, so a newer one replaces the older. */
  private readonly pending = new Map<string, Pending>();
  private readonly early = new ReorderBuffer(REORDER_BOUND);

  constructor(
    private readonly env: NodeEnv<ZabMsg>,
    private readonly machine: ZabStateMachine,
    options: ZabOptions = {},
  ) {
    this.mutants = options.mutants ?? NO_ZAB_MUTANTS;
    this.recorder = options.recorder;
    this.tickMs = options.tickMs ?? 50;
    this.syncLimit = options.syncLimit ?? 5;
    this.initLimit = options.initLimit ?? 10;
    this.diffWindow = options.diffWindow ?? 64;
    this.quorum = Math.floor(env.cluster.length / 2) + 1;
    this.history = new ZabHistory(env.storage);
    this.election = new Election(env.id, this.quorum, this.ownVote());
  }

  start(): void {
    this.history.load();
    this.env.setTimer(this.tickMs, 'tick');
    this.lookForLeader();
  }

  private ownVote(): Vote {
    return { leader: this.env.id, epoch: this.history.currentEpoch, zxid: this.history.lastZxid() };
  }

  private broadcastAll(msg: ZabMsg): void {
    for (const p of this.env.peers) this.env.send(p, msg);
  }

  private notification(): ZabMsg {
    return {
      type: 'notification',
      round: this.election.round,
      state: this.state,
      vote: this.election.vote,
    };
  }

  // ---- Election -------------------------------------------------------------------------

  private lookForLeader(): void {
    // A proposed request may still be committed by the next leader and delivered here, and is
    // then answered; one never proposed certainly is not, so the client may retry elsewhere.
    for (const [client, p] of this.pending) {
      if (!p.queued) continue;
      this.env.reply(p.id, { ok: false, error: 'leader lost', definite: true });
      this.pending.delete(client);
    }
    this.incarnation++;
    this.state = 'looking';
    this.phase = 'election';
    this.leader = undefined;
    this.followers.clear();
    this.early.clear();
    this.queued = [];
    this.selfEpochDurable = false;
    this.selfSynced = false;
    this.election.restart(this.ownVote());
    this.broadcastAll(this.notification());
    this.considerDecision();
  }

  private onNotification(from: NodeId, msg: Extract<ZabMsg, { type: 'notification' }>): void {
    if (this.state !== 'looking') {
      if (msg.state === 'looking') this.env.send(from, this.notification());
      return;
    }
    const step = this.election.onNotification(from, msg.round, msg.state, msg.vote, this.ownVote());
    switch (step.kind) {
      case 'broadcast':
        this.broadcastAll(this.notification());
        break;
      case 'answer':
        this.env.send(from, this.notification());
        return;
      case 'join':
        this.election.vote = msg.vote;
        this.decide(step.leader);
        return;
      case 'none':
        break;
    }
    this.considerDecision();
  }

  /** A quorum agrees: wait one tick for a better vote, then decide (ZooKeeper's finalizeWait). */
  private considerDecision(): void {
    if (this.finalizing !== undefined || !this.election.decided()) return;
    this.finalizing = this.env.setTimer(this.tickMs, 'finalize', this.election.round);
  }

  private onFinalize(round: Json | undefined): void {
    this.finalizing = undefined;
    if (this.state !== 'looking' || round !== this.election.round) return;
    if (this.election.decided()) this.decide(this.election.vote.leader);
    else this.considerDecision();
  }

  private decide(leader: NodeId): void {
    if (this.finalizing !== undefined) this.env.cancelTimer(this.finalizing);
    this.finalizing = undefined;
    this.incarnation++;
    this.leader = leader;
    this.epoch = 0;
    this.phase = 'discovery';
    this.phaseSince = this.ticks;
    this.lastHeard = this.ticks;
    this.env.metric('zab.elections');
    if (leader === this.env.id) {
      this.state = 'leading';
      this.env.log('leading', { round: this.election.round });
      this.maybeChooseEpoch();
    } else {
      this.state = 'following';
      this.env.log('following', { leader });
      this.env.send(leader, { type: 'followerinfo', acceptedEpoch: this.history.acceptedEpoch });
    }
  }

  // ---- Leader: discovery and synchronization ----------------------------------------------

  /** A follower that has sent FOLLOWERINFO in this epoch (heard from now), or undefined. */
  private known(from: NodeId): FollowerView | undefined {
    const f = this.followers.get(from);
    if (f !== undefined) f.heard = this.ticks;
    return f;
  }

  private onFollowerInfo(from: NodeId, acceptedEpoch: number): void {
    if (this.state !== 'leading') return;
    // A follower that comes back starts over: it holds only what its ACKEPOCH will say.
    this.followers.set(from, {
      acceptedEpoch,
      history: undefined,
      synced: false,
      acked: ZXID_ZERO,
      ackedBefore: ZXID_ZERO,
      heard: this.ticks,
    });
    if (this.epoch !== 0) this.env.send(from, { type: 'leaderinfo', epoch: this.epoch });
    else this.maybeChooseEpoch();
  }

  /** Once a quorum has told its accepted epoch, propose one above them all. */
  private maybeChooseEpoch(): void {
    if (this.epoch !== 0 || this.followers.size + 1 < this.quorum) return;
    let top = this.history.acceptedEpoch;
    for (const f of this.followers.values()) top = Math.max(top, f.acceptedEpoch);
    this.epoch = top + 1;
    this.history.setAcceptedEpoch(this.epoch);
    const inc = this.incarnation;
    this.env.storage.sync(() => {
      if (inc !== this.incarnation) return;
      this.selfEpochDurable = true;
      this.maybeSync();
    });
    for (const id of this.followers.keys()) {
      this.env.send(id, { type: 'leaderinfo', epoch: this.epoch });
    }
  }

  private onAckEpoch(from: NodeId, msg: Extract<ZabMsg, { type: 'ackepoch' }>): void {
    if (this.state !== 'leading' || msg.epoch !== this.epoch) return;
    const f = this.known(from);
    if (f === undefined) return;
    const own = this.history;
    if (
      msg.currentEpoch > own.currentEpoch ||
      (msg.currentEpoch === own.currentEpoch && compareZxid(msg.lastZxid, own.lastZxid()) > 0)
    ) {
      // Election chose us on a stale picture: a quorum member holds a later history.
      this.env.log('follower ahead of leader', { follower: from });
      this.lookForLeader();
      return;
    }
    if (f.history !== undefined) return;
    f.history = { currentEpoch: msg.currentEpoch, lastZxid: msg.lastZxid };
    if (this.phase === 'discovery') this.maybeSync();
    else this.sendNewLeader(from, f);
  }

  /** A quorum accepted the epoch: take it as current and bring every follower in line. */
  private maybeSync(): void {
    if (this.phase !== 'discovery' || !this.selfEpochDurable) return;
    let accepted = 1;
    for (const f of this.followers.values()) if (f.history !== undefined) accepted++;
    if (accepted < this.quorum) return;
    this.phase = 'sync';
    this.phaseSince = this.ticks;
    this.history.setCurrentEpoch(this.epoch);
    const inc = this.incarnation;
    const upTo = this.history.lastZxid();
    this.env.storage.sync(() => {
      if (inc !== this.incarnation) return;
      this.selfSynced = true;
      this.durable = maxZxid(this.durable, upTo);
      this.maybeEstablish();
    });
    for (const [id, f] of this.followers) if (f.history !== undefined) this.sendNewLeader(id, f);
  }

  private sendNewLeader(to: NodeId, f: FollowerView): void {
    if (f.history === undefined) return;
    const plan = planSync(this.history, f.history.lastZxid, this.diffWindow);
    this.env.metric(`zab.sync.${plan.mode}`);
    this.env.send(to, {
      type: 'newleader',
      epoch: this.epoch,
      mode: plan.mode,
      base: plan.base,
      followerLast: f.history.lastZxid,
      entries: this.history.after(plan.from),
    });
  }

  private onAckNewLeader(from: NodeId, epoch: number, zxid: Zxid): void {
    if (this.state !== 'leading' || epoch !== this.epoch) return;
    const f = this.known(from);
    if (f?.history === undefined) return;
    const wasSynced = f.synced;
    f.synced = true;
    f.acked = maxZxid(f.acked, zxid);
    if (this.phase === 'sync') this.maybeEstablish();
    else if (this.phase === 'broadcast' && !wasSynced) {
      this.env.send(from, { type: 'uptodate', epoch: this.epoch, commit: this.committed });
      this.resend(from, f);
    }
  }

  /** A quorum holds the leader's history in this epoch: it is committed; start broadcasting. */
  private maybeEstablish(): void {
    if (this.phase !== 'sync' || !this.selfSynced) return;
    let synced = 1;
    for (const f of this.followers.values()) if (f.synced) synced++;
    if (synced < this.quorum) return;
    this.phase = 'broadcast';
    this.counter = 0;
    this.commitThrough(this.history.lastZxid());
    this.recorder?.established(this.epoch, this.env.id, this.delivered);
    this.env.log('established', { epoch: this.epoch, history: this.history.length });
    for (const [id, f] of this.followers) {
      if (f.synced)
        this.env.send(id, { type: 'uptodate', epoch: this.epoch, commit: this.committed });
    }
    const queued = this.queued;
    this.queued = [];
    for (const txn of queued) {
      const p = this.pending.get(txn.client);
      if (p !== undefined && p.seq === txn.seq) p.queued = false;
      this.propose(txn);
    }
  }

  // ---- Leader: broadcast --------------------------------------------------------------------

  private propose(txn: Txn): void {
    this.counter++;
    const z: Zxid = [this.epoch, this.counter];
    const prev = this.history.lastZxid();
    this.history.append({ z, txn });
    this.recorder?.proposed(z, txn);
    for (const [id, f] of this.followers) {
      if (f.synced) this.env.send(id, { type: 'proposal', epoch: this.epoch, zxid: z, prev, txn });
    }
    const inc = this.incarnation;
    this.env.storage.sync(() => {
      if (inc !== this.incarnation) return;
      this.durable = maxZxid(this.durable, z);
      this.maybeCommit();
    });
  }

  private onAck(from: NodeId, epoch: number, zxid: Zxid): void {
    if (this.state !== 'leading' || epoch !== this.epoch) return;
    const f = this.known(from);
    if (f === undefined || !f.synced) return;
    f.acked = maxZxid(f.acked, zxid);
    this.maybeCommit();
  }

  /** Commit through the highest zxid a quorum (the leader's own durable log included) holds. */
  private maybeCommit(): void {
    if (this.phase !== 'broadcast') return;
    const acks = [this.durable];
    for (const f of this.followers.values()) if (f.synced) acks.push(f.acked);
    const point = commitPoint(acks, this.mutants.commitWithoutQuorum ? 1 : this.quorum);
    if (point === undefined || compareZxid(point, this.committed) <= 0) return;
    this.commitThrough(point);
    for (const [id, f] of this.followers) {
      if (f.synced) this.env.send(id, { type: 'commit', epoch: this.epoch, zxid: this.committed });
    }
  }

  /** Proposals a synced follower has not acked, a bounded batch at a time. */
  private resend(to: NodeId, f: FollowerView): void {
    const from = this.history.positionOf(f.acked);
    if (from === undefined) return;
    const batch = this.history.after(from).slice(0, RESEND_BATCH);
    let prev = f.acked;
    for (const e of batch) {
      this.env.send(to, { type: 'proposal', epoch: this.epoch, zxid: e.z, prev, txn: e.txn });
      prev = e.z;
    }
  }

  private leaderTick(): void {
    if (this.phase !== 'broadcast') {
      if (this.ticks - this.phaseSince > this.initLimit) {
        this.env.log('not established in time', { epoch: this.epoch });
        this.lookForLeader();
        return;
      }
      for (const [id, f] of this.followers) {
        if (this.epoch !== 0 && f.history === undefined) {
          this.env.send(id, { type: 'leaderinfo', epoch: this.epoch });
        } else if (this.phase === 'sync' && !f.synced) this.sendNewLeader(id, f);
      }
      return;
    }
    let heard = 1;
    for (const [id, f] of this.followers) {
      if (!f.synced) {
        if (f.history !== undefined) this.sendNewLeader(id, f);
        continue;
      }
      if (this.ticks - f.heard <= this.syncLimit) heard++;
      this.env.send(id, { type: 'ping', epoch: this.epoch, commit: this.committed });
      const behind = compareZxid(f.acked, this.history.lastZxid()) < 0;
      if (behind && compareZxid(f.acked, f.ackedBefore) === 0) this.resend(id, f);
      f.ackedBefore = f.acked;
    }
    if (heard < this.quorum) {
      this.env.log('lost quorum', { epoch: this.epoch });
      this.lookForLeader();
    }
  }

  // ---- Follower ------------------------------------------------------------------------------

  private fromLeader(from: NodeId): boolean {
    if (this.state !== 'following' || from !== this.leader) return false;
    this.lastHeard = this.ticks;
    return true;
  }

  private onLeaderInfo(epoch: number): void {
    if (this.phase !== 'discovery') return;
    if (epoch < this.history.acceptedEpoch) {
      this.env.log('leader proposes an old epoch', { epoch });
      this.lookForLeader();
      return;
    }
    if (epoch > this.history.acceptedEpoch) this.history.setAcceptedEpoch(epoch);
    this.epoch = epoch;
    const inc = this.incarnation;
    this.env.storage.sync(() => {
      if (inc !== this.incarnation || this.leader === undefined) return;
      this.env.send(this.leader, {
        type: 'ackepoch',
        epoch,
        currentEpoch: this.history.currentEpoch,
        lastZxid: this.history.lastZxid(),
      });
    });
  }

  private onNewLeader(msg: Extract<ZabMsg, { type: 'newleader' }>): void {
    if (this.leader === undefined || msg.epoch !== this.epoch) return;
    if (this.phase !== 'discovery') {
      // A resent NEWLEADER: answer once our copy of the history is durable, not before.
      if (this.syncedDurably) {
        this.env.send(this.leader, {
          type: 'ack-newleader',
          epoch: this.epoch,
          zxid: this.durable,
        });
      }
      return;
    }
    if (
      msg.epoch !== this.history.acceptedEpoch ||
      compareZxid(msg.followerLast, this.history.lastZxid()) !== 0
    ) {
      return;
    }
    const h = this.history;
    switch (msg.mode) {
      case 'snap':
        for (let p = 1; p <= this.delivered; p++) {
          check(
            compareZxid(msg.entries[p - 1]?.z ?? ZXID_ZERO, h.at(p)?.z ?? ZXID_ZERO) === 0,
            'snap-keeps-delivered',
            `position ${p}`,
          );
        }
        h.truncateAfter(0);
        break;
      case 'trunc': {
        const at = h.positionOf(msg.base);
        if (at === undefined) return;
        if (!this.mutants.skipTruncate) {
          check(at >= this.delivered, 'truncate-keeps-delivered', `TRUNC to ${zxidKey(msg.base)}`);
          h.truncateAfter(at);
        }
        break;
      }
      case 'diff':
        if (compareZxid(msg.base, h.lastZxid()) !== 0) return;
        break;
    }
    for (const e of msg.entries) h.append(e);
    h.setCurrentEpoch(msg.epoch);
    this.generation++;
    this.durable = ZXID_ZERO;
    this.syncedDurably = false;
    this.early.clear();
    this.phase = 'sync';
    this.phaseSince = this.ticks;
    this.env.metric(`zab.synced.${msg.mode}`);
    const inc = this.incarnation;
    const gen = this.generation;
    const upTo = h.lastZxid();
    this.env.storage.sync(() => {
      if (inc !== this.incarnation || gen !== this.generation || this.leader === undefined) return;
      this.durable = maxZxid(this.durable, upTo);
      this.syncedDurably = true;
      this.env.send(this.leader, { type: 'ack-newleader', epoch: this.epoch, zxid: upTo });
    });
  }

  private onProposal(msg: Extract<ZabMsg, { type: 'proposal' }>): void {
    if (msg.epoch !== this.epoch || this.phase === 'discovery' || this.leader === undefined) {
      return;
    }
    const leader = this.leader;
    if (this.history.positionOf(msg.zxid) !== undefined) {
      this.env.send(leader, { type: 'ack', epoch: this.epoch, zxid: this.durable });
      return;
    }
    if (compareZxid(msg.prev, this.history.lastZxid()) !== 0) {
      // Ahead of a proposal not here yet: keep it for when that one comes (or the leader resends).
      if (compareZxid(msg.prev, this.history.lastZxid()) > 0) this.early.hold(msg);
      return;
    }
    this.accept(leader, msg);
    for (let next = this.early.next(this.history.lastZxid()); next !== undefined;) {
      this.accept(leader, next);
      next = this.early.next(this.history.lastZxid());
    }
  }

  private accept(leader: NodeId, msg: Proposal): void {
    this.history.append({ z: msg.zxid, txn: msg.txn });
    if (this.mutants.ackBeforeSync) {
      this.env.send(leader, { type: 'ack', epoch: this.epoch, zxid: msg.zxid });
    }
    const inc = this.incarnation;
    const gen = this.generation;
    this.env.storage.sync(() => {
      if (inc !== this.incarnation || gen !== this.generation) return;
      this.durable = maxZxid(this.durable, msg.zxid);
      if (!this.mutants.ackBeforeSync) {
        this.env.send(leader, { type: 'ack', epoch: this.epoch, zxid: this.durable });
      }
    });
  }

  private followerTick(): void {
    const limit = this.phase === 'broadcast' ? this.syncLimit : this.initLimit;
    if (this.ticks - this.lastHeard > limit) {
      this.env.log('leader silent', { leader: this.leader ?? null });
      this.lookForLeader();
      return;
    }
    if (this.phase === 'discovery' && this.epoch === 0 && this.leader !== undefined) {
      this.env.send(this.leader, {
        type: 'followerinfo',
        acceptedEpoch: this.history.acceptedEpoch,
      });
    }
  }

  // ---- Delivery and clients -----------------------------------------------------------------

  /** Delivers, in zxid order, every logged transaction through `z`. */
  private commitThrough(z: Zxid): void {
    check(
      compareZxid(z, this.history.lastZxid()) <= 0,
      'commit-within-log',
      `commit ${zxidKey(z)} past ${zxidKey(this.history.lastZxid())}`,
    );
    this.committed = maxZxid(this.committed, z);
    for (;;) {
      const e: Entry | undefined = this.history.at(this.delivered + 1);
      if (e === undefined || compareZxid(e.z, this.committed) > 0) break;
      this.deliver(e);
    }
  }

  private deliver(e: Entry): void {
    const result = this.machine.apply(e.txn);
    this.recorder?.delivered(this.env.id, this.delivered + 1, e.z, this.deliveredZxid, e.txn);
    this.delivered++;
    this.deliveredZxid = e.z;
    const p = this.pending.get(e.txn.client);
    if (p !== undefined && p.seq === e.txn.seq) {
      this.pending.delete(e.txn.client);
      this.env.reply(p.id, { ok: true, value: result });
    }
  }

  onClientRequest(request: ClientRequest<Json>): void {
    const { client, seq, op } = request;
    if (!this.machine.valid(op)) {
      this.env.reply(request.id, { ok: false, error: 'invalid operation', definite: true });
      return;
    }
    const done = this.machine.recall(client, seq);
    if (done !== undefined) {
      this.env.reply(request.id, { ok: true, value: done.result });
      return;
    }
    if (this.state === 'leading') {
      const queued = this.phase !== 'broadcast';
      this.pending.set(client, { seq, id: request.id, queued });
      if (queued) this.queued.push({ client, seq, op });
      else this.propose({ client, seq, op });
      return;
    }
    if (this.state === 'following' && this.phase === 'broadcast' && this.leader !== undefined) {
      this.pending.set(client, { seq, id: request.id, queued: false });
      this.env.send(this.leader, { type: 'request', epoch: this.epoch, client, seq, op });
      return;
    }
    this.env.reply(request.id, {
      ok: false,
      error: 'no established leader',
      definite: true,
      ...(this.leader !== undefined ? { leader: this.leader } : {}),
    });
  }

  private onRequest(msg: Extract<ZabMsg, { type: 'request' }>): void {
    if (this.state !== 'leading' || msg.epoch !== this.epoch || !this.machine.valid(msg.op)) {
      return;
    }
    const txn = { client: msg.client, seq: msg.seq, op: msg.op };
    if (this.phase === 'broadcast') this.propose(txn);
    else this.queued.push(txn);
  }

  // ---- Dispatch ------------------------------------------------------------------------------

  onMessage(from: NodeId, msg: ZabMsg): void {
    if (!this.env.cluster.includes(from)) return;
    switch (msg.type) {
      case 'notification':
        this.onNotification(from, msg);
        return;
      case 'followerinfo':
        this.onFollowerInfo(from, msg.acceptedEpoch);
        return;
      case 'ackepoch':
        this.onAckEpoch(from, msg);
        return;
      case 'ack-newleader':
        this.onAckNewLeader(from, msg.epoch, msg.zxid);
        return;
      case 'ack':
        this.onAck(from, msg.epoch, msg.zxid);
        return;
      case 'request':
        this.onRequest(msg);
        return;
    }
    if (!this.fromLeader(from)) return;
    switch (msg.type) {
      case 'leaderinfo':
        this.onLeaderInfo(msg.epoch);
        return;
      case 'newleader':
        this.onNewLeader(msg);
        return;
      case 'uptodate':
        if (msg.epoch !== this.epoch || this.phase !== 'sync') return;
        this.phase = 'broadcast';
        this.commitThrough(this.clampToLog(msg.commit));
        return;
      case 'proposal':
        this.onProposal(msg);
        return;
      case 'commit':
      case 'ping': {
        if (msg.epoch !== this.epoch || this.phase === 'discovery') return;
        const z = msg.type === 'commit' ? msg.zxid : msg.commit;
        this.commitThrough(this.clampToLog(z));
        if (msg.type === 'ping') {
          this.env.send(from, { type: 'ack', epoch: this.epoch, zxid: this.durable });
        }
        return;
      }
    }
  }

  /** A follower may hear of a commit point past what it holds yet: it delivers what it holds. */
  private clampToLog(z: Zxid): Zxid {
    const last = this.history.lastZxid();
    return compareZxid(z, last) <= 0 ? z : last;
  }

  onTimer(name: string, data: Json | undefined): void {
    switch (name) {
      case 'tick':
        this.ticks++;
        this.env.setTimer(this.tickMs, 'tick');
        if (this.state === 'leading') this.leaderTick();
        else if (this.state === 'following') this.followerTick();
        else if (this.ticks % 4 === 0) this.broadcastAll(this.notification());
        return;
      case 'finalize':
        this.onFinalize(data);
        return;
      default:
        check(false, 'timer-data-well-formed', `unknown timer ${name}`);
    }
  }

  inspect(): NodeView {
    return {
      state: this.state,
      phase: this.phase,
      leader: this.leader ?? null,
      epoch: this.epoch,
      acceptedEpoch: this.history.acceptedEpoch,
      currentEpoch: this.history.currentEpoch,
      lastZxid: zxidKey(this.history.lastZxid()),
      committed: zxidKey(this.committed),
      delivered: this.delivered,
      ...this.machine.summary(),
    };
  }
}
