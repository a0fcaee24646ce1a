/**
 * Runtime-level messages between node processes, beside the protocol's own: they travel on the
 * same authenticated peer transport but never reach the protocol node (their types start with
 * '$'; node-process.ts hands them here).
 *
 *   '$forward'   {batch: [{fid, client, seq, op}, …]}  a follower passes client requests to the
 *   '$forwarded' {batch: [{fid, reply, at?}, …]}       leader, which submits each to its own node
 *                                                      (never forwarding it again) and sends the
 *                                                      node's replies back;
 *   '$info?'     {qid}                                 what a peer serves (its etcd address, …),
 *   '$info'      {qid, info}                           answered from `info()`.
 *
 * Forwards and answers are batched: everything queued for one peer during a turn of the event
 * loop leaves after it as one message (at most MAX_BATCH elements and about MAX_BATCH_CHARS of
 * JSON each; more go in further messages). Under load a follower forwards many requests per
 * turn and a leader answers many per turn, and each message costs an encoding, a frame and
 * a dispatch on both sides, so batching saves most of that per-request work. Each element is
 * encoded when it is queued: that is its snapshot (a reply is the node's own object, which it
 * may mutate later — RuntimeEnv does not copy it), and the batch is those texts joined.
 *
 * The peer is authenticated but its data is not trusted: a message that is not a batch, and
 * every malformed element of one, is dropped on its own (counted in `stats.dropped`) while the
 * rest are served; elements past MAX_BATCH in one message are dropped too (an honest peer never
 * sends them), so one message costs bounded work.
 *
 * A successful reply carries `at`, [index, term] of the last entry the leader's node had applied
 * when it answered (its log's, for a node that applies one): the entry that made the reply or a
 * later one. The follower waits until its own node has applied that far before answering its
 * client (applied-waits.ts), as etcd does.
 *
 * Lost messages are the caller's concern: a forward that gets no answer in time reports null,
 * and the caller may retry with the same (client, seq), which the system deduplicates.
 *
 * An answer too large for one frame (a huge range read through a follower with follower reads
 * off) could only be dropped by the transport, and the forward would time out after seconds
 * with nothing said. It becomes an error reply instead — `ANSWER_TOO_LARGE` and the size, not
 * definite, since the operation may have taken effect (a delete returning its prev_kv) — so
 * the caller can say at once what happened and what to do.
 */
import type { Json } from '../core/json.js';
import type { ClientReply, Message, NodeId } from '../core/node.js';
import { DEFAULT_MAX_FRAME } from './frames.js';

/** Most elements in one '$forward' or '$forwarded' message. */
export const MAX_BATCH = 1000;
/**
 * About the most JSON text (UTF-16 units, so at most 3 bytes each in UTF-8) one batch message
 * carries: far below the transport's frame limit (16 MiB), which a batch of large puts would
 * otherwise exceed — and a frame over it closes the connection. A larger element goes alone.
 */
export const MAX_BATCH_CHARS = 1 << 20;
/** The start of the error a forward gets when the leader's answer does not fit in a frame. */
export const ANSWER_TOO_LARGE = 'answer too large to forward';

export interface ForwardingOptions {
  /** Sends a message already encoded as JSON text (`type` is its type, for logs). */
  readonly send: (to: NodeId, json: string, type: string) => void;
  /**
   * Submits a request to the local node; returns a function that abandons it. `onReply` may
   * get the node's own reply object (it is encoded at once here).
   */
  readonly submitLocal: (
    client: string,
    seq: number,
    op: Json,
    onReply: (reply: ClientReply) => void,
  ) => () => void;
  readonly info: () => Json;
  /** The last entry the local node applied, for a node that applies a log (see `at` above). */
  readonly appliedEntry?: () => AppliedAt | undefined;
  /** How long the leader side keeps a forwarded request before giving up on it. */
  readonly serveTimeoutMs?: number;
  /** Largest encoded answer sent (default: the frame limit less room for the batch around it). */
  readonly maxAnswerBytes?: number;
}

/** A log position: the leader's node had applied the entry at `index` (of `term`). */
export interface AppliedAt {
  readonly index: number;
  readonly term: number;
}

