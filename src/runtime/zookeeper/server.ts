/**
 * ZooKeeper's client port over TCP: the connect handshake, pings, auth, requests handed to a
 * ZkBackend and answered in request order on each connection, watch notifications, session
 * close and the four-letter words. Bad bytes from one client (garbage, a truncated record, a
 * hostile length) close that client's connection and nothing else.
 */
import type { Server, Socket } from 'node:net';
import type { Json } from '../../core/json.js';
import { ConnectionGate, connectionLimits, type ConnectionLimits } from '../connection-limits.js';
import { listen, type Address } from '../listen.js';
import type { ZkBackend, ZkReply } from './backend.js';
import { ErrCode, OpCode, Xid } from './constants.js';
import { digestIdentity } from './digest-auth.js';
import { fourLetterAnswer, type FrontStats } from './four-letter.js';
import { JuteError, JuteReader, JuteWriter } from './jute.js';
import { DEFAULT_MAX_PACKET, PacketReader, type Packet } from './packets.js';
import {
  readAuthPacket,
  readConnectRequest,
  readRequestHeader,
  writeConnectResponse,
  writeReplyHeader,
  writeWatcherEvent,
  type ConnectRequest,
  type WatcherEvent,
} from './records.js';
import { isServedType, readRequest } from './requests.js';
import { ResultMismatchError, writeResult } from './responses.js';

/**
 * Deliberately broken variants, each caught by test/runtime/zookeeper/server.test.ts:
 * - `no-packet-limit`: a length over the maximum packet size is believed (and buffered for);
 * - `replies-as-ready`: each reply goes out when its backend answers, not in request order;
 * - `serve-zxid-ahead`: a client that has seen a later zxid than this server is served;
 * - `unbounded-queue`: a connection's outstanding requests are not capped at maxQueued;
 * - `no-handshake-timeout`: a connection that never sends its ConnectRequest is kept.
 */
export const ZK_WIRE_MUTANTS = [
  'no-packet-limit',
  'replies-as-ready',
  'serve-zxid-ahead',
  'unbounded-queue',
  'no-handshake-timeout',
] as const;
export type ZkWireMutant = (typeof ZK_WIRE_MUTANTS)[number];

export interface ZkServerOptions {
  readonly backend: ZkBackend;
  /** Defaults to loopback on a free port. */
  readonly listen?: Address;
  /** The largest packet body accepted (bytes); jute.maxbuffer plus headroom by default. */
  readonly maxPacket?: number;
  /**
   * Requests one connection may have awaiting replies before the server stops reading from it
   * (ZooKeeper's globalOutstandingLimit, 1000 by default): a client that pipelines without
   * bound is slowed down, not given unbounded memory.
   */
  readonly maxQueued?: number;
  /**
   * How long a connection may stay open without a ConnectRequest (ZooKeeper's
   * sessionlessCnxnTimeout, 10 s): idle sockets cannot pile up before they hold a session.
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * Caps on open connections per port and per client address, and the idle timeout, as the
   * client and etcd ports have (connection-limits.ts; its defaults when absent). The handshake
   * is timed by `handshakeTimeoutMs` above, not by the gate.
   */
  readonly limits?: ConnectionLimits;
  readonly log?: (message: string, fields: Record<string, Json>) => void;
  readonly mutant?: ZkWireMutant;
}

export class ZkServerOptionsError extends Error {
  readonly code = 'bad-option';
  constructor(message: string) {
    super(message);
    this.name = 'ZkServerOptionsError';
  }
}

