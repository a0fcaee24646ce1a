/**
 * PBFT (Castro & Liskov, normal case and checkpoints; no view change yet): n = 3f + 1 replicas,
 * the primary of view v is replica v mod n. A client's request reaches any replica — its proxy
 * — which signs and forwards it to the primary. The primary assigns it a sequence number in a
 * PRE-PREPARE; a replica that accepts it (within the watermarks, one digest per view and
 * sequence number) broadcasts PREPARE; with the pre-prepare and 2f matching prepares from
 * distinct backups it is prepared and broadcasts COMMIT; with 2f + 1 matching commits it is
 * committed-local. Requests execute in sequence order and each replica sends a signed REPLY to
 * the proxy, which answers the client after f + 1 matching replies from distinct replicas.
 *
 * Every message is signed by its sender and verified on receipt (forgeries are dropped and
 * counted as `pbft.rejected`); the pre-prepare carries the proxy's signed request, so a primary
 * cannot invent operations. Votes are counted per (view, seq, digest, sender) once, so replays
 * are harmless. Every K executions a replica broadcasts a CHECKPOINT of its state's digest; with
 * 2f + 1 matching ones it is stable: the low watermark h moves to it, the log at or below it is
 * garbage-collected, and sequence numbers are accepted only in (h, h + 2K]. A replica that fell
 * behind a stable checkpoint fetches it (the state plus its 2f + 1 signed checkpoints).
 *
 * Durable: each accepted pre-prepare (before voting for it), the primary's highest assigned
 * sequence number, and the stable checkpoint with its proof.
 */
import { applyKv, isKvOp, type KvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode, RequestId } from '../../core/node.js';
import { sha256Hex, signAs, verifySigned, type SignedMsg } from './crypto.js';

export type PbftMsg = SignedMsg;

export interface PbftRequest {
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
  /** The replica the client talks to, which collects the replies. */
  readonly proxy: NodeId;
}

type Body =
  | { readonly t: 'request'; readonly i: NodeId; readonly req: PbftRequest }
  | {
      readonly t: 'pre-prepare';
      readonly i: NodeId;
      readonly v: number;
      readonly n: number;
      readonly d: string;
      readonly req: SignedMsg;
    }
  | {
      readonly t: 'prepare' | 'commit';
      readonly i: NodeId;
      readonly v: number;
      readonly n: number;
      readonly d: string;
    }
  | {
      readonly t: 'reply';
      readonly i: NodeId;
      readonly v: number;
      readonly client: string;
      readonly seq: number;
      readonly result: Json;
    }
  | { readonly t: 'checkpoint'; readonly i: NodeId; readonly n: number; readonly d: string }
  | { readonly t: 'status'; readonly i: NodeId; readonly exec: number; readonly low: number }
  | {
      readonly t: 'state';
      readonly i: NodeId;
      readonly n: number;
      readonly snap: string;
      readonly proof: readonly SignedMsg[];
    };

/** Byzantine behaviour of one replica (honest when absent). */
export type ByzantineStrategy = 'silent' | 'equivocate';

export interface PbftOptions {
  /** Mutant: f + 1 instead of 2f + 1 matching prepares (with the pre-prepare) and commits. */
  readonly weakQuorum?: boolean;
  readonly byzantine?: ByzantineStrategy;
}

/** Checkpoint interval K; the high watermark is h + 2K. */
export const CHECKPOINT_INTERVAL = 16;
const TICK_MS = 50;
const RESEND_MS = 200;
/** An entry stuck this long is relayed to peers that report they have not executed it. */
const STUCK_MS = 150;
const RELAY_BATCH = 8;
const MAX_RESENDS = 8;

interface Entry {
  readonly n: number;
  pp?: SignedMsg;
  d?: string;
  req?: PbftRequest;
  readonly prepares: Map<string, Set<NodeId>>;
  readonly commits: Map<string, Set<NodeId>>;
  myPrepare?: SignedMsg;
  myCommit?: SignedMsg;
  readonly at: number;
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

export function faultsTolerated(n: number): number {
  return Math.floor((n - 1) / 3);
}

export class PbftNode implements ProtocolNode<PbftMsg> {
  private readonly n: number;
  private readonly f: number;
  private readonly view = 0;
  // replicated state
  private data = new Map<string, string>();
  private sessions = new Map<string, { seq: number; result: Json }>();
  private lastExec = 0;
  /** Digest of the request executed at each sequence number (never collected; for checkers). */
  private readonly executed = new Map<number, string>();
  // log
  private readonly log = new Map<number, Entry>();
  private stable: Checkpoint = { n: 0, snap: '', proof: [] };
  private readonly snapshots = new Map<number, string>();
  private readonly checkpoints = new Map<number, Map<NodeId, SignedMsg>>();
  /** Our latest checkpoint message, resent until it is stable (checkpoints can be lost). */
  private myCheckpoint: { n: number; msg: SignedMsg } | null = null;
  // primary
  private nextSeq = 1;
  private readonly queue: SignedMsg[] = [];
  private readonly assigned = new Map<string, number>();
  private decoy: SignedMsg | null = null;
  // proxy
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly env: NodeEnv<PbftMsg>,
    private readonly options: PbftOptions = {},
  ) {
    this.n = env.cluster.length;
    this.f = faultsTolerated(this.n);
  }

