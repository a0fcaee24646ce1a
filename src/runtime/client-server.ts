/**
 * The client port: newline-delimited JSON over TCP (see docs/runtime.md).
 *
 *   → {"rid": R, "client": "c1", "seq": 1, "op": {...}}   a client request
 *   ← {"rid": R, "reply": ClientReply}
 *   → {"rid": R, "status": true}                           what this node is doing
 *   ← {"rid": R, "status": {...}}
 *   ← {"rid": R|null, "error": "..."}                      a line that was not understood
 *
 * `rid` is the client's own tag (any JSON), echoed so replies can arrive out of order. A client
 * may pipeline. A connection that closes abandons its requests: replies to them are dropped,
 * as the simulator drops replies to a client that is gone. A line over the size limit closes
 * the connection, as does leaving more than 16 MiB of replies unread; more than 10 000 requests
 * waiting on one connection are refused with a definite failure. Connections are admitted,
 * timed out and counted by a ConnectionGate (connection-limits.ts): a client refused for the
 * port's or its address's cap gets one error line before the connection closes.
 */
import type { Server, Socket } from 'node:net';
import type { Json } from '../core/json.js';
import type { ClientReply, ClientRequest, RequestId } from '../core/node.js';
import { ConnectionGate, connectionLimits, type ConnectionLimits } from './connection-limits.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js';
import { listen, type Address } from './listen.js';

export interface ClientServerOptions {
  readonly listen: Address;
  readonly onRequest: (request: ClientRequest) => void;
  /** Request ids, when the node shares its id space with other submitters. */
  readonly allocateId?: () => RequestId;
  readonly status: () => Json;
  readonly log: (message: string, fields: Record<string, Json>) => void;
  readonly maxLine?: number;
  /** Caps and timeouts of this port (default: DEFAULT_LIMITS). */
  readonly limits?: ConnectionLimits;
}

interface Pending {
  readonly socket: Socket;
  readonly rid: Json;
}

export const DEFAULT_MAX_LINE = 1024 * 1024;
/** Requests one connection may have waiting; more are refused (definitely) until some finish. */
export const MAX_IN_FLIGHT = 10_000;
/** Replies buffered for a client that does not read before its connection is dropped. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

export class ClientServer {
  private server: Server | null = null;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly sockets = new Map<Socket, Set<RequestId>>();
  private nextId = 1;
  private readonly maxLine: number;
  readonly gate: ConnectionGate;
  requests = 0;

  constructor(private readonly o: ClientServerOptions) {
    this.maxLine = o.maxLine ?? DEFAULT_MAX_LINE;
    this.gate = new ConnectionGate('client', o.limits ?? connectionLimits(), o.log);
  }

  async start(): Promise<Address> {
    const { server, address } = await listen(
      this.o.listen,
      (s) => this.accept(s),
      (e) => this.o.log('client listener error', { error: e.message }),
    );
    this.server = server;
    return address;
  }

  /** Answers a request; ignored when it was answered already or its client is gone. */
  reply(id: RequestId, reply: ClientReply): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    this.sockets.get(p.socket)?.delete(id);
    this.write(p.socket, { rid: p.rid, reply: reply as unknown as Json });
  }

  close(): void {
    this.server?.close();
    this.gate.close();
    for (const s of this.sockets.keys()) s.destroy();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private write(socket: Socket, value: Json): void {
    if (socket.destroyed || !socket.writable) return;
    socket.write(JSON.stringify(value) + '\n');
    if (socket.writableLength > MAX_UNREAD_BYTES) {
      this.o.log('client does not read its replies; connection closed', {
        remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      });
      socket.destroy();
    }
  }

  private accept(socket: Socket): void {
    const mine = new Set<RequestId>();
    // Said who it is: sent one whole line (a request or a status query).
    let spoke = false;
    const admitted = this.gate.admit(socket, {
      handshook: () => spoke,
      busy: () => mine.size > 0,
      refuse: (s, reason) =>
        s.write(
          JSON.stringify({
            rid: null,
            error:
              reason === 'port-full'
                ? 'too many connections to this port'
                : 'too many connections from your address',
          }) + '\n',
        ),
    });
    if (admitted === undefined) return;
    this.sockets.set(socket, mine);
    socket.setNoDelay(true);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      admitted.touch();
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      if (nl >= 0) spoke = true;
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') this.handleLine(socket, mine, line);
        if (socket.destroyed) return;
        nl = buffered.indexOf('\n');
      }
      if (buffered.length > this.maxLine) {
        this.o.log('client line too long; connection closed', {
          remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
          bytes: buffered.length,
        });
        this.write(socket, { rid: null, error: `line longer than ${this.maxLine} bytes` });
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const id of mine) this.pending.delete(id);
      this.sockets.delete(socket);
    });
  }

  private handleLine(socket: Socket, mine: Set<RequestId>, line: string): void {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return this.write(socket, { rid: null, error: 'not JSON' });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      return this.write(socket, { rid: null, error: 'expected a JSON object' });
    }
    // Echoing the rid, or logging the op, would overflow the stack and kill the node.
    if (nestedDeeperThan(v, MAX_JSON_DEPTH)) {
      return this.write(socket, { rid: null, error: `nested deeper than ${MAX_JSON_DEPTH}` });
    }
    const o = v as Record<string, Json>;
    const rid = o.rid ?? null;
    if (o.status === true) return this.write(socket, { rid, status: this.o.status() });
    if (typeof o.client !== 'string' || o.client === '' || o.client.length > 256) {
      return this.write(socket, { rid, error: 'client must be a non-empty string (at most 256)' });
    }
    if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0) {
      return this.write(socket, { rid, error: 'seq must be a whole number ≥ 0' });
    }
    if (o.op === undefined) return this.write(socket, { rid, error: 'missing op' });
    if (mine.size >= MAX_IN_FLIGHT) {
      const reply = { ok: false, error: 'too many requests in flight', definite: true };
      return this.write(socket, { rid, reply });
    }
    const id = this.o.allocateId?.() ?? this.nextId++;
    this.pending.set(id, { socket, rid });
    mine.add(id);
    this.requests++;
    this.o.onRequest({ id, client: o.client, seq: o.seq, op: o.op });
  }
}
