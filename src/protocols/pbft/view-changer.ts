/**
 * The view-change protocol of a replica (Castro & Liskov, OSDI'99, §4.4): leaving a view for the
 * next (durable first, then VIEW-CHANGE), collecting view-changes, the new primary's NEW-VIEW,
 * entering the view a verified NEW-VIEW names, and the relays that pull replicas left in an
 * older view along. The checks and the computation of a new view's O are in view-change.ts;
 * what entering a view does to the log and the primary's queue is the replica's (pbft.ts).
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';
import type { Body, BodyOf } from './messages.js';
import { isCount } from './messages.js';
import { RESEND_MS } from './proxy.js';
import type { Quorums } from './quorums.js';
import type { Checkpoint, Floor, PreparedCert, StoredView } from './records.js';
import { msgRecord, viewRecord } from './records.js';
import { CHECKPOINT_INTERVAL } from './checkpoints.js';
import {
  computeNewView,
  type NewViewInfo,
  type PreparedInfo,
  type VerifyContext,
  verifyNewView,
  verifyViewChange,
} from './view-change.js';
import type { NewViewPlan } from './view-change.js';
import { ViewChangeTimer } from './view-change-timer.js';
import { type HeldViewChange, ViewChangeVotes } from './view-change-votes.js';

/** What the view change needs of its replica. */
export interface ViewChangeHost {
  readonly env: NodeEnv<SignedMsg>;
  readonly q: Quorums;
  readonly ctx: VerifyContext;
  view(): number;
  /** False between leaving a view and entering the next one's NEW-VIEW. */
  active(): boolean;
  /** The last view this replica entered; it has prepared nothing in a view after it. */
  lastActive(): number;
  isPrimary(): boolean;
  stable(): Checkpoint;
  floor(): Floor;
  prepCerts(): ReadonlyMap<number, PreparedCert>;
  signed(body: Body): SignedMsg;
  broadcast(msg: SignedMsg): void;
  sendTo(to: NodeId, msg: SignedMsg): void;
  /** Hands one of our own messages to the replica as if received. */
  deliverOwn(msg: SignedMsg): void;
  /** The new view's pre-prepare for `n` (this replica is its primary). */
  prePrepare(n: number, req: SignedMsg | null): SignedMsg;
  /** A `bad-view-change` primary's plan for O instead of the computed one (byzantine.ts). */
  corruptPlan(plan: NewViewPlan): readonly PreparedInfo[] | undefined;
  /** Moves to view `v`, inactive until its NEW-VIEW. */
  leaveFor(v: number): void;
  /** Enters the verified new view `info` (its log, floor, records, queue). */
  enter(info: NewViewInfo, msg: SignedMsg): void;
}

export class ViewChanger {
  readonly timer: ViewChangeTimer;
  private readonly votes = new ViewChangeVotes();
  /** Our VIEW-CHANGE for the view being entered, resent until its NEW-VIEW comes. */
  private mine: SignedMsg | null = null;
  /** Our VIEW-CHANGE for each view passed through since we last entered one (to resend). */
  private readonly minePerView = new Map<number, SignedMsg>();
  private readonly vcRelayedAt = new Map<NodeId, number>();
  /** The NEW-VIEW of the view we are in, relayed to replicas left behind. */
  private newView: { v: number; msg: SignedMsg } | null = null;
  private sentNewView = -1;
  private readonly nvRelayedAt = new Map<NodeId, number>();

  constructor(private readonly host: ViewChangeHost) {
    this.timer = new ViewChangeTimer(host.env);
  }

  /** On restart in an active view: its NEW-VIEW, read back from disk. */
  restoredNewView(v: number, msg: SignedMsg): void {
    this.newView = { v, msg };
  }

  /** On restart between views: our VIEW-CHANGE for the view being entered, again. */
  rejoin(): void {
    this.mine = this.build(this.host.view());
    this.host.broadcast(this.mine);
  }

  /** Every RESEND_MS while between views: our VIEW-CHANGE again (it may have been lost). */
  resendMine(): void {
    if (!this.host.active() && this.mine !== null) this.host.broadcast(this.mine);
  }