  get byzantine(): ByzantineStrategy | undefined {
    return this.options.byzantine;
  }

  primary(): NodeId {
    return this.env.cluster[this.view % this.n] as NodeId;
  }

  private get isPrimary(): boolean {
    return this.primary() === this.env.id;
  }

  private get low(): number {
    return this.stable.n;
  }

  private get high(): number {
    return this.stable.n + 2 * CHECKPOINT_INTERVAL;
  }

  /** Digest of the request this replica executed at `seq`, if it did. */
  executedAt(seq: number): string | undefined {
    return this.executed.get(seq);
  }

  executedThrough(): number {
    return this.lastExec;
  }

  start(): void {
    const s = this.env.storage;
    const ck = s.get('ckpt') as unknown as Checkpoint | undefined;
    if (ck !== undefined && ck.n > 0) this.install(ck, false);
    this.nextSeq = Math.max(this.nextSeq, ((s.get('seq') as number | undefined) ?? 0) + 1);
    const stored = s
      .keys('pp/')
      .map((k) => s.get(k) as unknown as SignedMsg)
      .filter((m) => m !== undefined);
    for (const pp of stored) this.onMessage(this.env.id, pp);
    this.env.setTimer(TICK_MS, 'tick');
  }

  // ---- sending ------------------------------------------------------------------------------

  private signed(body: Body): SignedMsg {
    return signAs(this.env.id, body);
  }

  private broadcast(msg: SignedMsg): void {
    if (this.options.byzantine === 'silent') return;
    for (const to of this.env.cluster) this.env.send(to, msg);
  }

  private sendTo(to: NodeId, msg: SignedMsg): void {
    if (this.options.byzantine === 'silent') return;
    this.env.send(to, msg);
  }

