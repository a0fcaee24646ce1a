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
 * with its proof. Byzantine behaviours are in byzantine.ts.
 */
import { applyKv, isKvOp, type KvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type {
  ClientRequest,
  NodeEnv,
  NodeId,
  ProtocolNode,
  RequestId,
  TimerId,
} from '../../core/node.js';
import * as byz from './byzantine.js';
import type { ByzantineStrategy } from './byzantine.js';
import { sha256Hex, signAs, verifySigned, type SignedMsg } from './crypto.js';
import { parseFrozen } from './parsed-text.js';
import { faultsTolerated, type QuorumRule, type Quorums, quorums } from './quorums.js';
import {
  type Body,
  type BodyOf,
  isCount,
  isSignedMsg,
  NULL_DIGEST,
  type PbftRequest,
} from './messages.js';
import {
  checkpointProofDigest,
  computeNewView,
  type NewViewInfo,
  primaryOf,
  type VerifyContext,
  type ViewChangeInfo,
  verifyNewView,
  verifyViewChange,
} from './view-change.js';

export type { ByzantineStrategy } from './byzantine.js';
export type { PbftRequest } from './messages.js';
export { faultsTolerated } from './quorums.js';
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

/** Checkpoint interval K; the high watermark is h + 2K. */
export const CHECKPOINT_INTERVAL = 16;
/** T: how long a backup waits for a pending request before it starts a view change. */
export const VIEW_CHANGE_TIMEOUT_MS = 300;
/** The timeout doubles with each consecutive view change, up to this. */
export const MAX_VIEW_CHANGE_TIMEOUT_MS = 8 * VIEW_CHANGE_TIMEOUT_MS;
const TICK_MS = 50;
const RESEND_MS = 200;
/** An entry stuck this long is relayed to peers that report they have not executed it. */
const STUCK_MS = 150;
export const RELAY_BATCH = 8;
const MAX_RESENDS = 8;

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

interface PreparedCert {
  readonly v: number;
  readonly pp: SignedMsg;
  readonly prepares: readonly SignedMsg[];
}

interface Pending {
  readonly ids: RequestId[];
  readonly req: PbftRequest;
  readonly replies: Map<NodeId, string>;
  sentAt: number;
  resends: number;
}

interface Checkpoint {
  readonly n: number;
  readonly snap: string;
  readonly proof: readonly SignedMsg[];
}

/** When a replica started a view change, to which view, and the timeout it then waits. */
export interface ViewChangeRecord {
  readonly view: number;
  readonly at: number;
  readonly timeoutMs: number;
}

interface StoredView {
  readonly v: number;
  readonly active: boolean;
  /** The last view this replica was active in (it prepared nothing in any later one). */
  readonly lastActive: number;
  readonly floor: { n: number; proof: SignedMsg[] };
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
  private data = new Map<string, string>();
  private sessions = new Map<string, { seq: number; result: Json }>();
  private lastExec = 0;
  /** Digest of the request executed at each sequence number (never collected; for checkers). */
  private readonly executed = new Map<number, string>();
  // log
  private readonly log = new Map<number, Entry>();
  private stable: Checkpoint = { n: 0, snap: '', proof: [] };
  /** A checkpoint proven stable (by a NEW-VIEW) whose state this replica may not have yet. */
  private floor: { n: number; proof: readonly SignedMsg[] } = { n: 0, proof: [] };
  private readonly snapshots = new Map<number, string>();
  private readonly checkpoints = new Map<number, Map<NodeId, SignedMsg>>();
  /** Our latest checkpoint message, resent until it is stable (checkpoints can be lost). */
  private myCheckpoint: { n: number; msg: SignedMsg } | null = null;
  /** The prepared certificate of the highest view for each sequence number above h. */
  private readonly prepCerts = new Map<number, PreparedCert>();
  // view change
  /** Requests received (as proxy, relayed, or in a pre-prepare) and not executed yet. */
  private readonly waiting = new Map<string, SignedMsg>();
  private vcTimer: TimerId | null = null;
  private vcTimeoutMs = VIEW_CHANGE_TIMEOUT_MS;
  /** No request executed since the last view change: the next one doubles the timeout. */
  private vcConsecutive = false;
  private readonly vcLog: ViewChangeRecord[] = [];
  private myViewChange: SignedMsg | null = null;
  /** Our VIEW-CHANGE for each view passed through since we last entered one (to resend). */
  private readonly myViewChanges = new Map<number, SignedMsg>();
  private readonly vcRelayedAt = new Map<NodeId, number>();
  private readonly viewChanges = new Map<
    number,
    Map<NodeId, { msg: SignedMsg; info: ViewChangeInfo }>
  >();
  private newView: { v: number; msg: SignedMsg } | null = null;
  private sentNewView = -1;
  private readonly relayedAt = new Map<NodeId, number>();
  private ticks = 0;
  // primary
  private nextSeq = 1;
  private readonly queue: SignedMsg[] = [];
  private readonly assigned = new Map<string, number>();
  // Byzantine bookkeeping
  private readonly colluded = new Set<string>();
  private byzRound = 0;
  // proxy
  private readonly pending = new Map<string, Pending>();

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
    return this.stable.n;
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
    return this.vcLog;
  }

  start(): void {
    const s = this.env.storage;
    const ck = s.get('ckpt') as unknown as Checkpoint | undefined;
    if (ck !== undefined && ck.n > 0) this.install(ck, false);
    const sv = s.get('view') as unknown as StoredView | undefined;
    if (sv !== undefined) {
      this.view = sv.v;
      this.active = sv.active;
      this.lastActive = sv.lastActive;
      if (sv.floor.n > this.floor.n) this.floor = sv.floor;
    }
    for (const k of s.keys('pc/')) {
      const n = Number(k.slice(3));
      if (n > this.low) this.prepCerts.set(n, s.get(k) as unknown as PreparedCert);
    }
    const seq = s.get('seq') as { v: number; n: number } | undefined;
    if (seq !== undefined && seq.v === this.view) this.nextSeq = Math.max(this.nextSeq, seq.n + 1);
    const nv = s.get('nv') as unknown as SignedMsg | undefined;
    if (this.active) {
      if (nv !== undefined) {
        const b = this.parse(nv);
        if (b?.t === 'new-view' && b.v === this.view) this.newView = { v: b.v, msg: nv };
      }
      const stored = s
        .keys('pp/')
        .map((k) => s.get(k) as unknown as SignedMsg)
        .filter((m) => m !== undefined);
      for (const pp of stored) {
        const b = this.parse(pp);
        if (b?.t === 'pre-prepare' && b.v === this.view && this.isPrimary) {
          this.nextSeq = Math.max(this.nextSeq, b.n + 1);
        }
        this.onMessage(this.env.id, pp);
      }
    } else {
      this.myViewChange = this.buildViewChange(this.view);
      this.broadcast(this.myViewChange);
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
    if (this.mute) return;
    const key = `${request.client}/${request.seq}`;
    const p = this.pending.get(key);
    if (p !== undefined) {
      p.ids.push(request.id);
      return;
    }
    const req: PbftRequest = {
      client: request.client,
      seq: request.seq,
      op: request.op,
      proxy: this.env.id,
    };
    this.pending.set(key, {
      ids: [request.id],
      req,
      replies: new Map(),
      sentAt: this.env.now(),
      resends: 0,
    });
    const msg = this.signed({ t: 'request', i: this.env.id, req });
    this.await(req, msg);
    this.sendTo(this.primary(), msg);
  }

  private onReply(body: BodyOf<'reply'>): void {
    const p = this.pending.get(`${body.client}/${body.seq}`);
    if (p === undefined) return;
    p.replies.set(body.i, JSON.stringify(body.result));
    const mine = p.replies.get(body.i) as string;
    let matching = 0;
    for (const r of p.replies.values()) if (r === mine) matching++;
    if (matching < this.q.weak) return;
    this.pending.delete(`${body.client}/${body.seq}`);
    for (const id of p.ids) this.env.reply(id, { ok: true, value: body.result });
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === 'view-change') {
      if (data !== this.view) return;
      this.vcTimer = null;
      this.startViewChange(this.view + 1);
      return;
    }
    if (name !== 'tick') return;
    this.env.setTimer(TICK_MS, 'tick');
    this.ticks++;
    const now = this.env.now();
    for (const [key, p] of this.pending) {
      if (Math.abs(now - p.sentAt) < RESEND_MS) continue;
      // The client gives up after its timeout; so does the proxy, a little later.
      if (++p.resends > MAX_RESENDS) {
        this.pending.delete(key);
        continue;
      }
      p.sentAt = now;
      this.broadcast(this.signed({ t: 'request', i: this.env.id, req: p.req }));
    }
    this.tryAssign();
    if (this.myCheckpoint !== null && this.myCheckpoint.n > this.low) {
      this.broadcast(this.myCheckpoint.msg);
    }
    const every = RESEND_MS / TICK_MS;
    if (!this.active && this.myViewChange !== null && this.ticks % every === 0) {
      this.broadcast(this.myViewChange);
    }
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
          ? this.buildViewChange(this.view + 1) // valid but premature: alone it changes nothing
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

  /** Field types of the message kinds whose fields the handlers compare. */
  private wellFormed(b: Body): boolean {
    switch (b.t) {
      case 'pre-prepare':
      case 'prepare':
      case 'commit':
        return isCount(b.v) && isCount(b.n) && typeof b.d === 'string';
      case 'checkpoint':
        return isCount(b.n) && typeof b.d === 'string';
      case 'status':
        return (
          isCount(b.exec) &&
          isCount(b.low) &&
          isCount(b.v) &&
          Array.isArray(b.stuck) &&
          b.stuck.length <= RELAY_BATCH &&
          b.stuck.every(isCount)
        );
      case 'state':
        return isCount(b.n) && typeof b.snap === 'string' && Array.isArray(b.proof);
      case 'request':
        return typeof b.req === 'object' && b.req !== null;
      case 'reply':
        return typeof b.client === 'string' && isCount(b.seq);
      case 'view-change':
      case 'new-view':
        return true; // verified in full by view-change.ts
      default:
        return false;
    }
  }

  onMessage(_from: NodeId, msg: PbftMsg): void {
    const body = this.parse(msg);
    if (body === undefined || !this.wellFormed(body)) {
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
        return this.onReply(body);
      case 'checkpoint':
        return this.onCheckpoint(msg, body);
      case 'status':
        return this.onStatus(body);
      case 'state':
        return this.onState(body);
      case 'view-change':
        return this.onViewChange(msg);
      case 'new-view':
        return this.onNewView(msg, body);
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
    const session = this.sessions.get(req.client);
    return session !== undefined && session.seq >= req.seq;
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
    const session = this.sessions.get(client);
    if (session !== undefined && session.seq >= seq) {
      if (session.seq === seq) this.sendReply(proxy, client, seq, session.result);
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
    while (this.queue.length > 0 && this.nextSeq <= this.high) {
      const reqMsg = this.queue.shift() as SignedMsg;
      const req = this.requestOf(reqMsg) as PbftRequest;
      const key = `${req.client}/${req.seq}`;
      if (this.assigned.has(key) || this.executedAlready(req)) continue;
      const n = this.nextSeq++;
      this.assigned.set(key, n);
      const pp = this.prePrepare(n, reqMsg);
      // Durable before anyone hears of it: a restarted primary never reuses n, and resends it.
      this.env.storage.put('seq', { v: this.view, n });
      this.env.storage.put(`pp/${n}`, pp as unknown as Json);
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
    if (body.req === null) {
      if (body.d !== NULL_DIGEST) return;
    } else {
      if (!isSignedMsg(body.req)) return;
      const r = this.requestOf(body.req);
      if (r === undefined || sha256Hex(body.req.p) !== body.d) return;
      req = r;
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
    if (req !== null) {
      if (this.isPrimary) this.assigned.set(`${req.client}/${req.seq}`, body.n);
      this.await(req, body.req as SignedMsg);
    }
    this.env.storage.put(`pp/${body.n}`, msg as unknown as Json);
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
      const prepares = [...(e.prepares.get(e.d as string) as Map<NodeId, SignedMsg>)]
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, this.prepareQuorum)
        .map(([, m]) => m);
      const cert: PreparedCert = { v: e.v, pp: e.pp as SignedMsg, prepares };
      this.prepCerts.set(e.n, cert);
      // The certificate is durable before our commit: a view change after a crash reports it.
      this.env.storage.put(`pc/${e.n}`, cert as unknown as Json);
      this.env.storage.sync(() => {
        if (this.log.get(e.n) !== e || !this.active || this.view !== e.v) return;
        e.myCommit = this.signed({
          t: 'commit',
          i: this.env.id,
          v: e.v,
          n: e.n,
          d: e.d as string,
        });
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
      this.executed.set(e.n, e.d as string);
      const req = e.req ?? null;
      if (req !== null) {
        const session = this.sessions.get(req.client);
        if (session === undefined || session.seq < req.seq) {
          const result = applyKv(this.data, req.op as unknown as KvOp);
          this.sessions.set(req.client, { seq: req.seq, result });
          this.sendReply(req.proxy, req.client, req.seq, result);
          executedRequest = true;
        } else if (session.seq === req.seq) {
          this.sendReply(req.proxy, req.client, req.seq, session.result);
        }
      }
      this.env.metric('pbft.executed');
      if (e.n % CHECKPOINT_INTERVAL === 0) this.takeCheckpoint(e.n);
    }
    if (progressed) this.afterExecution(executedRequest);
  }

  /** The timer stops when a request executes and restarts (at T) if others still wait. */
  private afterExecution(executedRequest: boolean): void {
    for (const [key, msg] of this.waiting) {
      const req = this.requestOf(msg);
      if (req === undefined || this.executedAlready(req)) this.waiting.delete(key);
    }
    if (executedRequest) {
      this.vcConsecutive = false;
      this.vcTimeoutMs = VIEW_CHANGE_TIMEOUT_MS;
    }
    this.refreshTimer(true);
  }

  private sendReply(proxy: NodeId, client: string, seq: number, result: Json): void {
    const lie = this.options.byzantine === 'lie';
    if (lie) this.misbehave();
    const said = lie ? byz.lieAbout(result) : result;
    const reply: Body = { t: 'reply', i: this.env.id, v: this.view, client, seq, result: said };
    this.sendTo(proxy, this.signed(reply));
  }

  private snapshot(): string {
    const data = [...this.data.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const sessions = [...this.sessions.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return JSON.stringify({ data, sessions });
  }

  private takeCheckpoint(n: number): void {
    const snap = this.snapshot();
    this.snapshots.set(n, snap);
    const lie = this.options.byzantine === 'lie';
    if (lie) this.misbehave();
    const d = lie ? byz.lieDigest(sha256Hex, snap) : sha256Hex(snap);
    const msg = this.signed({ t: 'checkpoint', i: this.env.id, n, d });
    this.myCheckpoint = { n, msg };
    this.broadcast(msg);
    this.tryStable(n);
  }

  private onCheckpoint(msg: SignedMsg, body: BodyOf<'checkpoint'>): void {
    if (body.n <= this.low || body.n % CHECKPOINT_INTERVAL !== 0) return;
    // Kept only up to one log window past the high watermark: a Byzantine replica signing ever
    // larger checkpoints cannot grow this map. A replica further behind than that catches up
    // through STATUS/STATE, which carries its own proof.
    if (body.n > this.high + 2 * CHECKPOINT_INTERVAL) return;
    let m = this.checkpoints.get(body.n);
    if (m === undefined) this.checkpoints.set(body.n, (m = new Map()));
    if (!m.has(body.i)) m.set(body.i, msg);
    this.tryStable(body.n);
  }

  private tryStable(n: number): void {
    const snap = this.snapshots.get(n);
    const msgs = this.checkpoints.get(n);
    if (snap === undefined || msgs === undefined || n <= this.low) return;
    const d = sha256Hex(snap);
    const proof = [...msgs.values()].filter((m) => (this.parse(m) as { d: string }).d === d);
    if (proof.length < this.q.quorum) return;
    this.makeStable({ n, snap, proof });
  }

  private makeStable(ck: Checkpoint): void {
    this.stable = ck;
    this.env.storage.put('ckpt', ck as unknown as Json);
    for (const prefix of ['pp/', 'pc/']) {
      for (const k of this.env.storage.keys(prefix)) {
        if (Number(k.slice(3)) <= ck.n) this.env.storage.delete(k);
      }
    }
    for (const n of [...this.log.keys()]) if (n <= ck.n) this.log.delete(n);
    for (const n of [...this.prepCerts.keys()]) if (n <= ck.n) this.prepCerts.delete(n);
    for (const n of [...this.snapshots.keys()]) if (n <= ck.n) this.snapshots.delete(n);
    for (const n of [...this.checkpoints.keys()]) if (n <= ck.n) this.checkpoints.delete(n);
    this.env.metric('pbft.stable-checkpoints');
    this.tryAssign();
  }

  /** Adopts a stable checkpoint's state (on restart, or fetched from a peer). */
  private install(ck: Checkpoint, persist: boolean): void {
    const s = JSON.parse(ck.snap) as {
      data: [string, string][];
      sessions: [string, { seq: number; result: Json }][];
    };
    this.data = new Map(s.data);
    this.sessions = new Map(s.sessions);
    this.lastExec = Math.max(this.lastExec, ck.n);
    this.nextSeq = Math.max(this.nextSeq, ck.n + 1);
    if (persist) this.makeStable(ck);
    else this.stable = ck;
  }

  // ---- catching up --------------------------------------------------------------------------

  private onStatus(body: BodyOf<'status'>): void {
    if (body.i === this.env.id) return;
    if (body.v < this.view || (body.v === this.view && body.active !== true)) {
      this.relayNewView(body.i);
    }
    if (body.v < this.view && body.active !== true) this.resendViewChange(body.i, body.v);
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
    else this.makeStable(ck); // our own state at n is the same one (Q say so, f + 1 honest)
    this.afterExecution(false);
    this.execute();
  }

  // ---- view change --------------------------------------------------------------------------

  private startTimer(): void {
    if (this.vcTimer === null) {
      this.vcTimer = this.env.setTimer(this.vcTimeoutMs, 'view-change', this.view);
    }
  }

  private stopTimer(): void {
    if (this.vcTimer !== null) {
      this.env.cancelTimer(this.vcTimer);
      this.vcTimer = null;
    }
  }

  /** In an active view a backup's timer runs while it waits for some request to execute. */
  private refreshTimer(restart: boolean): void {
    if (!this.active) return;
    if (this.isPrimary || this.waiting.size === 0) {
      this.stopTimer();
      return;
    }
    if (restart) this.stopTimer();
    this.startTimer();
  }

  private buildViewChange(v: number): SignedMsg {
    const base = this.floor.n > this.stable.n ? this.floor : this.stable;
    const P = [...this.prepCerts]
      .filter(([n]) => n > base.n && n <= base.n + 2 * CHECKPOINT_INTERVAL)
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => ({ pp: c.pp, prepares: c.prepares }));
    const C = base.n > 0 ? base.proof : [];
    return this.signed({ t: 'view-change', i: this.env.id, v, n: base.n, C, P });
  }

  /** Moves to view `v`: durable first, then VIEW-CHANGE; the timeout doubles if consecutive. */
  private startViewChange(v: number): void {
    if (v <= this.view) return;
    if (this.vcConsecutive) {
      this.vcTimeoutMs = Math.min(2 * this.vcTimeoutMs, MAX_VIEW_CHANGE_TIMEOUT_MS);
    }
    this.vcConsecutive = true;
    this.stopTimer();
    this.view = v;
    this.active = false;
    this.vcLog.push({ view: v, at: this.env.now(), timeoutMs: this.vcTimeoutMs });
    this.env.metric('pbft.view-changes');
    for (const k of [...this.viewChanges.keys()]) if (k < v) this.viewChanges.delete(k);
    const msg = this.buildViewChange(v);
    this.myViewChange = msg;
    this.myViewChanges.set(v, msg);
    const stored: StoredView = {
      v,
      active: false,
      lastActive: this.lastActive,
      floor: { ...this.floor, proof: [...this.floor.proof] },
    };
    this.env.storage.put('view', stored as unknown as Json);
    this.env.storage.sync(() => {
      if (this.view === v && !this.active) this.broadcast(msg);
    });
    this.checkViewChangeQuorum();
  }

  private onViewChange(msg: SignedMsg): void {
    const info = verifyViewChange(this.ctx, msg);
    if (info === undefined) {
      this.env.metric('pbft.rejected');
      return;
    }
    if (info.v < this.view || (info.v === this.view && this.active)) {
      if (info.i !== this.env.id) {
        this.relayNewView(info.i);
        if (info.v < this.view) this.resendViewChange(info.i, info.v);
      }
      return;
    }
    if (info.v > this.view) {
      // Of a sender's view-changes for views above ours only the highest is kept, so a faulty
      // replica cannot fill memory with view-changes for ever higher views.
      for (const [v, held] of this.viewChanges) {
        if (v <= this.view || v === info.v || !held.has(info.i)) continue;
        if (v > info.v) return;
        held.delete(info.i);
        if (held.size === 0) this.viewChanges.delete(v);
      }
    }
    let m = this.viewChanges.get(info.v);
    if (m === undefined) this.viewChanges.set(info.v, (m = new Map()));
    if (!m.has(info.i)) m.set(info.i, { msg, info });
    if (info.v > this.view) this.checkJoin();
    else this.checkViewChangeQuorum();
  }

  /** f + 1 replicas want views above ours: at least one is honest, so join the smallest. */
  private checkJoin(): void {
    const senders = new Set<NodeId>();
    let smallest = Infinity;
    for (const [v, m] of this.viewChanges) {
      if (v <= this.view) continue;
      for (const i of m.keys()) {
        if (i === this.env.id) continue;
        senders.add(i);
        smallest = Math.min(smallest, v);
      }
    }
    if (senders.size >= this.q.weak) this.startViewChange(smallest);
  }

  /** With Q view-changes for the view being entered: start the timer; the primary sends NEW-VIEW. */
  private checkViewChangeQuorum(): void {
    if (this.active) return;
    const m = this.viewChanges.get(this.view);
    if (m === undefined || m.size < this.q.quorum) return;
    this.startTimer();
    if (this.isPrimary && this.sentNewView !== this.view) this.sendNewView(m);
  }

  private sendNewView(m: Map<NodeId, { msg: SignedMsg; info: ViewChangeInfo }>): void {
    const chosen = this.env.cluster
      .filter((id) => m.has(id))
      .slice(0, this.q.quorum)
      .map((id) => m.get(id) as { msg: SignedMsg; info: ViewChangeInfo });
    const plan = computeNewView(chosen.map((c) => c.info));
    const corrupt = this.options.byzantine === 'bad-view-change';
    if (corrupt) this.misbehave();
    const entries = corrupt ? byz.corruptPlan(plan) : plan.entries;
    const O = entries.map((e) => this.prePrepare(e.n, e.req));
    const v = this.view;
    const nv = this.signed({ t: 'new-view', i: this.env.id, v, V: chosen.map((c) => c.msg), O });
    this.sentNewView = v;
    // Durable before sending: a restarted primary resends this one, never a different O.
    this.env.storage.put('nv', nv as unknown as Json);
    this.env.storage.sync(() => {
      if (this.view !== v) return;
      this.broadcast(nv);
      this.onMessage(this.env.id, nv); // enter now: our own copy may be lost on the way back
    });
  }

  private onNewView(msg: SignedMsg, body: BodyOf<'new-view'>): void {
    if (!isCount(body.v) || body.v < this.view || (body.v === this.view && this.active)) return;
    const info = verifyNewView(this.ctx, msg);
    if (info === undefined) {
      this.env.metric('pbft.rejected');
      return;
    }
    this.enterView(info, msg);
  }

  /** Enters a verified new view: a new log made of O, prepared like any pre-prepare. */
  private enterView(info: NewViewInfo, msg: SignedMsg): void {
    const { v, plan } = info;
    // A timer started for an older view (we jumped here) would fire for the wrong view.
    if (v !== this.view) this.stopTimer();
    this.view = v;
    this.active = true;
    this.lastActive = v;
    this.newView = { v, msg };
    this.myViewChange = null;
    this.myViewChanges.clear();
    for (const k of [...this.viewChanges.keys()]) if (k <= v) this.viewChanges.delete(k);
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
    s.put('view', stored as unknown as Json);
    s.put('nv', msg as unknown as Json);
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

  /**
   * Resends our VIEW-CHANGE for view `v` (one we moved past without a NEW-VIEW) to a replica
   * still waiting for `v`: without it, the replicas left behind may never gather Q for `v`
   * while too few are ahead to pull them along (at most every 200 ms). One lost in a crash is
   * signed again: we have prepared nothing since our last active view, below `v`, so it says
   * the same (its certificates are all from views below `v`).
   */
  private resendViewChange(to: NodeId, v: number): void {
    let msg = this.myViewChanges.get(v);
    if (msg === undefined) {
      if (this.active || v <= this.lastActive || v >= this.view) return;
      msg = this.buildViewChange(v);
      this.myViewChanges.set(v, msg);
    }
    const now = this.env.now();
    const last = this.vcRelayedAt.get(to);
    if (last !== undefined && Math.abs(now - last) < RESEND_MS) return;
    this.vcRelayedAt.set(to, now);
    this.sendTo(to, msg);
  }

  /** Sends the NEW-VIEW of our view to a replica still in an older one (at most every 200 ms). */
  private relayNewView(to: NodeId): void {
    if (!this.active || this.newView === null || this.newView.v !== this.view) return;
    const now = this.env.now();
    const last = this.relayedAt.get(to);
    if (last !== undefined && Math.abs(now - last) < RESEND_MS) return;
    this.relayedAt.set(to, now);
    this.sendTo(to, this.newView.msg);
  }

  inspect() {
    return {
      view: this.view,
      active: this.active,
      primary: this.primary(),
      executed: this.lastExec,
      stable: this.stable.n,
      log: this.log.size,
      keys: this.data.size,
      viewChanges: this.vcLog.length,
      vcTimeoutMs: this.vcTimeoutMs,
      byzantine: this.options.byzantine ?? null,
    };
  }
}