  /** Our VIEW-CHANGE for view `v`: the stable checkpoint (or floor) and prepared certificates. */
  build(v: number): SignedMsg {
    const { host } = this;
    const floor = host.floor();
    const stable = host.stable();
    const base = floor.n > stable.n ? floor : stable;
    const P = [...host.prepCerts()]
      .filter(([n]) => n > base.n && n <= base.n + 2 * CHECKPOINT_INTERVAL)
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => ({ pp: c.pp, prepares: c.prepares }));
    const C = base.n > 0 ? base.proof : [];
    return host.signed({ t: 'view-change', i: host.env.id, v, n: base.n, C, P });
  }

  /** Moves to view `v`: durable first, then VIEW-CHANGE; the timeout doubles if consecutive. */
  start(v: number): void {
    const { host } = this;
    if (v <= host.view()) return;
    this.timer.viewChangeBegins(v);
    host.leaveFor(v);
    host.env.metric('pbft.view-changes');
    this.votes.dropBelow(v);
    const msg = this.build(v);
    this.mine = msg;
    this.minePerView.set(v, msg);
    const floor = host.floor();
    const stored: StoredView = {
      v,
      active: false,
      lastActive: host.lastActive(),
      floor: { ...floor, proof: [...floor.proof] },
    };
    host.env.storage.put('view', viewRecord(stored));
    host.env.storage.sync(() => {
      if (host.view() === v && !host.active()) host.broadcast(msg);
    });
    this.checkQuorum();
  }

  onViewChange(msg: SignedMsg): void {
    const { host } = this;
    const info = verifyViewChange(host.ctx, msg);
    if (info === undefined) {
      host.env.metric('pbft.rejected');
      return;
    }
    const view = host.view();
    if (info.v < view || (info.v === view && host.active())) {
      if (info.i !== host.env.id) {
        this.relayNewView(info.i);
        if (info.v < view) this.resendViewChange(info.i, info.v);
      }
      return;
    }
    if (!this.votes.add(msg, info, view)) return;
    if (info.v > view) {
      // f + 1 replicas want views above ours: at least one is honest, so join the smallest.
      const join = this.votes.joinTarget(view, host.env.id, host.q.weak);
      if (join !== undefined) this.start(join);
    } else this.checkQuorum();
  }

  onNewView(msg: SignedMsg, body: BodyOf<'new-view'>): void {
    const { host } = this;
    const view = host.view();
    if (!isCount(body.v) || body.v < view || (body.v === view && host.active())) return;
    const info = verifyNewView(host.ctx, msg);
    if (info === undefined) {
      host.env.metric('pbft.rejected');
      return;
    }
    // A timer started for an older view (we jumped here) would fire for the wrong view.
    if (info.v !== view) this.timer.stop();
    this.newView = { v: info.v, msg };
    this.mine = null;
    this.minePerView.clear();
    this.votes.dropThrough(info.v);
    host.enter(info, msg);
  }

  /**
   * Resends our VIEW-CHANGE for view `v` (one we moved past without a NEW-VIEW) to a replica
   * still waiting for `v`: without it, the replicas left behind may never gather Q for `v`
   * while too few are ahead to pull them along (at most every 200 ms). One lost in a crash is
   * signed again: we have prepared nothing since our last active view, below `v`, so it says
   * the same (its certificates are all from views below `v`).
   */
  resendViewChange(to: NodeId, v: number): void {
    const { host } = this;
    let msg = this.minePerView.get(v);
    if (msg === undefined) {
      if (host.active() || v <= host.lastActive() || v >= host.view()) return;
      msg = this.build(v);
      this.minePerView.set(v, msg);
    }
    const now = host.env.now();
    const last = this.vcRelayedAt.get(to);
    if (last !== undefined && Math.abs(now - last) < RESEND_MS) return;
    this.vcRelayedAt.set(to, now);
    host.sendTo(to, msg);
  }

  /** Sends the NEW-VIEW of our view to a replica still in an older one (at most every 200 ms). */
  relayNewView(to: NodeId): void {
    const { host } = this;
    if (!host.active() || this.newView === null || this.newView.v !== host.view()) return;
    const now = host.env.now();
    const last = this.nvRelayedAt.get(to);
    if (last !== undefined && Math.abs(now - last) < RESEND_MS) return;
    this.nvRelayedAt.set(to, now);
    host.sendTo(to, this.newView.msg);
  }

  /** With Q view-changes for the view being entered: start the timer; the primary sends NEW-VIEW. */
  private checkQuorum(): void {
    const { host } = this;
    if (host.active()) return;
    const view = host.view();
    const m = this.votes.forView(view);
    if (m === undefined || m.size < host.q.quorum) return;
    this.timer.start(view);
    if (host.isPrimary() && this.sentNewView !== view) this.sendNewView(m);
  }

  private sendNewView(m: ReadonlyMap<NodeId, HeldViewChange>): void {
    const { host } = this;
    const chosen: HeldViewChange[] = [];
    for (const id of host.env.cluster) {
      const held = m.get(id);
      if (held !== undefined && chosen.length < host.q.quorum) chosen.push(held);
    }
    const plan = computeNewView(chosen.map((c) => c.info));
    const entries = host.corruptPlan(plan) ?? plan.entries;
    const O = entries.map((e) => host.prePrepare(e.n, e.req));
    const v = host.view();
    const nv = host.signed({ t: 'new-view', i: host.env.id, v, V: chosen.map((c) => c.msg), O });
    this.sentNewView = v;
    // Durable before sending: a restarted primary resends this one, never a different O.
    host.env.storage.put('nv', msgRecord(nv));
    host.env.storage.sync(() => {
      if (host.view() !== v) return;
      host.broadcast(nv);
      host.deliverOwn(nv); // enter now: our own copy may be lost on the way back
    });
  }
}