  // ---- client / proxy -----------------------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    if (!isKvOp(request.op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    if (this.options.byzantine === 'silent') return;
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
    this.sendTo(this.primary(), this.signed({ t: 'request', i: this.env.id, req }));
  }

  private onReply(body: Extract<Body, { t: 'reply' }>): void {
    const p = this.pending.get(`${body.client}/${body.seq}`);
    if (p === undefined) return;
    p.replies.set(body.i, JSON.stringify(body.result));
    const mine = p.replies.get(body.i) as string;
    let matching = 0;
    for (const r of p.replies.values()) if (r === mine) matching++;
    if (matching < this.f + 1) return;
    this.pending.delete(`${body.client}/${body.seq}`);
    for (const id of p.ids) this.env.reply(id, { ok: true, value: body.result });
  }

  onTimer(name: string): void {
    if (name !== 'tick') return;
    this.env.setTimer(TICK_MS, 'tick');
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
    this.broadcast(
      this.signed({ t: 'status', i: this.env.id, exec: this.lastExec, low: this.low }),
    );
  }

  // ---- receiving ----------------------------------------------------------------------------

  private parse(msg: PbftMsg): Body | undefined {
    if (typeof msg !== 'object' || msg === null || msg.type !== 'pbft') return undefined;
    if (typeof msg.p !== 'string' || typeof msg.s !== 'string') return undefined;
    let body: Body;
    try {
      body = JSON.parse(msg.p) as Body;
    } catch {
      return undefined;
    }
    if (typeof body !== 'object' || body === null || !this.env.cluster.includes(body.i)) {
      return undefined;
    }
    return verifySigned(body.i, msg) ? body : undefined;
  }

  onMessage(_from: NodeId, msg: PbftMsg): void {
    const body = this.parse(msg);
    if (body === undefined) {
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
    }
  }

  /** A request signed by its proxy; `undefined` unless well-formed. */
  private requestOf(msg: SignedMsg): PbftRequest | undefined {
    const body = this.parse(msg);
    if (body === undefined || body.t !== 'request' || body.req.proxy !== body.i) return undefined;
    return isKvOp(body.req.op) ? body.req : undefined;
  }

  private onRequest(msg: SignedMsg, body: Extract<Body, { t: 'request' }>): void {
    if (this.requestOf(msg) === undefined) return;
    const { client, seq, proxy } = body.req;
    const session = this.sessions.get(client);
    if (session !== undefined && session.seq >= seq) {
      if (session.seq === seq) this.sendReply(proxy, client, seq, session.result);
      return;
    }
    if (!this.isPrimary) return;
    const at = this.assigned.get(`${client}/${seq}`);
    if (at !== undefined) {
      const e = this.log.get(at);
      if (e?.pp !== undefined) this.broadcast(e.pp);
      return;
    }
    if (this.queue.some((q) => q.p === msg.p)) return;
    this.queue.push(msg);
    this.tryAssign();
  }

  private tryAssign(): void {
    if (!this.isPrimary) return;
    while (this.queue.length > 0 && this.nextSeq <= this.high) {
      const reqMsg = this.queue.shift() as SignedMsg;
      const req = this.requestOf(reqMsg) as PbftRequest;
      const key = `${req.client}/${req.seq}`;
      if (this.assigned.has(key)) continue;
      const n = this.nextSeq++;
      this.assigned.set(key, n);
      const pp = this.signed({
        t: 'pre-prepare',
        i: this.env.id,
        v: this.view,
        n,
        d: sha256Hex(reqMsg.p),
        req: reqMsg,
      });
      // Durable before anyone hears of it: a restarted primary never reuses n, and resends it.
      this.env.storage.put('seq', n);
      this.env.storage.put(`pp/${n}`, pp as unknown as Json);
      if (this.options.byzantine === 'equivocate' && this.decoy !== null) {
        this.equivocate(n, pp, this.decoy);
      } else {
        this.env.storage.sync(() => this.broadcast(pp));
      }
      this.decoy = reqMsg;
    }
  }

  /**
   * The Byzantine primary: f backups get the real pre-prepare for `n`, the others one for the
   * previous (genuine, signed) request; each group also gets the primary's prepare and commit
   * for its digest.
   */
  private equivocate(n: number, real: SignedMsg, decoyReq: SignedMsg): void {
    const backups = this.env.cluster.filter((id) => id !== this.env.id);
    const fake = this.signed({
      t: 'pre-prepare',
      i: this.env.id,
      v: this.view,
      n,
      d: sha256Hex(decoyReq.p),
      req: decoyReq,
    });
    this.env.storage.sync(() => {
      this.env.send(this.env.id, real);
      backups.forEach((to, k) => {
        const pp = k < this.f ? real : fake;
        const d = (this.parse(pp) as { d: string }).d;
        const vote = { i: this.env.id, v: this.view, n, d };
        this.env.send(to, pp);
        this.env.send(to, this.signed({ t: 'prepare', ...vote }));
        this.env.send(to, this.signed({ t: 'commit', ...vote }));
      });
    });
  }

  private entry(n: number): Entry {
    let e = this.log.get(n);
    if (e === undefined) {
      e = { n, prepares: new Map(), commits: new Map(), at: this.env.now() };
      this.log.set(n, e);
    }
    return e;
  }

  private inWindow(n: number): boolean {
    return n > this.low && n <= this.high;
  }

  private onPrePrepare(msg: SignedMsg, body: Extract<Body, { t: 'pre-prepare' }>): void {
    if (body.v !== this.view || body.i !== this.primary() || !this.inWindow(body.n)) return;
    if (body.n <= this.lastExec) return;
    const req = this.requestOf(body.req);
    if (req === undefined || sha256Hex(body.req.p) !== body.d) return;
    const e = this.entry(body.n);
    if (e.pp !== undefined) return; // one digest per (view, seq): the first accepted stays
    e.pp = msg;
    e.d = body.d;
    e.req = req;
    if (this.isPrimary) this.assigned.set(`${req.client}/${req.seq}`, body.n);
    this.env.storage.put(`pp/${body.n}`, msg as unknown as Json);
    this.env.storage.sync(() => {
      if (this.log.get(body.n) !== e) return;
      if (!this.isPrimary) {
        e.myPrepare = this.signed({
          t: 'prepare',
          i: this.env.id,
          v: this.view,
          n: e.n,
          d: body.d,
        });
        this.broadcast(e.myPrepare);
      }
      this.advance(e);
    });
  }

  private onVote(_msg: SignedMsg, body: Extract<Body, { t: 'prepare' | 'commit' }>): void {
    if (body.v !== this.view || !this.inWindow(body.n) || body.n <= this.lastExec) return;
    if (body.t === 'prepare' && body.i === this.primary()) return; // backups prepare
    const e = this.entry(body.n);
    const votes = body.t === 'prepare' ? e.prepares : e.commits;
    let set = votes.get(body.d);
    if (set === undefined) votes.set(body.d, (set = new Set()));
    set.add(body.i);
    this.advance(e);
  }

  private prepared(e: Entry): boolean {
    if (e.d === undefined) return false;
    const need = this.options.weakQuorum ? this.f : 2 * this.f;
    return (e.prepares.get(e.d)?.size ?? 0) >= need;
  }

  private committed(e: Entry): boolean {
    if (e.d === undefined || !this.prepared(e)) return false;
    const need = this.options.weakQuorum ? this.f + 1 : 2 * this.f + 1;
    return (e.commits.get(e.d)?.size ?? 0) >= need;
  }

  private advance(e: Entry): void {
    if (e.myCommit === undefined && this.prepared(e)) {
      if (!this.isPrimary && e.myPrepare === undefined) return; // our prepare is not durable yet
      e.myCommit = this.signed({
        t: 'commit',
        i: this.env.id,
        v: this.view,
        n: e.n,
        d: e.d as string,
      });
      this.broadcast(e.myCommit);
    }
    this.execute();
  }

  // ---- execution ----------------------------------------------------------------------------

  private execute(): void {
    for (;;) {
      const e = this.log.get(this.lastExec + 1);
      if (e === undefined || !this.committed(e)) return;
      const req = e.req as PbftRequest;
      this.lastExec = e.n;
      this.executed.set(e.n, e.d as string);
      const session = this.sessions.get(req.client);
      if (session === undefined || session.seq < req.seq) {
        const result = applyKv(this.data, req.op as unknown as KvOp);
        this.sessions.set(req.client, { seq: req.seq, result });
        this.sendReply(req.proxy, req.client, req.seq, result);
      } else if (session.seq === req.seq) {
        this.sendReply(req.proxy, req.client, req.seq, session.result);
      }
      this.env.metric('pbft.executed');
      if (e.n % CHECKPOINT_INTERVAL === 0) this.takeCheckpoint(e.n);
    }
  }

  private sendReply(proxy: NodeId, client: string, seq: number, result: Json): void {
    const reply: Body = { t: 'reply', i: this.env.id, v: this.view, client, seq, result };
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
    const msg = this.signed({ t: 'checkpoint', i: this.env.id, n, d: sha256Hex(snap) });
    this.myCheckpoint = { n, msg };
    this.broadcast(msg);
    this.tryStable(n);
  }

  private onCheckpoint(msg: SignedMsg, body: Extract<Body, { t: 'checkpoint' }>): void {
    if (body.n <= this.low || body.n % CHECKPOINT_INTERVAL !== 0) return;
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
    if (proof.length < 2 * this.f + 1) return;
    this.makeStable({ n, snap, proof });
  }

  private makeStable(ck: Checkpoint): void {
    this.stable = ck;
    this.env.storage.put('ckpt', ck as unknown as Json);
    for (const k of this.env.storage.keys('pp/')) {
      if (Number(k.slice(3)) <= ck.n) this.env.storage.delete(k);
    }
    for (const n of [...this.log.keys()]) if (n <= ck.n) this.log.delete(n);
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

  private onStatus(body: Extract<Body, { t: 'status' }>): void {
    if (body.i === this.env.id) return;
    if (body.low < this.low) {
      const ck = this.stable;
      this.sendTo(body.i, this.signed({ t: 'state', i: this.env.id, ...ck }));
      return;
    }
    const now = this.env.now();
    for (let n = body.exec + 1; n <= body.exec + RELAY_BATCH; n++) {
      const e = this.log.get(n);
      if (e === undefined) break;
      if (n > this.lastExec && Math.abs(now - e.at) < STUCK_MS) break;
      for (const m of [e.pp, e.myPrepare, e.myCommit]) if (m !== undefined) this.sendTo(body.i, m);
    }
  }

  private onState(body: Extract<Body, { t: 'state' }>): void {
    if (body.n <= this.low || body.n % CHECKPOINT_INTERVAL !== 0) return;
    const d = sha256Hex(body.snap);
    const signers = new Set<NodeId>();
    for (const m of body.proof) {
      const c = this.parse(m);
      if (c?.t === 'checkpoint' && c.n === body.n && c.d === d) signers.add(c.i);
    }
    if (signers.size < 2 * this.f + 1) {
      this.env.metric('pbft.rejected');
      return;
    }
    const ck = { n: body.n, snap: body.snap, proof: body.proof };
    if (body.n > this.lastExec) this.install(ck, true);
    else this.makeStable(ck); // our own state at n is the same one (2f + 1 say so)
    this.execute();
  }

  inspect() {
    return {
      view: this.view,
      primary: this.primary(),
      executed: this.lastExec,
      stable: this.stable.n,
      log: this.log.size,
      keys: this.data.size,
      byzantine: this.options.byzantine ?? null,
    };
  }
}
