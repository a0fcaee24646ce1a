/**
 * PBFT (Castro & Liskov, OSDI'99): n ≥ 3f + 1 replicas, the primary of view v is replica
 * v mod n. Every certificate needs Q = ⌈(n + f + 1) / 2⌉ distinct replicas (2f + 1 when
 * n = 3f + 1; quorums.ts says why and is the one place f and Q come from). A client's request
 * reaches any replica — its proxy — which signs and forwards it to the primary. The primary
 * assigns it a sequence number in a PRE-PREPARE; a replica that accepts it (in its current view,
 * within the watermarks, one digest per view and sequence number) broadcasts PREPARE; with the
 * pre-prepare and Q − 1 matching prepares from distinct backups it is prepared and broadcasts
 * COMMIT; with Q matching commits it is committed-local. Requests execute in sequence order and
 * each replica sends a signed REPLY to the proxy, which answers the client after f + 1 matching
 * replies from distinct replicas.
 *
 * Every message is signed by its sender and verified on receipt (forgeries are dropped and
 * counted as `pbft.rejected`); the pre-prepare carries the proxy's signed request, so a primary
 * cannot invent operations. Votes are counted per (view, seq, digest, sender) once, so replays
 * are harmless. Every K executions a replica broadcasts a CHECKPOINT of its state's digest; with
 * Q matching ones it is stable: the low watermark h moves to it, the log at or below it is
 * garbage-collected, and sequence numbers are accepted only in (h, h + 2K]. A replica that fell
 * behind a stable checkpoint fetches it (the state plus its Q signed checkpoints).
 *
 * View change (view-change.ts): a backup waiting for a request to execute runs a timer; when it
 * expires the backup moves to view v + 1, accepts only checkpoints, view-changes and new-views,
 * and multicasts VIEW-CHANGE (its stable checkpoint with proof, and a prepared certificate for
 * every request it prepared above it). The new primary collects Q valid ones, computes O
 * (for each number in (min-s, max-s] the request prepared in the highest view, or the null
 * request) and multicasts NEW-VIEW; backups verify it by recomputing O, enter the view and
 * prepare O. The timeout doubles with each consecutive view change and resets when a request
 * executes; f + 1 view-changes for higher views make a replica join the smallest of them.
 *
 * Durable before the messages that depend on it: each accepted pre-prepare (before preparing),
 * each prepared certificate (before committing), the view number (before VIEW-CHANGE), the
 * NEW-VIEW (before sending it), the primary's highest assigned number, and the stable checkpoint
 * with its proof (records.ts reads them back, checked). Byzantine behaviours are in byzantine.ts.
 *
 * This file is the replica: the normal case (pre-prepare, prepare, commit, execution in order)
 * and catching up. Beside it: proxy.ts (a client's proxy), kv-state.ts (the replicated state and
 * its client sessions), checkpoints.ts (checkpoints and the low watermark), view-changer.ts with
 * view-change-timer.ts and view-change-votes.ts (the view change), records.ts (what is on disk),
 * messages.ts (message bodies), pbft-assert.ts (invariants asserted where they are relied on).
 */
import { isKvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import * as byz from './byzantine.js';
import type { ByzantineStrategy } from './byzantine.js';
import { sha256Hex, signAs, verifySigned, type SignedMsg } from './crypto.js';
import { CHECKPOINT_INTERVAL, Checkpoints } from './checkpoints.js';
import { PbftKvState } from './kv-state.js';
import { parseFrozen } from './parsed-text.js';
import { must } from './pbft-assert.js';
import { PbftProxy, RESEND_MS } from './proxy.js';
import { faultsTolerated, type QuorumRule, type Quorums, quorums } from './quorums.js';
import {
  type Body,
  type BodyOf,
  hasFieldTypes,
  isCount,
  isSignedMsg,
  NULL_DIGEST,
  type PbftRequest,
  RELAY_BATCH,
} from './messages.js';
import {
  checkpointProofDigest,
  type NewViewInfo,
  primaryOf,
  type VerifyContext,
} from './view-change.js';
import {
  type Checkpoint,
  certRecord,
  type Floor,
  msgRecord,
  type PreparedCert,
  readCheckpoint,
  readPrePrepares,
  readPreparedCerts,
  readSeq,
  readSignedMsg,
  readView,
  type StoredView,
  viewRecord,
} from './records.js';
import { VIEW_CHANGE_TIMER, type ViewChangeRecord } from './view-change-timer.js';
import { ViewChanger } from './view-changer.js';

export type { ByzantineStrategy } from './byzantine.js';
export type { PbftRequest } from './messages.js';
export { faultsTolerated } from './quorums.js';
export { CHECKPOINT_INTERVAL } from './checkpoints.js';
export { RELAY_BATCH } from './messages.js';
export {
  MAX_VIEW_CHANGE_TIMEOUT_MS,
  VIEW_CHANGE_TIMEOUT_MS,
  type ViewChangeRecord,
} from './view-change-timer.js';
export type PbftMsg = SignedMsg;

export interface PbftOptions {
  /** Mutant: f + 1 instead of Q matching prepares (with the pre-prepare) and commits. */
  readonly weakQuorum?: boolean;
  /** The Byzantine replicas to tolerate (default ⌊(n − 1) / 3⌋; see quorums.ts for the range). */
  readonly f?: number;
  /** How Q is sized (default `safe`: ⌈(n + f + 1) / 2⌉). */
  readonly quorumRule?: QuorumRule;
  readonly byzantine?: ByzantineStrategy;
  /** The Byzantine replicas (colluding ones know each other). */
  readonly faulty?: readonly NodeId[];
}

const TICK_MS = 50;
/** An entry stuck this long is relayed to peers that report they have not executed it. */
const STUCK_MS = 150;

interface Entry {
  readonly n: number;
  /** The view the entry belongs to; a new view starts a new log. */
  readonly v: number;
  pp?: SignedMsg;
  d?: string;
  /** The request, or null for the null request. */
  req?: PbftRequest | null;
  readonly prepares: Map<string, Map<NodeId, SignedMsg>>;
  readonly commits: Map<string, Set<NodeId>>;
  myPrepare?: SignedMsg;
  myCommit?: SignedMsg;
  /** The prepared certificate was stored (the commit follows once it is durable). */
  certified?: boolean;
  readonly at: number;
}

export class PbftNode implements ProtocolNode<PbftMsg> {
  private readonly n: number;
  private readonly f: number;
  private readonly q: Quorums;
  private readonly ctx: VerifyContext;
  private view = 0;
  /** False between starting a view change and accepting the new view's NEW-VIEW. */
  private active = true;
  /** The last view this replica entered; it has prepared nothing in a view after it. */
  private lastActive = 0;
  // replicated state
  private readonly state = new PbftKvState();
  private lastExec = 0;
  /** Digest of the request executed at each sequence number (never collected; for checkers). */
  private readonly executed = new Map<number, string>();
  // log
  private readonly log = new Map<number, Entry>();
  private readonly checkpoints: Checkpoints;
  /** A checkpoint proven stable (by a NEW-VIEW) whose state this replica may not have yet. */
  private floor: Floor = { n: 0, proof: [] };
  /** The prepared certificate of the highest view for each sequence number above h. */
  private prepCerts = new Map<number, PreparedCert>();
  // view change
  /** Requests received (as proxy, relayed, or in a pre-prepare) and not executed yet. */
  private readonly waiting = new Map<string, SignedMsg>();
  private readonly changer: ViewChanger;
  private ticks = 0;
  // primary
  private nextSeq = 1;
  private readonly queue: SignedMsg[] = [];
  private readonly assigned = new Map<string, number>();
  // Byzantine bookkeeping
  private readonly colluded = new Set<string>();
  private byzRound = 0;
  private readonly proxy: PbftProxy;

  constructor(
    private readonly env: NodeEnv<PbftMsg>,
    private readonly options: PbftOptions = {},
  ) {
    this.n = env.cluster.length;
    this.q = quorums(this.n, options.f ?? faultsTolerated(this.n), options.quorumRule ?? 'safe');
    this.f = this.q.f;
    this.ctx = {
      cluster: env.cluster,
      quorum: this.q.quorum,
      interval: CHECKPOINT_INTERVAL,
      prepareQuorum: this.prepareQuorum,
      parse: (m) => this.parse(m),
      requestOf: (m) => this.requestOf(m),
      hash: sha256Hex,
    };
    this.changer = new ViewChanger({
      env,
      q: this.q,
      ctx: this.ctx,
      view: () => this.view,
      active: () => this.active,
      lastActive: () => this.lastActive,
      isPrimary: () => this.isPrimary,
      stable: () => this.stable,
      floor: () => this.floor,
      prepCerts: () => this.prepCerts,
      signed: (body) => this.signed(body),
      broadcast: (msg) => this.broadcast(msg),
      sendTo: (to, msg) => this.sendTo(to, msg),
      deliverOwn: (msg) => this.onMessage(this.env.id, msg),
      prePrepare: (n, req) => this.prePrepare(n, req),
      corruptPlan: (plan) => {
        if (this.options.byzantine !== 'bad-view-change') return undefined;
        this.misbehave();
        return byz.corruptPlan(plan);
      },
      leaveFor: (v) => {
        this.view = v;
        this.active = false;
      },
      enter: (info, msg) => this.enterView(info, msg),
    });
    this.checkpoints = new Checkpoints({
      env,
      quorum: this.q.quorum,
      parse: (m) => this.parse(m),
      signed: (body) => this.signed(body),
      broadcast: (msg) => this.broadcast(msg),
      digest: sha256Hex,
      digestToSign: (snap) => {
        if (this.options.byzantine !== 'lie') return sha256Hex(snap);
        this.misbehave();
        return byz.lieDigest(sha256Hex, snap);
      },
      stableAt: (n) => this.collectThrough(n),
    });
    this.proxy = new PbftProxy({
      env,
      weak: this.q.weak,
      mute: () => this.mute,
      primary: () => this.primary(),
      signed: (body) => this.signed(body),
      broadcast: (msg) => this.broadcast(msg),
      sendTo: (to, msg) => this.sendTo(to, msg),
      awaitRequest: (req, msg) => this.await(req, msg),
    });
  }

  get byzantine(): ByzantineStrategy | undefined {
    return this.options.byzantine;
  }

  primary(): NodeId {
    return primaryOf(this.env.cluster, this.view);
  }

  private get isPrimary(): boolean {
    return this.primary() === this.env.id;
  }

  /** Prepares from distinct backups that, with the primary's pre-prepare, make Q replicas. */
  private get prepareQuorum(): number {
    return this.options.weakQuorum ? this.f : this.q.quorum - 1;
  }

  private get low(): number {
    return this.checkpoints.low;
  }

  private get stable(): Checkpoint {
    return this.checkpoints.stable;
  }

  private get high(): number {
    return Math.max(this.stable.n, this.floor.n) + 2 * CHECKPOINT_INTERVAL;
  }

  /** Genuine messages are suppressed for `silent` and `forge` (which only sends forgeries). */
  private get mute(): boolean {
    return this.options.byzantine === 'silent' || this.options.byzantine === 'forge';
  }

  /** Digest of the request this replica executed at `seq`, if it did. */
  executedAt(seq: number): string | undefined {
    return this.executed.get(seq);
  }

  executedThrough(): number {
    return this.lastExec;
  }

  currentView(): number {
    return this.view;
  }

  /** Every view change this replica started, in order. */
  viewChangeLog(): readonly ViewChangeRecord[] {
    return this.changer.timer.log;
  }

  start(): void {
    const s = this.env.storage;
    const ck = readCheckpoint(s);
    if (ck !== undefined && ck.n > 0) this.install(ck, false);
    const sv = readView(s);
    if (sv !== undefined) {
      this.view = sv.v;
      this.active = sv.active;
      this.lastActive = sv.lastActive;
      if (sv.floor.n > this.floor.n) this.floor = sv.floor;
    }
    this.prepCerts = readPreparedCerts(s, this.low);
    const seq = readSeq(s);
    if (seq !== undefined && seq.v === this.view) this.nextSeq = Math.max(this.nextSeq, seq.n + 1);
    const nv = readSignedMsg(s, 'nv');
    if (this.active) {
      if (nv !== undefined) {
        const b = this.parse(nv);
        if (b?.t === 'new-view' && b.v === this.view) this.changer.restoredNewView(b.v, nv);
      }
      for (const pp of readPrePrepares(s)) {
        const b = this.parse(pp);
        if (b?.t === 'pre-prepare' && b.v === this.view && this.isPrimary) {
          this.nextSeq = Math.max(this.nextSeq, b.n + 1);
        }
        this.onMessage(this.env.id, pp);
      }
    } else {
      this.changer.rejoin();
      if (nv !== undefined) this.onMessage(this.env.id, nv);
    }
    this.env.setTimer(TICK_MS, 'tick');
  }

  // ---- sending ------------------------------------------------------------------------------

  private signed(body: Body): SignedMsg {
    return signAs(this.env.id, body);
  }

  /** Counts one Byzantine act (metric `pbft.byzantine`), so tests can see the attack happen. */
  private misbehave(): void {
    this.env.metric('pbft.byzantine');
  }

  private broadcast(msg: SignedMsg): void {
    if (this.mute) return;
    for (const to of this.env.cluster) this.env.send(to, msg);
  }

  private sendTo(to: NodeId, msg: SignedMsg): void {
    if (this.mute) return;
    this.env.send(to, msg);
  }

  private sendToOthers(msg: SignedMsg): void {
    for (const to of this.env.cluster) if (to !== this.env.id) this.env.send(to, msg);
  }

  // ---- client / proxy -----------------------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    if (!isKvOp(request.op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    this.proxy.submit(request);
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === VIEW_CHANGE_TIMER) {
      if (data !== this.view) return;
      this.changer.timer.expired();
      this.changer.start(this.view + 1);
      return;
    }
    if (name !== 'tick') return;
    this.env.setTimer(TICK_MS, 'tick');
    this.ticks++;
    const now = this.env.now();
    this.proxy.resendDue(now);
    this.tryAssign();
    this.checkpoints.resendMine();
    const every = RESEND_MS / TICK_MS;
    if (this.ticks % every === 0) this.changer.resendMine();
    if (this.ticks % every === 0) this.byzantineTick();
    this.broadcast(
      this.signed({
        t: 'status',
        i: this.env.id,
        exec: this.lastExec,
        low: this.low,
        v: this.view,
        active: this.active,
        stuck: this.stuckBehind(now),
      }),
    );
  }

  /**
   * Numbers this replica already executed but that a new view agrees on again and it has not
   * prepared there yet (votes lost): its commit is what lagging replicas wait for, and peers
   * resend their prepares for these (a replica ahead gets no relays otherwise).
   */
  private stuckBehind(now: number): number[] {
    const out: number[] = [];
    if (!this.active) return out;
    for (const e of this.log.values()) {
      if (out.length >= RELAY_BATCH) break;
      if (e.v !== this.view || e.pp === undefined || e.certified === true) continue;
      if (e.n <= this.lastExec && Math.abs(now - e.at) >= STUCK_MS) out.push(e.n);
    }
    return out;
  }

  /** What `forge` and `bad-view-change` replicas send on their own, every RESEND_MS. */
  private byzantineTick(): void {
    const strategy = this.options.byzantine;
    if (strategy === 'forge') {
      this.misbehave();
      for (const m of byz.forgedViewMessages(this.env.id, this.env.cluster, this.view)) {
        this.sendToOthers(m);
      }
    } else if (strategy === 'bad-view-change') {
      this.misbehave();
      const round = this.byzRound++;
      const msg =
        round % 5 === 4
          ? this.changer.build(this.view + 1) // valid but premature: alone it changes nothing
          : byz.fabricatedViewChange(
              this.env.id,
              this.env.cluster,
              this.view + 1,
              this.stable,
              round,
              sha256Hex,
            );
      this.sendToOthers(msg);
    }
  }

  // ---- receiving ----------------------------------------------------------------------------

  /** The body of a message whose signature verifies against the sender it names. */
  private parse(msg: unknown): Body | undefined {
    if (!isSignedMsg(msg)) return undefined;
    const body = parseFrozen(msg.p) as Body | undefined;
    if (typeof body !== 'object' || body === null || !this.env.cluster.includes(body.i)) {
      return undefined;
    }
    return verifySigned(body.i, msg) ? body : undefined;
  }

  onMessage(_from: NodeId, msg: PbftMsg): void {
    const body = this.parse(msg);
    if (body === undefined || !hasFieldTypes(body)) {
      this.env.metric('pbft.rejected');
      return;
    }
    if (this.options.byzantine === 'silent') return;
    switch (body.t) {
      case 'request':
        return this.onRequest(msg, body);
      case 'pre-prepare':
        return this.onPrePrepare(msg, body);
      case 'prepare':
      case 'commit':
        return this.onVote(msg, body);
      case 'reply':
        return this.proxy.onReply(body);
      case 'checkpoint':
        return this.checkpoints.onCheckpoint(msg, body, this.high);
      case 'status':
        return this.onStatus(body);
      case 'state':
        return this.onState(body);
      case 'view-change':
        return this.changer.onViewChange(msg);
      case 'new-view':
        return this.changer.onNewView(msg, body);
    }
  }

  /** A request signed by its proxy; `undefined` unless well-formed. */
  private requestOf(msg: SignedMsg): PbftRequest | undefined {
    const body = this.parse(msg);
    if (body?.t !== 'request' || typeof body.req !== 'object' || body.req === null) {
      return undefined;
    }
    const r = body.req;
    if (r.proxy !== body.i || typeof r.client !== 'string' || !isCount(r.seq)) return undefined;
    return isKvOp(r.op) ? r : undefined;
  }

  private executedAlready(req: PbftRequest): boolean {
    return this.state.executedAlready(req.client, req.seq);
  }

  /** Notes a request this replica waits for; a backup's view-change timer runs while any wait. */
  private await(req: PbftRequest, msg: SignedMsg): void {
    if (this.executedAlready(req)) return;
    const key = `${req.client}/${req.seq}`;
    if (!this.waiting.has(key)) this.waiting.set(key, msg);
    this.refreshTimer(false);
  }

  private onRequest(msg: SignedMsg, body: BodyOf<'request'>): void {
    if (this.requestOf(msg) === undefined) return;
    const { client, seq, proxy } = body.req;
    if (this.state.executedAlready(client, seq)) {
      const cached = this.state.cachedResult(client, seq);
      if (cached !== undefined) this.sendReply(proxy, client, seq, cached);
      return;
    }
    this.await(body.req, msg);
    if (!this.isPrimary) return;
    const at = this.assigned.get(`${client}/${seq}`);
    if (at !== undefined) {
      const e = this.log.get(at);
      if (e?.pp !== undefined && e.v === this.view) this.broadcast(e.pp);
      return;
    }
    if (this.queue.some((q) => q.p === msg.p)) return;
    this.queue.push(msg);
    this.tryAssign();
  }

  private tryAssign(): void {
    if (!this.isPrimary || !this.active) return;
    // A Byzantine primary that wants views to change orders nothing.
    if (this.options.byzantine === 'bad-view-change') return;
    for (;;) {
      if (this.nextSeq > this.high) break;
      const reqMsg = this.queue.shift();
      if (reqMsg === undefined) break;
      const req = must(this.requestOf(reqMsg), 'queued-request-well-formed', `in ${this.env.id}`);
      const key = `${req.client}/${req.seq}`;
      if (this.assigned.has(key) || this.executedAlready(req)) continue;
      const n = this.nextSeq++;
      this.assigned.set(key, n);
      const pp = this.prePrepare(n, reqMsg);
      // Durable before anyone hears of it: a restarted primary never reuses n, and resends it.
      this.env.storage.put('seq', { v: this.view, n });
      this.env.storage.put(`pp/${n}`, msgRecord(pp));
      const strategy = this.options.byzantine;
      if (strategy === 'equivocate' || strategy === 'collude') {
        // The lying primary's pre-prepares (byzantine.ts), sent once `pp` is durable.
        const who = {
          id: this.env.id,
          cluster: this.env.cluster,
          view: this.view,
          f: this.f,
          quorum: this.options.weakQuorum ? this.f + 1 : this.q.quorum,
        };
        const sends =
          strategy === 'equivocate'
            ? byz.equivocation(who, n, pp)
            : byz.collusion(who, this.options.faulty ?? [], n, pp);
        this.misbehave();
        this.env.storage.sync(() => {
          for (const { to, msg } of sends) this.env.send(to, msg);
        });
      } else {
        this.env.storage.sync(() => this.broadcast(pp));
      }
    }
  }

  private prePrepare(n: number, req: SignedMsg | null): SignedMsg {
    const d = req === null ? NULL_DIGEST : sha256Hex(req.p);
    return this.signed({ t: 'pre-prepare', i: this.env.id, v: this.view, n, d, req });
  }

  private entry(n: number): Entry {
    let e = this.log.get(n);
    if (e === undefined || e.v !== this.view) {
      e = { n, v: this.view, prepares: new Map(), commits: new Map(), at: this.env.now() };
      this.log.set(n, e);
    }
    return e;
  }

  private inWindow(n: number): boolean {
    return n > this.low && n <= this.high;
  }

  private onPrePrepare(msg: SignedMsg, body: BodyOf<'pre-prepare'>): void {
    if (!this.active || body.v !== this.view || body.i !== this.primary()) return;
    if (!this.inWindow(body.n)) return;
    let req: PbftRequest | null = null;
    let reqMsg: SignedMsg | null = null;
    if (body.req === null) {
      if (body.d !== NULL_DIGEST) return;
    } else {
      if (!isSignedMsg(body.req)) return;
      const r = this.requestOf(body.req);
      if (r === undefined || sha256Hex(body.req.p) !== body.d) return;
      req = r;
      reqMsg = body.req;
    }
    if (this.options.byzantine === 'collude' && !this.isPrimary) this.colludeVotes(body);
    const e = this.entry(body.n);
    if (e.pp !== undefined) return; // one digest per (view, seq): the first accepted stays
    if (this.options.byzantine === 'forge') {
      this.misbehave();
      const seen = { v: body.v, n: body.n, d: body.d, primary: body.i, req };
      for (const { to, msg: m } of byz.forgeries(this.env.id, this.env.cluster, seen)) {
        this.env.send(to, m);
      }
    }
    e.pp = msg;
    e.d = body.d;
    e.req = req;
    if (req !== null && reqMsg !== null) {
      if (this.isPrimary) this.assigned.set(`${req.client}/${req.seq}`, body.n);
      this.await(req, reqMsg);
    }
    this.env.storage.put(`pp/${body.n}`, msgRecord(msg));
    this.env.storage.sync(() => {
      if (this.log.get(body.n) !== e) return;
      if (!this.isPrimary) {
        e.myPrepare = this.signed({ t: 'prepare', i: this.env.id, v: e.v, n: e.n, d: body.d });
        this.broadcast(e.myPrepare);
        this.countOwn(e, e.myPrepare); // our own copy may be lost on the way back
      }
      this.advance(e);
    });
  }

  /** A colluding backup prepares and commits every pre-prepare the primary sends it. */
  private colludeVotes(body: BodyOf<'pre-prepare'>): void {
    const key = `${body.v}/${body.n}/${body.d}`;
    if (this.colluded.has(key)) return;
    this.colluded.add(key);
    this.misbehave();
    for (const m of byz.votesFor(this.env.id, body.v, body.n, body.d)) this.broadcast(m);
  }

  private onVote(msg: SignedMsg, body: BodyOf<'prepare' | 'commit'>): void {
    // Votes for the view being entered are kept: they count once its NEW-VIEW arrives.
    if (body.v !== this.view || !this.inWindow(body.n)) return;
    if (body.t === 'prepare' && body.i === this.primary()) return; // backups prepare
    const e = this.entry(body.n);
    if (body.t === 'prepare') {
      let m = e.prepares.get(body.d);
      if (m === undefined) e.prepares.set(body.d, (m = new Map()));
      if (!m.has(body.i)) m.set(body.i, msg);
    } else {
      let set = e.commits.get(body.d);
      if (set === undefined) e.commits.set(body.d, (set = new Set()));
      set.add(body.i);
    }
    if (this.active) this.advance(e);
  }

  /** Counts our own prepare or commit in `e` without waiting for it to come back. */
  private countOwn(e: Entry, msg: SignedMsg): void {
    const b = this.parse(msg);
    if (b?.t !== 'prepare' && b?.t !== 'commit') return;
    if (b.t === 'prepare') {
      let m = e.prepares.get(b.d);
      if (m === undefined) e.prepares.set(b.d, (m = new Map()));
      if (!m.has(b.i)) m.set(b.i, msg);
    } else {
      let set = e.commits.get(b.d);
      if (set === undefined) e.commits.set(b.d, (set = new Set()));
      set.add(b.i);
    }
  }

  private prepared(e: Entry): boolean {
    if (e.d === undefined || e.pp === undefined) return false;
    return (e.prepares.get(e.d)?.size ?? 0) >= this.prepareQuorum;
  }

  private committed(e: Entry): boolean {
    if (e.d === undefined || !this.prepared(e)) return false;
    const need = this.options.weakQuorum ? this.f + 1 : this.q.quorum;
    return (e.commits.get(e.d)?.size ?? 0) >= need;
  }

  private advance(e: Entry): void {
    if (e.certified !== true && this.prepared(e)) {
      if (!this.isPrimary && e.myPrepare === undefined) return; // our prepare is not durable yet
      e.certified = true;
      const where = `${this.env.id} at ${e.n} in view ${e.v}`;
      const d = must(e.d, 'prepared-entry-has-pre-prepare', where);
      const pp = must(e.pp, 'prepared-entry-has-pre-prepare', where);
      const prepares = [...must(e.prepares.get(d), 'prepared-entry-has-pre-prepare', where)]
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, this.prepareQuorum)
        .map(([, m]) => m);
      const cert: PreparedCert = { v: e.v, pp, prepares };
      this.prepCerts.set(e.n, cert);
      // The certificate is durable before our commit: a view change after a crash reports it.
      this.env.storage.put(`pc/${e.n}`, certRecord(cert));
      this.env.storage.sync(() => {
        if (this.log.get(e.n) !== e || !this.active || this.view !== e.v) return;
        e.myCommit = this.signed({ t: 'commit', i: this.env.id, v: e.v, n: e.n, d });
        this.broadcast(e.myCommit);
        this.countOwn(e, e.myCommit);
        this.execute();
      });
    }
    this.execute();
  }

  // ---- execution ----------------------------------------------------------------------------

  private execute(): void {
    let progressed = false;
    let executedRequest = false;
    for (;;) {
      const e = this.log.get(this.lastExec + 1);
      if (e === undefined || !this.committed(e)) break;
      progressed = true;
      this.lastExec = e.n;
      this.executed.set(
        e.n,
        must(e.d, 'prepared-entry-has-pre-prepare', `${this.env.id} executes ${e.n}`),
      );
      const req = e.req ?? null;
      if (req !== null) {
        const op = must(
          isKvOp(req.op) ? req.op : undefined,
          'executed-op-is-kv',
          `${this.env.id} executes ${e.n}`,
        );
        const done = this.state.execute(req, op);
        if (done !== undefined) this.sendReply(req.proxy, req.client, req.seq, done.result);
        if (done?.fresh === true) executedRequest = true;
      }
      this.env.metric('pbft.executed');
      if (e.n % CHECKPOINT_INTERVAL === 0) this.checkpoints.take(e.n, this.state.snapshot());
    }
    if (progressed) this.afterExecution(executedRequest);
  }

  /** The timer stops when a request executes and restarts (at T) if others still wait. */
  private afterExecution(executedRequest: boolean): void {
    for (const [key, msg] of this.waiting) {
      const req = this.requestOf(msg);
      if (req === undefined || this.executedAlready(req)) this.waiting.delete(key);
    }
    if (executedRequest) this.changer.timer.requestExecuted();
    this.refreshTimer(true);
  }

  private sendReply(proxy: NodeId, client: string, seq: number, result: Json): void {
    const lie = this.options.byzantine === 'lie';
    if (lie) this.misbehave();
    const said = lie ? byz.lieAbout(result) : result;
    const reply: Body = { t: 'reply', i: this.env.id, v: this.view, client, seq, result: said };
    this.sendTo(proxy, this.signed(reply));
  }

  /** The checkpoint at `n` is stable: the log, certificates and records at or below it go. */
  private collectThrough(n: number): void {
    for (const prefix of ['pp/', 'pc/']) {
      for (const k of this.env.storage.keys(prefix)) {
        if (Number(k.slice(3)) <= n) this.env.storage.delete(k);
      }
    }
    for (const k of [...this.log.keys()]) if (k <= n) this.log.delete(k);
    for (const k of [...this.prepCerts.keys()]) if (k <= n) this.prepCerts.delete(k);
    this.tryAssign();
  }

  /** Adopts a stable checkpoint's state (on restart, or fetched from a peer). */
  private install(ck: Checkpoint, persist: boolean): void {
    this.state.restore(ck.snap);
    this.lastExec = Math.max(this.lastExec, ck.n);
    this.nextSeq = Math.max(this.nextSeq, ck.n + 1);
    if (persist) this.checkpoints.makeStable(ck);
    else this.checkpoints.restored(ck);
  }

  // ---- catching up --------------------------------------------------------------------------

  private onStatus(body: BodyOf<'status'>): void {
    if (body.i === this.env.id) return;
    if (body.v < this.view || (body.v === this.view && body.active !== true)) {
      this.changer.relayNewView(body.i);
    }
    if (body.v < this.view && body.active !== true) this.changer.resendViewChange(body.i, body.v);
    if (body.low < this.low) {
      const ck = this.stable;
      const lie = this.options.byzantine === 'lie';
      if (lie) this.misbehave();
      const snap = lie ? byz.tamperSnapshot(ck.snap) : ck.snap;
      this.sendTo(
        body.i,
        this.signed({ t: 'state', i: this.env.id, n: ck.n, snap, proof: ck.proof }),
      );
      return;
    }
    if (body.v === this.view) {
      for (const n of body.stuck) {
        const e = this.log.get(n);
        if (e?.v !== this.view) continue;
        for (const m of [e.myPrepare, e.myCommit]) if (m !== undefined) this.sendTo(body.i, m);
      }
    }
    const now = this.env.now();
    for (let n = body.exec + 1; n <= body.exec + RELAY_BATCH; n++) {
      const e = this.log.get(n);
      if (e === undefined) break;
      if (n > this.lastExec && Math.abs(now - e.at) < STUCK_MS) break;
      for (const m of [e.pp, e.myPrepare, e.myCommit]) if (m !== undefined) this.sendTo(body.i, m);
    }
  }

  private onState(body: BodyOf<'state'>): void {
    if (body.n <= this.low || body.n % CHECKPOINT_INTERVAL !== 0) return;
    if (checkpointProofDigest(this.ctx, body.n, body.proof) !== sha256Hex(body.snap)) {
      this.env.metric('pbft.rejected');
      return;
    }
    const ck = { n: body.n, snap: body.snap, proof: body.proof };
    if (body.n > this.lastExec) this.install(ck, true);
    else this.checkpoints.makeStable(ck); // our own state at n is the same one (Q say so, f + 1 honest)
    this.afterExecution(false);
    this.execute();
  }

  // ---- view change --------------------------------------------------------------------------

  /** In an active view a backup's timer runs while it waits for some request to execute. */
  private refreshTimer(restart: boolean): void {
    if (!this.active) return;
    if (this.isPrimary || this.waiting.size === 0) {
      this.changer.timer.stop();
      return;
    }
    if (restart) this.changer.timer.stop();
    this.changer.timer.start(this.view);
  }

  /** Enters a verified new view: a new log made of O, prepared like any pre-prepare. */
  private enterView(info: NewViewInfo, msg: SignedMsg): void {
    const { v, plan } = info;
    this.view = v;
    this.active = true;
    this.lastActive = v;
    for (const [n, e] of [...this.log]) if (e.v < v) this.log.delete(n);
    if (plan.minS > Math.max(this.stable.n, this.floor.n)) {
      this.floor = { n: plan.minS, proof: plan.ckptProof };
    }
    const s = this.env.storage;
    for (const k of s.keys('pp/')) s.delete(k);
    const stored: StoredView = {
      v,
      active: true,
      lastActive: v,
      floor: { ...this.floor, proof: [...this.floor.proof] },
    };
    s.put('view', viewRecord(stored));
    s.put('nv', msgRecord(msg));
    this.env.metric('pbft.new-views');
    if (this.isPrimary) {
      this.assigned.clear();
      this.nextSeq = Math.max(plan.maxS + 1, this.stable.n + 1);
      s.put('seq', { v, n: plan.maxS });
    }
    // A replica that executed to min-s can make it stable with the proof from V.
    if (plan.minS > this.low) for (const m of plan.ckptProof) this.onMessage(this.env.id, m);
    for (const pp of info.O) this.onMessage(this.env.id, pp);
    // Requests still waiting go to the new primary (it may never have heard of them).
    if (this.isPrimary) {
      for (const m of this.waiting.values()) {
        if (!this.queue.some((q) => q.p === m.p)) this.queue.push(m);
      }
      this.tryAssign();
    } else {
      for (const m of this.waiting.values()) this.sendTo(this.primary(), m);
    }
    this.refreshTimer(false);
    this.execute();
  }

  inspect() {
    return {
      view: this.view,
      active: this.active,
      primary: this.primary(),
      executed: this.lastExec,
      stable: this.stable.n,
      log: this.log.size,
      keys: this.state.keys,
      viewChanges: this.changer.timer.log.length,
      vcTimeoutMs: this.changer.timer.timeoutMs,
      byzantine: this.options.byzantine ?? null,
    };
  }
}
