/**
 * Runtime-level messages between node processes, beside the protocol's own: they travel on the
 * same authenticated peer transport but never reach the protocol node (their types start with
 * '$'; node-process.ts hands them here).
 *
 *   '$forward'   {fid, client, seq, op}   a follower passes a client request to the leader,
 *   '$forwarded' {fid, reply}              which submits it to its own node (never forwarding
 *                                          it again) and sends the node's reply back;
 *   '$info?'     {qid}                    what a peer serves (its etcd address, …),
 *   '$info'      {qid, info}               answered from `info()`.
 *
 * Lost messages are the caller's concern: a forward that gets no answer in time reports null,
 * and the caller may retry with the same (client, seq), which the system deduplicates.
 */
import type { Json } from '../core/json.js';
import type { ClientReply, Message, NodeId } from '../core/node.js';

export interface ForwardingOptions {
  readonly send: (to: NodeId, msg: Message) => void;
  /** Submits a request to the local node; returns a function that abandons it. */
  readonly submitLocal: (
    client: string,
    seq: number,
    op: Json,
    onReply: (reply: ClientReply) => void,
  ) => () => void;
  readonly info: () => Json;
  /** How long the leader side keeps a forwarded request before giving up on it. */
  readonly serveTimeoutMs?: number;
}

interface Waiting {
  readonly done: (reply: ClientReply | null) => void;
  readonly timer: NodeJS.Timeout;
}

interface InfoQuery {
  readonly answers: Map<NodeId, Json>;
  readonly expected: number;
  readonly finish: () => void;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isReply(v: unknown): v is ClientReply {
  return (
    isObject(v) &&
    (v.ok === true ||
      (v.ok === false && typeof v.error === 'string' && typeof v.definite === 'boolean'))
  );
}

export class Forwarding {
  private readonly waiting = new Map<number, Waiting>();
  private readonly queries = new Map<number, InfoQuery>();
  private nextId = 1;
  /** Forwarded requests served for peers, and forwards sent. */
  readonly stats = { served: 0, forwarded: 0, lost: 0 };

  constructor(private readonly o: ForwardingOptions) {}

  /** Handles a runtime-level message from an authenticated peer; malformed ones are dropped. */
  handle(from: NodeId, msg: Message): void {
    const m = msg as unknown as Record<string, unknown>;
    switch (msg.type) {
      case '$forward': {
        const { fid, client, seq, op } = m;
        if (typeof fid !== 'number' || typeof client !== 'string' || client === '') return;
        if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return;
        if (op === undefined) return;
        this.stats.served++;
        let answered = false;
        const timer: { id?: NodeJS.Timeout } = {};
        const answer = (reply: ClientReply): void => {
          if (answered) return;
          answered = true;
          if (timer.id !== undefined) clearTimeout(timer.id);
          this.o.send(from, { type: '$forwarded', fid, reply } as unknown as Message);
        };
        const abandon = this.o.submitLocal(client, seq, op as Json, answer);
        if (answered) return;
        timer.id = setTimeout(() => {
          answered = true;
          abandon();
        }, this.o.serveTimeoutMs ?? 30_000);
        timer.id.unref();
        return;
      }
      case '$forwarded': {
        const w = typeof m.fid === 'number' ? this.waiting.get(m.fid) : undefined;
        if (w === undefined || !isReply(m.reply)) return;
        this.waiting.delete(m.fid as number);
        clearTimeout(w.timer);
        w.done(m.reply);
        return;
      }
      case '$info?':
        if (typeof m.qid === 'number') {
          this.o.send(from, { type: '$info', qid: m.qid, info: this.o.info() } as Message);
        }
        return;
      case '$info': {
        const q = typeof m.qid === 'number' ? this.queries.get(m.qid) : undefined;
        if (q === undefined) return;
        q.answers.set(from, (m.info ?? null) as Json);
        if (q.answers.size >= q.expected) q.finish();
        return;
      }
      default:
        return;
    }
  }

  /** Passes a request to `to` (the leader); `done(null)` when no answer came in time. */
  forward(
    to: NodeId,
    client: string,
    seq: number,
    op: Json,
    timeoutMs: number,
    done: (reply: ClientReply | null) => void,
  ): () => void {
    const fid = this.nextId++;
    const timer = setTimeout(() => {
      this.waiting.delete(fid);
      this.stats.lost++;
      done(null);
    }, timeoutMs);
    this.waiting.set(fid, { done, timer });
    this.stats.forwarded++;
    this.o.send(to, { type: '$forward', fid, client, seq, op } as unknown as Message);
    return () => {
      clearTimeout(timer);
      this.waiting.delete(fid);
    };
  }

  /** Asks every peer for its info; resolves with the answers that came within `timeoutMs`. */
  ask(peers: readonly NodeId[], timeoutMs: number): Promise<Map<NodeId, Json>> {
    const qid = this.nextId++;
    return new Promise((resolve) => {
      const answers = new Map<NodeId, Json>();
      const finish = (): void => {
        clearTimeout(timer);
        this.queries.delete(qid);
        resolve(answers);
      };
      const timer = setTimeout(finish, timeoutMs);
      this.queries.set(qid, { answers, expected: peers.length, finish });
      if (peers.length === 0) return finish();
      for (const p of peers) this.o.send(p, { type: '$info?', qid } as Message);
    });
  }

  close(): void {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    for (const q of [...this.queries.values()]) q.finish();
  }
}
