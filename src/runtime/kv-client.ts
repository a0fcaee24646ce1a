/**
 * A client of the client port (newline-delimited JSON; see client-server.ts): one connection
 * per node, pipelined requests, and a KV client that finds the leader. It follows a definite
 * failure's `leader` hint, tries the other nodes when a node refuses or fails definitely, and
 * retries the same (client, seq) after an unknown outcome — safe because systems deduplicate by
 * (client, seq) — until its deadline. What it reports is what a history records: ok, fail (it
 * certainly did not happen) or unknown.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Json } from '../core/json.js';
import type { ClientReply, NodeId } from '../core/node.js';
import type { Address } from './peer-transport.js';

export interface Endpoint extends Address {
  /** The node's id, when known: needed to follow leader hints. */
  readonly id?: NodeId;
}

/** `host:port` → Address; throws a one-line error otherwise. */
export function parseAddress(text: string): Address {
  const m = /^(.*):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || port > 65535) throw new Error(`bad address '${text}': use host:port`);
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** `n1=host:port,n2=host:port` or `host:port,host:port`. */
export function parseEndpoints(text: string): Endpoint[] {
  const out = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return parseAddress(part);
      const id = part.slice(0, eq).trim();
      if (id === '') throw new Error(`bad endpoint '${part}': use id=host:port`);
      return { id, ...parseAddress(part.slice(eq + 1)) };
    });
  if (out.length === 0) throw new Error('no endpoints given');
  return out;
}

export class ConnectionError extends Error {
  /** True when the request certainly never reached the node (the connection was refused). */
  constructor(
    message: string,
    readonly definite: boolean,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

interface Waiter {
  resolve: (v: Record<string, Json>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One NDJSON connection to a node's client port. */
export class ClientConnection {
  private socket: Socket | null = null;
  private connecting: Promise<void> | null = null;
  private readonly waiters = new Map<number, Waiter>();
  private nextRid = 1;
  private buffered = '';

  constructor(readonly address: Address) {}

  private open(): Promise<void> {
    if (this.socket !== null) return Promise.resolve();
    if (this.connecting !== null) return this.connecting;
    this.connecting = new Promise<void>((resolve, reject) => {
      const s = connect({ host: this.address.host, port: this.address.port });
      s.setNoDelay(true);
      s.setEncoding('utf8');
      let connected = false;
      s.once('connect', () => {
        connected = true;
        this.socket = s;
        this.connecting = null;
        resolve();
      });
      s.on('data', (chunk: string) => this.onData(chunk));
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (!connected) {
          this.connecting = null;
          reject(
            new ConnectionError(`cannot connect to ${this.label}: ${e.code ?? e.message}`, true),
          );
        }
      });
      s.on('close', () => {
        if (this.socket === s) this.socket = null;
        this.buffered = '';
        for (const [rid, w] of this.waiters) {
          clearTimeout(w.timer);
          this.waiters.delete(rid);
          w.reject(new ConnectionError(`connection to ${this.label} reset`, false));
        }
      });
    });
    return this.connecting;
  }

  get label(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl = this.buffered.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      nl = this.buffered.indexOf('\n');
      let v: Record<string, Json>;
      try {
        v = JSON.parse(line) as Record<string, Json>;
      } catch {
        continue;
      }
      const w = typeof v.rid === 'number' ? this.waiters.get(v.rid) : undefined;
      if (w === undefined) continue;
      this.waiters.delete(v.rid as number);
      clearTimeout(w.timer);
      w.resolve(v);
    }
  }

  /** Sends one request object (a `rid` is added) and waits for its answer. */
  async call(body: Record<string, Json>, timeoutMs: number): Promise<Record<string, Json>> {
    await this.open();
    const s = this.socket;
    if (s === null) throw new ConnectionError(`connection to ${this.label} reset`, false);
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(rid);
        reject(new ConnectionError(`no answer from ${this.label} within ${timeoutMs} ms`, false));
      }, timeoutMs);
      this.waiters.set(rid, { resolve, reject, timer });
      s.write(JSON.stringify({ ...body, rid }) + '\n');
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** Asks a node for its status; undefined when it does not answer in time. */
export async function fetchStatus(address: Address, timeoutMs = 1000): Promise<Json | undefined> {
  const c = new ClientConnection(address);
  try {
    const r = await c.call({ status: true }, timeoutMs);
    return r.status;
  } catch {
    return undefined;
  } finally {
    c.close();
  }
}

export type KvOutcome =
  | { readonly outcome: 'ok'; readonly value: Json; readonly node: string }
  | { readonly outcome: 'fail'; readonly error: string; readonly node?: string }
  | { readonly outcome: 'unknown'; readonly error: string };

export interface KvClientOptions {
  readonly endpoints: readonly Endpoint[];
  /** Client id sent with every request (default: random). */
  readonly clientId?: string;
  /** How long one attempt waits for an answer. */
  readonly attemptTimeoutMs?: number;
  /** How long one operation may take in all, retries included. */
  readonly deadlineMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KvClient {
  readonly clientId: string;
  private seq = 0;
  private current = 0;
  private readonly conns: ClientConnection[];
  private readonly attemptTimeoutMs: number;
  private readonly deadlineMs: number;

  constructor(private readonly o: KvClientOptions) {
    if (o.endpoints.length === 0) throw new Error('no endpoints given');
    this.clientId = o.clientId ?? `c-${randomBytes(6).toString('hex')}`;
    this.conns = o.endpoints.map((e) => new ClientConnection(e));
    this.attemptTimeoutMs = o.attemptTimeoutMs ?? 1000;
    this.deadlineMs = o.deadlineMs ?? 10_000;
  }

  /** Runs one operation to a definite outcome or the deadline. */
  async call(op: Json): Promise<KvOutcome> {
    const seq = ++this.seq;
    const deadline = Date.now() + this.deadlineMs;
    let mayHaveHappened = false;
    let lastError = 'no node answered';
    let backoff = 20;
    let hops = 0;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const i = this.current;
      const conn = this.conns[i] as ClientConnection;
      const endpoint = this.o.endpoints[i] as Endpoint;
      const node = endpoint.id ?? conn.label;
      let next = (i + 1) % this.conns.length;
      let followHint = false;
      try {
        const r = await conn.call(
          { client: this.clientId, seq, op },
          Math.min(this.attemptTimeoutMs, left),
        );
        if (r.reply === undefined) {
          return { outcome: 'fail', error: String(r.error ?? 'request refused'), node };
        }
        const reply = r.reply as unknown as ClientReply;
        if (reply.ok) return { outcome: 'ok', value: reply.value, node };
        lastError = `${node}: ${reply.error}`;
        if (!reply.definite) mayHaveHappened = true;
        const hinted =
          reply.leader !== undefined
            ? this.o.endpoints.findIndex((e) => e.id === reply.leader)
            : -1;
        if (hinted >= 0 && hinted !== i) {
          next = hinted;
          followHint = true;
        }
      } catch (e) {
        lastError = (e as Error).message;
        if (!(e instanceof ConnectionError) || !e.definite) mayHaveHappened = true;
        conn.close();
      }
      this.current = next;
      if (followHint && hops++ < 2) continue; // a fresh hint is worth trying at once
      hops = 0;
      await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
      backoff = Math.min(backoff * 2, 300);
    }
    return mayHaveHappened
      ? { outcome: 'unknown', error: lastError }
      : { outcome: 'fail', error: lastError };
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}