function validate(o: ZkServerOptions): void {
  const max = o.maxPacket;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 64 || max > 0x7fffffff)) {
    throw new ZkServerOptionsError(`maxPacket must be an integer in [64, 2^31-1], not ${max}`);
  }
  const q = o.maxQueued;
  if (q !== undefined && (!Number.isSafeInteger(q) || q < 1)) {
    throw new ZkServerOptionsError(`maxQueued must be a positive integer, not ${q}`);
  }
  const h = o.handshakeTimeoutMs;
  if (h !== undefined && (!Number.isSafeInteger(h) || h < 1)) {
    throw new ZkServerOptionsError(`handshakeTimeoutMs must be a positive integer, not ${h}`);
  }
  if (o.mutant !== undefined && !(ZK_WIRE_MUTANTS as readonly string[]).includes(o.mutant)) {
    throw new ZkServerOptionsError(`no ZooKeeper wire mutant '${String(o.mutant)}'`);
  }
}

/** The password of a refused session: ZooKeeper sends 16 zero bytes. */
const NO_PASSWD = Buffer.alloc(16);
/** ZooKeeper's sessionlessCnxnTimeout default. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** ZooKeeper's globalOutstandingLimit default. */
export const DEFAULT_MAX_QUEUED = 1000;
/** ZooKeeper's protocol version in the connect handshake. */
const PROTOCOL_VERSION = 0;

type Phase = 'handshake' | 'connecting' | 'open' | 'closing';

/** A reply waiting for its turn: `bytes` is set once it is ready to go out. */
interface Slot {
  bytes: Buffer | undefined;
  /** Close the connection once this reply is written (closeSession, failed auth). */
  closeAfter: boolean;
}

class Connection {
  phase: Phase = 'handshake';
  sessionId: bigint | undefined;
  readonly reader: PacketReader;
  /**
   * Packets read but not yet handled: those that arrived while the backend was still deciding
   * on the session, or while `maxQueued` replies were outstanding.
   */
  readonly backlog: Buffer[] = [];
  /** closeSession was read: nothing after it is served. */
  sessionClosing = false;
  pumping = false;
  /** The socket is corked until the end of this turn (see `ZkServer.write`). */
  corked = false;
  readonly slots: Slot[] = [];
  received = 0;
  sent = 0;
  detach: (() => void) | undefined;

  constructor(
    readonly socket: Socket,
    maxPacket: number,
  ) {
    this.reader = new PacketReader(maxPacket);
  }

  get remote(): string {
    return `/${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? 0}`;
  }
}

function isClosing(c: Connection): boolean {
  return c.phase === 'closing';
}

export class ZkServer {
  private server: Server | undefined;
  private readonly conns = new Set<Connection>();
  private readonly maxPacket: number;
  private readonly maxQueued: number;
  private received = 0;
  private sent = 0;
  private outstanding = 0;
  private latency = { min: 0, max: 0, total: 0, count: 0 };
  /** Who may connect, and for how long a silent connection stays. */
  readonly gate: ConnectionGate;
  address: Address | undefined;