/** A forward's outcome: the reply and where the leader stood, or null when none came in time. */
export type ForwardDone = (reply: ClientReply | null, at?: AppliedAt) => void;

interface Waiting {
  readonly done: ForwardDone;
  readonly timer: NodeJS.Timeout;
}

interface InfoQuery {
  readonly answers: Map<NodeId, Json>;
  readonly expected: number;
  readonly finish: () => void;
}

/** The requests of one '$forward' batch still being served, and their common timer. */
interface ServedBatch {
  /** Abandon functions of the elements not answered yet, by index in the batch. */
  readonly open: Map<number, () => void>;
  /** The timer fired: the rest were abandoned and are not answered. */
  expired: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** What is queued for one peer this turn: encoded elements of the two batch messages. */
interface Outbox {
  readonly forwards: string[];
  readonly answers: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function appliedAtOf(v: unknown): AppliedAt | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [index, term] = v as unknown[];
  return Number.isSafeInteger(index) &&
    Number.isSafeInteger(term) &&
    (index as number) >= 0 &&
    (term as number) >= 0
    ? { index: index as number, term: term as number }
    : undefined;
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
  private readonly outboxes = new Map<NodeId, Outbox>();
  private scheduled = false;
  private closed = false;
  private nextId = 1;
  /**
   * Forwarded requests served for peers, forwards sent, forwards that got no answer in time,
   * malformed messages or batch elements dropped, and answers too large to send.
   */
  readonly stats = { served: 0, forwarded: 0, lost: 0, dropped: 0, tooLarge: 0 };

  private readonly maxAnswerBytes: number;

  constructor(private readonly o: ForwardingOptions) {
    this.maxAnswerBytes = o.maxAnswerBytes ?? DEFAULT_MAX_FRAME - 64 * 1024;
  }

  /** Handles a runtime-level message from an authenticated peer; malformed ones are dropped. */
  handle(from: NodeId, msg: Message): void {
    const m = msg as unknown as Record<string, unknown>;
    switch (msg.type) {
      case '$forward':
        if (Array.isArray(m.batch)) this.serve(from, m.batch as unknown[]);
        else this.stats.dropped++;
        return;
      case '$forwarded':
        if (Array.isArray(m.batch)) this.deliver(m.batch as unknown[]);
        else this.stats.dropped++;
        return;
      case '$info?':
        if (typeof m.qid === 'number') {
          const info = { type: '$info', qid: m.qid, info: this.o.info() };
          this.o.send(from, JSON.stringify(info), info.type);
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
    done: ForwardDone,
  ): () => void {
    if (this.closed) {
      done(null); // no answer can come any more
      return () => {};
    }
    const fid = this.nextId++;
    const timer = setTimeout(() => {
      this.waiting.delete(fid);
      this.stats.lost++;
      done(null);
    }, timeoutMs);
    this.waiting.set(fid, { done, timer });
    this.stats.forwarded++;
    this.outbox(to).forwards.push(JSON.stringify({ fid, client, seq, op }));
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
      const json = JSON.stringify({ type: '$info?', qid });
      for (const p of peers) this.o.send(p, json, '$info?');
    });
  }

  /** Stops: nothing queued is sent, and every forward still waiting reports null now. */
  close(): void {
    this.closed = true;
    this.outboxes.clear();
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.done(null);
    }
    for (const q of [...this.queries.values()]) q.finish();
  }

