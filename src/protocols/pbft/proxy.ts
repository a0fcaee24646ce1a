/**
 * A replica's work as a client's proxy: it signs the client's request and sends it to the
 * primary, resends it to every replica while no answer comes (the primary may be faulty or the
 * request lost), and answers the client once f + 1 replicas sent matching replies — at least one
 * of them honest, so the result is the one the honest replicas executed.
 */
import type { ClientRequest, NodeEnv, NodeId, RequestId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';
import type { Body, BodyOf, PbftRequest } from './messages.js';

/** Resend a request that has no answer after this long… */
export const RESEND_MS = 200;
/** …this many times, then give up (the client has given up by then too). */
const MAX_RESENDS = 8;

interface Pending {
  /** Every client request id waiting for this (client, seq): a retry joins the first. */
  readonly ids: RequestId[];
  readonly req: PbftRequest;
  /** Each replica's reply so far, as JSON text, so replies compare by value. */
  readonly replies: Map<NodeId, string>;
  sentAt: number;
  resends: number;
}

/** What the proxy needs of its replica. */
export interface ProxyHost {
  readonly env: NodeEnv<SignedMsg>;
  /** f + 1: replies that must match before the client is answered. */
  readonly weak: number;
  /** The replica sends nothing genuine (a `silent` or `forge` Byzantine replica). */
  mute(): boolean;
  primary(): NodeId;
  signed(body: Body): SignedMsg;
  broadcast(msg: SignedMsg): void;
  sendTo(to: NodeId, msg: SignedMsg): void;
  /** The replica now waits for this request to execute (its view-change timer runs). */
  awaitRequest(req: PbftRequest, msg: SignedMsg): void;
}

export class PbftProxy {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly host: ProxyHost) {}

  /** A client's request, already known to be a kv operation. */
  submit(request: ClientRequest): void {
    const { env } = this.host;
    if (this.host.mute()) return;
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
      proxy: env.id,
    };
    this.pending.set(key, {
      ids: [request.id],
      req,
      replies: new Map(),
      sentAt: env.now(),
      resends: 0,
    });
    const msg = this.host.signed({ t: 'request', i: env.id, req });
    this.host.awaitRequest(req, msg);
    this.host.sendTo(this.host.primary(), msg);
  }

  onReply(body: BodyOf<'reply'>): void {
    const key = `${body.client}/${body.seq}`;
    const p = this.pending.get(key);
    if (p === undefined) return;
    const mine = JSON.stringify(body.result);
    p.replies.set(body.i, mine);
    let matching = 0;
    for (const r of p.replies.values()) if (r === mine) matching++;
    if (matching < this.host.weak) return;
    this.pending.delete(key);
    for (const id of p.ids) this.host.env.reply(id, { ok: true, value: body.result });
  }

  /** On every tick: resends each request unanswered for RESEND_MS, to every replica. */
  resendDue(now: number): void {
    const { env } = this.host;
    for (const [key, p] of this.pending) {
      if (Math.abs(now - p.sentAt) < RESEND_MS) continue;
      // The client gives up after its timeout; so does the proxy, a little later.
      if (++p.resends > MAX_RESENDS) {
        this.pending.delete(key);
        continue;
      }
      p.sentAt = now;
      this.host.broadcast(this.host.signed({ t: 'request', i: env.id, req: p.req }));
    }
  }
}