  constructor(private readonly o: ZkServerOptions) {
    validate(o);
    this.gate = new ConnectionGate('zookeeper', o.limits ?? connectionLimits(), (m, f) =>
      this.log(m, f),
    );
    this.maxPacket = o.maxPacket ?? DEFAULT_MAX_PACKET;
    this.maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  async start(): Promise<Address> {
    const at = this.o.listen ?? { host: '127.0.0.1', port: 0 };
    const { server, address } = await listen(
      at,
      (s) => this.accept(s),
      (e) => this.log('zookeeper listener error', { error: e.message }),
    );
    this.server = server;
    this.address = address;
    return address;
  }

  /** Stops listening and drops every connection (their sessions live on in the backend). */
  async close(): Promise<void> {
    for (const c of this.conns) this.drop(c, 'server closing');
    this.gate.close();
    const s = this.server;
    this.server = undefined;
    if (s !== undefined) await new Promise<void>((r) => s.close(() => r()));
  }

  /** How many client connections are open now. */
  get connectionCount(): number {
    return this.conns.size;
  }

  private log(message: string, fields: Record<string, Json>): void {
    this.o.log?.(message, fields);
  }

  private accept(socket: Socket): void {
    // A refused client just sees its connection close, as with ZooKeeper's maxClientCnxns.
    const admitted = this.gate.admit(socket, {
      busy: () => c.slots.length > 0 || c.backlog.length > 0,
    });
    if (admitted === undefined) return;
    const c = new Connection(
      socket,
      this.o.mutant === 'no-packet-limit' ? 0x7fffffff : this.maxPacket,
    );
    this.conns.add(c);
    socket.setNoDelay(true);
    if (this.o.mutant !== 'no-handshake-timeout') {
      const timer = setTimeout(() => {
        if (c.phase === 'handshake') this.drop(c, 'no handshake');
      }, this.o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    }
    socket.on('data', (chunk: Buffer) => {
      admitted.touch();
      this.onData(c, chunk);
    });
    socket.on('error', () => this.drop(c, 'socket error'));
    socket.on('close', () => this.drop(c, 'closed'));
  }

  private onData(c: Connection, chunk: Buffer): void {
    if (c.phase === 'closing') return;
    let packets: Packet[];
    try {
      packets = c.reader.push(chunk);
    } catch (e) {
      this.refuse(c, e);
      return;
    }
    for (const p of packets) {
      // Handling one packet may close the connection (a refused handshake, a bad record).
      if (isClosing(c)) return;
      c.received++;
      this.received++;
      if (p.kind === 'fourLetter') {
        this.answerFourLetter(c, p.word);
        return;
      }
      if (c.phase === 'handshake') this.onConnect(c, p.body);
      else c.backlog.push(p.body);
    }
    this.pump(c);
  }

  /** Handles backlogged requests while the connection has room, and reads only while it does. */
  private pump(c: Connection): void {
    // A request answered at once (a ping) flushes replies, which pumps again: stay one loop.
    if (c.pumping) return;
    c.pumping = true;
    while (c.phase === 'open' && !c.sessionClosing && c.backlog.length > 0) {
      if (c.slots.length >= this.maxQueued && this.o.mutant !== 'unbounded-queue') break;
      const body = c.backlog.shift();
      if (body !== undefined) this.onRequest(c, body);
    }
    c.pumping = false;
    if (c.phase === 'closing') return;
    if (c.backlog.length > 0) c.socket.pause();
    else c.socket.resume();
  }

  /** Bad bytes: log why (by code) and close this connection only. */
  private refuse(c: Connection, e: unknown): void {
    if (!(e instanceof JuteError)) throw e;
    this.log('zookeeper client sent a malformed packet', {
      code: e.code,
      remote: c.remote,
      detail: e.message,
    });
    this.drop(c, e.code);
  }

  private drop(c: Connection, why: string): void {
    if (!this.conns.has(c)) return;
    this.conns.delete(c);
    c.phase = 'closing';
    c.detach?.();
    c.detach = undefined;
    // What was written this turn goes out first, as it would have without the cork.
    this.uncork(c);
    if (why !== 'closed') c.socket.destroy();
  }

  /**
   * Replies written in one turn of the event loop leave in one socket write (one syscall, one
   * wake-up of the client) rather than one each: a socket read of 64 pipelined requests is
   * answered by one write, not 64. A notification goes out at once, with whatever was written
   * before it: a waiter (a lock's next holder) acts on it, and the rest of a busy turn (a
   * replicated server applying a batch) is not worth its wait.
   */
  private write(c: Connection, bytes: Buffer, now = false): void {
    if (c.socket.destroyed) return;
    if (!c.corked && !now) {
      c.corked = true;
      c.socket.cork();
      process.nextTick(() => this.uncork(c));
    }
    c.socket.write(bytes);
    if (now) this.uncork(c);
    c.sent++;
    this.sent++;
  }

  private uncork(c: Connection): void {
    if (!c.corked) return;
    c.corked = false;
    if (!c.socket.destroyed) c.socket.uncork();
  }

  private answerFourLetter(c: Connection, word: Parameters<typeof fourLetterAnswer>[0]): void {
    c.phase = 'closing';
    c.socket.end(fourLetterAnswer(word, this.frontStats(), this.o.backend.info()));
  }

  private frontStats(): FrontStats {
    const l = this.latency;
    return {
      received: this.received,
      sent: this.sent,
      outstanding: this.outstanding,
      latencyMinMs: l.min,
      latencyAvgMs: l.count === 0 ? 0 : l.total / l.count,
      latencyMaxMs: l.max,
      lastZxid: this.o.backend.lastZxid(),
      connections: [...this.conns].map((c) => ({
        remote: c.remote,
        received: c.received,
        sent: c.sent,
        queued: c.slots.length,
      })),
      readOnly: false,
    };
  }

  private onConnect(c: Connection, body: Buffer): void {
    let req: ConnectRequest;
    try {
      req = readConnectRequest(new JuteReader(body));
    } catch (e) {
      this.refuse(c, e);
      return;
    }
    const last = this.o.backend.lastZxid();
    if (req.lastZxidSeen > last && this.o.mutant !== 'serve-zxid-ahead') {
      // Single system image: this server is behind what the client has already seen, so
      // serving it could show it the past. ZooKeeper closes the connection; the client tries
      // another server.
      this.log('zookeeper client has seen a later zxid; refused', {
        remote: c.remote,
        clientZxid: `0x${req.lastZxidSeen.toString(16)}`,
        serverZxid: `0x${last.toString(16)}`,
      });
      this.drop(c, 'zxid ahead');
      return;
    }
    c.phase = 'connecting';
    this.o.backend.connect(req).then(
      (grant) => {
        if (c.phase === 'closing') return;
        const w = new JuteWriter();
        // An old client sent no readOnly byte and reads none back.
        const readOnly = req.readOnly === undefined ? undefined : (grant?.readOnly ?? false);
        if (grant === undefined) {
          writeConnectResponse(w, {
            protocolVersion: PROTOCOL_VERSION,
            timeOut: 0,
            sessionId: 0n,
            passwd: NO_PASSWD,
            readOnly,
          });
          this.write(c, w.frame());
          c.phase = 'closing';
          c.socket.end();
          return;
        }
        if (!(grant.timeOut > 0)) {
          this.log('zookeeper backend granted a session without a timeout', {
            timeOut: grant.timeOut,
          });
          this.drop(c, 'bad grant');
          return;
        }
        writeConnectResponse(w, {
          protocolVersion: PROTOCOL_VERSION,
          timeOut: grant.timeOut,
          sessionId: grant.sessionId,
          passwd: grant.passwd,
          readOnly,
        });
        this.write(c, w.frame());
        c.sessionId = grant.sessionId;
        c.phase = 'open';
        c.detach = this.o.backend.attach(
          grant.sessionId,
          (e) => this.notify(c, e),
          () => this.drop(c, 'session ended'),
        );
        // As ZooKeeper's connections do, each holds the `ip` identity of its client's address,
        // which ACLs of scheme ip match.
        const address = c.socket.remoteAddress;
        if (address !== undefined)
          this.o.backend.addAuth(grant.sessionId, { scheme: 'ip', id: address });
        this.pump(c);
      },
      (e: unknown) => {
        this.log('zookeeper backend refused to connect a session', { error: String(e) });
        this.drop(c, 'backend connect failed');
      },
    );
  }

  private notify(c: Connection, e: WatcherEvent): void {
    if (c.phase !== 'open') return;
    const w = new JuteWriter();
    writeReplyHeader(w, { xid: Xid.notification, zxid: -1n, err: ErrCode.ok });
    writeWatcherEvent(w, e);
    this.write(c, w.frame(), true);
  }

  private onRequest(c: Connection, body: Buffer): void {
    const sessionId = c.sessionId;
    if (sessionId === undefined) throw new Error('a request on a connection with no session');
    const backend = this.o.backend;
    backend.touch(sessionId);
    const r = new JuteReader(body);
    try {
      const h = readRequestHeader(r);
      if (h.type === OpCode.ping) {
        this.reply(c, this.slot(c), h.xid, h.type, { zxid: backend.lastZxid(), err: 0 });
        return;
      }
      if (h.type === OpCode.auth) {
        const auth = readAuthPacket(r);
        const id = auth.scheme === 'digest' ? digestIdentity(auth.auth) : undefined;
        const slot = this.slot(c);
        if (id === undefined) {
          // ZooKeeper answers a failed auth with AUTHFAILED and then closes the connection.
          slot.closeAfter = true;
          this.reply(c, slot, h.xid, h.type, { zxid: 0n, err: ErrCode.authFailed });
        } else {
          backend.addAuth(sessionId, id);
          this.reply(c, slot, h.xid, h.type, { zxid: 0n, err: ErrCode.ok });
        }
        return;
      }
      if (!isServedType(h.type)) {
        this.reply(c, this.slot(c), h.xid, h.type, {
          zxid: backend.lastZxid(),
          err: ErrCode.unimplemented,
        });
        return;
      }
      const req = readRequest(h.type, r);
      const slot = this.slot(c);
      if (req.type === OpCode.closeSession) {
        slot.closeAfter = true;
        c.sessionClosing = true;
      }
      const began = performance.now();
      this.outstanding++;
      backend.submit(sessionId, req).then(
        (reply) => {
          this.outstanding--;
          this.noteLatency(performance.now() - began);
          try {
            this.reply(c, slot, h.xid, h.type, reply);
          } catch (e) {
            // A backend bug: the client must not get a reply its decoder would misread.
            if (!(e instanceof ResultMismatchError)) throw e;
            this.log('zookeeper backend answered with the wrong result', {
              code: e.code,
              detail: e.message,
            });
            this.drop(c, e.code);
          }
        },
        (e: unknown) => {
          this.outstanding--;
          this.log('zookeeper backend could not serve a request', { error: String(e) });
          this.drop(c, 'backend failed');
        },
      );
    } catch (e) {
      this.refuse(c, e);
    }
  }

  private noteLatency(ms: number): void {
    const l = this.latency;
    const v = Math.round(ms);
    l.min = l.count === 0 ? v : Math.min(l.min, v);
    l.max = Math.max(l.max, v);
    l.total += v;
    l.count++;
  }

  private slot(c: Connection): Slot {
    const s: Slot = { bytes: undefined, closeAfter: false };
    c.slots.push(s);
    return s;
  }

  /** Fills `slot` with the encoded reply and writes every reply now at the head of the line. */
  private reply(c: Connection, slot: Slot, xid: number, type: number, reply: ZkReply): void {
    if (c.phase === 'closing') return;
    const w = new JuteWriter();
    writeReplyHeader(w, { xid, zxid: reply.zxid, err: reply.err });
    if (reply.err === ErrCode.ok && type !== OpCode.ping && type !== OpCode.auth) {
      if (reply.result === undefined) throw new ResultMismatchError(type, 'none');
      writeResult(w, type, reply.result);
    }
    slot.bytes = w.frame();
    if (this.o.mutant === 'replies-as-ready') {
      c.slots.splice(c.slots.indexOf(slot), 1);
      if (this.send(c, slot) && c.backlog.length > 0) this.pump(c);
      return;
    }
    while (c.slots.length > 0 && c.slots[0]?.bytes !== undefined) {
      const head = c.slots.shift();
      if (head === undefined || !this.send(c, head)) return;
    }
    if (c.backlog.length > 0) this.pump(c);
  }

  /** Writes a ready slot; false once the connection is closing after it. */
  private send(c: Connection, s: Slot): boolean {
    if (s.bytes === undefined) throw new Error('sending a reply that is not ready');
    this.write(c, s.bytes);
    if (!s.closeAfter) return true;
    c.phase = 'closing';
    c.detach?.();
    c.detach = undefined;
    c.socket.end();
    return false;
  }
}