  /** Submits each well-formed element of a '$forward' batch to the local node. */
  private serve(from: NodeId, batch: readonly unknown[]): void {
    const n = Math.min(batch.length, MAX_BATCH);
    this.stats.dropped += batch.length - n;
    // One timer for the whole batch rather than one per request: its elements arrived together,
    // so they all expire together, serveTimeoutMs from now, exactly as separate timers would.
    const served: ServedBatch = { open: new Map(), expired: false, timer: undefined };
    for (let i = 0; i < n; i++) {
      const e = batch[i];
      if (!isObject(e)) {
        this.stats.dropped++;
        continue;
      }
      const { fid, client, seq, op } = e;
      if (
        typeof fid !== 'number' ||
        typeof client !== 'string' ||
        client === '' ||
        typeof seq !== 'number' ||
        !Number.isSafeInteger(seq) ||
        seq < 0 ||
        op === undefined
      ) {
        this.stats.dropped++;
        continue;
      }
      this.stats.served++;
      let answered = false;
      const answer = (reply: ClientReply): void => {
        if (answered || served.expired) return;
        answered = true;
        // Encoded now: `reply` may be the node's own object (see the top).
        const at = reply.ok ? this.o.appliedEntry?.() : undefined;
        this.outbox(from).answers.push(this.encodeAnswer(fid, reply, at));
        served.open.delete(i);
        if (served.open.size === 0 && served.timer !== undefined) clearTimeout(served.timer);
      };
      const abandon = this.o.submitLocal(client, seq, op as Json, answer);
      if (!answered) served.open.set(i, abandon);
    }
    if (served.open.size === 0) return;
    served.timer = setTimeout(() => {
      served.expired = true;
      for (const abandon of served.open.values()) abandon();
      served.open.clear();
    }, this.o.serveTimeoutMs ?? 30_000);
    served.timer.unref();
  }

  /** An answer as JSON text, or the ANSWER_TOO_LARGE error when it would not fit a frame. */
  private encodeAnswer(fid: number, reply: ClientReply, at: AppliedAt | undefined): string {
    const json = JSON.stringify(
      at === undefined ? { fid, reply } : { fid, reply, at: [at.index, at.term] },
    );
    // A UTF-8 byte is at most one UTF-16 unit, so only long texts need counting.
    if (json.length <= this.maxAnswerBytes / 3) return json;
    const bytes = Buffer.byteLength(json);
    if (bytes <= this.maxAnswerBytes) return json;
    this.stats.tooLarge++;
    const error = `${ANSWER_TOO_LARGE} (${bytes} bytes, limit ${this.maxAnswerBytes})`;
    return JSON.stringify({ fid, reply: { ok: false, error, definite: false } });
  }

  /** Hands each well-formed element of a '$forwarded' batch to the forward waiting for it. */
  private deliver(batch: readonly unknown[]): void {
    const n = Math.min(batch.length, MAX_BATCH);
    this.stats.dropped += batch.length - n;
    for (let i = 0; i < n; i++) {
      const e = batch[i];
      if (!isObject(e) || typeof e.fid !== 'number' || !isReply(e.reply)) {
        this.stats.dropped++;
        continue;
      }
      // An answer nobody waits for (timed out, abandoned, or never asked) is ignored.
      const w = this.waiting.get(e.fid);
      if (w === undefined) continue;
      this.waiting.delete(e.fid);
      clearTimeout(w.timer);
      // A malformed position is ignored, as if the leader had sent none.
      const at = appliedAtOf(e.at);
      if (at === undefined) w.done(e.reply);
      else w.done(e.reply, at);
    }
  }

  /** The peer's outbox, with a flush scheduled for the end of this turn of the event loop. */
  private outbox(to: NodeId): Outbox {
    let box = this.outboxes.get(to);
    if (box === undefined) {
      box = { forwards: [], answers: [] };
      this.outboxes.set(to, box);
    }
    // After this turn, as the peer transport writes its sockets: every request forwarded and
    // every answer given while handling this turn's events shares one message.
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return box;
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.closed) {
      for (const [to, box] of this.outboxes) {
        this.sendBatches(to, '$forward', box.forwards);
        this.sendBatches(to, '$forwarded', box.answers);
      }
    }
    this.outboxes.clear();
  }

  /** Sends encoded elements as batch messages of at most MAX_BATCH / ~MAX_BATCH_CHARS each. */
  private sendBatches(to: NodeId, type: string, items: readonly string[]): void {
    let start = 0;
    let chars = 0;
    for (let i = 0; i <= items.length; i++) {
      const len = i < items.length ? (items[i] as string).length : 0;
      const full = i - start >= MAX_BATCH || (i > start && chars + len > MAX_BATCH_CHARS);
      if (i > start && (i === items.length || full)) {
        const json = `{"type":"${type}","batch":[${items.slice(start, i).join(',')}]}`;
        this.o.send(to, json, type);
        start = i;
        chars = 0;
      }
      chars += len;
    }
  }
}
