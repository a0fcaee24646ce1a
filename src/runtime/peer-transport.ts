/**
 * The peer transport: messages between nodes over TCP, one frame per message (JSON inside a
 * length-prefixed frame). Each node dials every peer once and keeps that connection for what it
 * sends; it only reads from connections peers dialed to it. Every connection is authenticated
 * first (auth.ts). A frame that is malformed, oversized or arrives unauthenticated closes that
 * connection and is logged; the node keeps serving.
 *
 * Sending never blocks: each peer has a bounded queue (oldest messages dropped when full, as a
 * lossy network would), written only while the socket accepts more, so one slow or dead peer
 * never stalls the others. Lost connections are redialed with capped, jittered exponential
 * backoff.
 */
import { connect, type Server, type Socket } from 'node:net';
import { ConnectionGate, peerPortLimits, type ConnectionLimits } from './connection-limits.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js';
import { listen, type Address } from './listen.js';
import type { Json } from '../core/json.js';
import type { Message, NodeId } from '../core/node.js';
import { newNonce, proof, proofMatches, PROTOCOL_VERSION } from './auth.js';
import {
  decodeJsonFrame,
  DEFAULT_MAX_FRAME,
  encodeJsonFrame,
  encodeTextFrame,
  FrameDecoder,
  FrameError,
} from './frames.js';

export type { Address };

export interface PeerTransportOptions {
  readonly id: NodeId;
  readonly listen: Address;
  readonly peers: ReadonlyMap<NodeId, Address>;
  readonly secret: Buffer;
  readonly onMessage: (from: NodeId, msg: Message) => void;
  /**
   * Why a message is malformed, or undefined: one that fails never reaches onMessage; it is
   * logged and its connection closed (the peer reconnects and may do better).
   */
  readonly checkMessage?: (msg: Message) => string | undefined;
  readonly log: (message: string, fields: Record<string, Json>) => void;
  /** Largest frame accepted from an authenticated peer. */
  readonly maxFrame?: number;
  /** Messages queued per peer before the oldest are dropped. */
  readonly maxQueue?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** How long a connection may take to authenticate. */
  readonly handshakeMs?: number;
  /** Caps on inbound connections (default: peerPortLimits(peers)); idle and handshake unused. */
  readonly limits?: ConnectionLimits;
}

/** Frames before authentication are tiny; nothing larger is read from a stranger. */
const HANDSHAKE_MAX_FRAME = 4096;

export interface TransportStats {
  sent: number;
  received: number;
  /** Messages dropped from a full queue. */
  dropped: number;
  /** Inbound connections closed for bad auth, malformed or oversized frames, or timeouts. */
  rejected: number;
  connects: number;
  /** Socket writes (each carries every message queued for that peer at the time). */
  writes: number;
}

function isMessage(v: unknown): v is Message {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as { type?: unknown }).type === 'string'
  );
}

class PeerLink {
  socket: Socket | null = null;
  ready = false;
  queue: Buffer[] = [];
  head = 0;
  attempt = 0;
  retry: NodeJS.Timeout | null = null;
  blocked = false;
  /** A flush is scheduled for the end of this turn of the event loop. */
  scheduled = false;

  constructor(
    readonly peer: NodeId,
    readonly address: Address,
  ) {}

  get length(): number {
    return this.queue.length - this.head;
  }
}

export class PeerTransport {
  readonly stats: TransportStats = {
    sent: 0,
    received: 0,
    dropped: 0,
    rejected: 0,
    connects: 0,
    writes: 0,
  };
  private server: Server | null = null;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private closed = false;
  private readonly maxFrame: number;
  private readonly maxQueue: number;
  private readonly backoffMin: number;
  private readonly backoffMax: number;
  private readonly handshakeMs: number;
  readonly gate: ConnectionGate;

  constructor(private readonly o: PeerTransportOptions) {
    this.maxFrame = o.maxFrame ?? DEFAULT_MAX_FRAME;
    this.maxQueue = o.maxQueue ?? 10_000;
    this.backoffMin = o.backoffMinMs ?? 50;
    this.backoffMax = o.backoffMaxMs ?? 2000;
    this.handshakeMs = o.handshakeMs ?? 3000;
    for (const [peer, address] of o.peers) this.links.set(peer, new PeerLink(peer, address));
    this.gate = new ConnectionGate('peer', o.limits ?? peerPortLimits(o.peers.size), o.log, false);
  }

  /** Starts listening and dialing every peer. Resolves with the bound address. */
  async start(): Promise<Address> {
    const { server, address } = await listen(
      this.o.listen,
      (s) => this.accept(s),
      (e) => this.o.log('peer listener error', { error: e.message }),
    );
    this.server = server;
    for (const link of this.links.values()) this.dial(link);
    return address;
  }

  /**
   * Queues a message for a peer. It is encoded now, which is the sender's snapshot of it: a
   * later mutation of `msg` cannot change what is sent (RuntimeEnv relies on this rather than
   * copying every message first).
   */
  send(to: NodeId, msg: Message): void {
    if (this.closed) return;
    this.sendJson(to, JSON.stringify(msg), msg.type);
  }

  /** Queues a message already encoded as JSON text (an object with a string `type`). */
  sendJson(to: NodeId, json: string, type = '?'): void {
    if (this.closed) return;
    const link = this.links.get(to);
    if (link === undefined) {
      this.o.log('message to an unknown node dropped', { to, type });
      return;
    }
    const frame = encodeTextFrame(json);
    // The peer would close the connection on it (and everything queued behind it would be
    // lost with the connection, again on every retry): it is dropped here instead, loudly.
    if (frame.length - 4 > this.maxFrame) {
      this.stats.dropped++;
      this.o.log('message over the frame limit dropped', {
        to,
        type,
        bytes: frame.length - 4,
        limit: this.maxFrame,
      });
      return;
    }
    // A writable link never drops: a full queue is written now rather than at the turn's end.
    if (link.length >= this.maxQueue) this.flush(link);
    link.queue.push(frame);
    if (link.length > this.maxQueue) {
      link.head++;
      this.stats.dropped++;
    }
    if (link.head > 1024 && link.head * 2 > link.queue.length) {
      link.queue = link.queue.slice(link.head);
      link.head = 0;
    }
    // Written after this turn of the event loop, so that every message sent to this peer while
    // handling it goes out in one socket write (one syscall) rather than one write each.
    if (!link.scheduled) {
      link.scheduled = true;
      setImmediate(() => {
        link.scheduled = false;
        this.flush(link);
      });
    }
  }

  /** Messages waiting per peer (for status). */
  queued(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [p, l] of this.links) out[p] = l.length;
    return out;
  }

  close(): void {
    this.closed = true;
    this.server?.close();
    for (const link of this.links.values()) {
      if (link.retry) clearTimeout(link.retry);
      link.socket?.destroy();
    }
    this.gate.close();
    for (const s of this.inbound) s.destroy();
  }

  // ---- outbound ---------------------------------------------------------------------------

  private dial(link: PeerLink): void {
    if (this.closed) return;
    link.retry = null;
    const socket = connect({ host: link.address.host, port: link.address.port });
    socket.setNoDelay(true);
    link.socket = socket;
    link.ready = false;
    link.blocked = false;
    const nonce = newNonce();
    const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME);
    const timer = setTimeout(
      () => socket.destroy(new Error('handshake timed out')),
      this.handshakeMs,
    );
    socket.on('connect', () => {
      socket.write(
        encodeJsonFrame({ t: 'hello', v: PROTOCOL_VERSION, from: this.o.id, to: link.peer, nonce }),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (link.ready) return; // the acceptor sends nothing after its challenge
      try {
        for (const frame of decoder.push(chunk)) {
          const c = decodeJsonFrame(frame) as { t?: unknown; nonce?: unknown; proof?: unknown };
          if (c?.t !== 'challenge' || typeof c.nonce !== 'string' || c.nonce.length > 64) {
            throw new FrameError('expected a challenge');
          }
          const expect = proof(this.o.secret, 'acceptor', this.o.id, link.peer, nonce, c.nonce);
          if (!proofMatches(expect, c.proof))
            throw new FrameError('peer failed to prove the cluster secret');
          const mine = proof(this.o.secret, 'dialer', this.o.id, link.peer, nonce, c.nonce);
          socket.write(encodeJsonFrame({ t: 'auth', proof: mine }));
          clearTimeout(timer);
          link.ready = true;
          link.attempt = 0;
          this.stats.connects++;
          this.o.log('peer connected', { peer: link.peer });
          this.flush(link);
          return;
        }
      } catch (e) {
        this.o.log('peer handshake failed', { peer: link.peer, error: (e as Error).message });
        socket.destroy();
      }
    });
    socket.on('drain', () => {
      link.blocked = false;
      this.flush(link);
    });
    socket.on('error', () => {}); // 'close' follows; refusals are routine while peers are down
    socket.on('close', () => {
      clearTimeout(timer);
      if (link.socket === socket) {
        if (link.ready) this.o.log('peer connection lost', { peer: link.peer });
        link.socket = null;
        link.ready = false;
        this.scheduleDial(link);
      }
    });
  }

  private scheduleDial(link: PeerLink): void {
    if (this.closed || link.retry !== null) return;
    const base = Math.min(this.backoffMax, this.backoffMin * 2 ** Math.min(link.attempt, 16));
    link.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    link.retry = setTimeout(() => this.dial(link), delay);
  }

  private flush(link: PeerLink): void {
    const s = link.socket;
    if (!link.ready || s === null || link.blocked || link.length === 0) return;
    // Everything queued goes out as one write: the socket takes it all (it buffers what the
    // kernel does not accept yet), and 'drain' says when to send more.
    const frames = link.head === 0 ? link.queue : link.queue.slice(link.head);
    this.stats.sent += frames.length;
    link.queue = [];
    link.head = 0;
    this.stats.writes++;
    if (!s.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames))) {
      link.blocked = true;
    }
  }

  // ---- inbound ----------------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    // Caps only: the handshake below has its own timeout, and peers are never idle-closed.
    if (this.gate.admit(socket, {}) === undefined) return;
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME);
    let stage: 'hello' | 'auth' | 'ready' = 'hello';
    let from: NodeId = '';
    let dialerNonce = '';
    const myNonce = newNonce();
    const reject = (why: string): void => {
      this.stats.rejected++;
      this.o.log('peer connection rejected', {
        remote,
        stage,
        error: why,
        ...(from ? { from } : {}),
      });
      socket.destroy();
    };
    const timer = setTimeout(() => reject('handshake timed out'), this.handshakeMs);
    socket.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      decoder.feed(chunk);
      for (;;) {
        let frame: Buffer | undefined;
        try {
          frame = decoder.next();
        } catch (e) {
          return reject((e as Error).message);
        }
        if (frame === undefined) return;
        let v: unknown;
        try {
          v = decodeJsonFrame(frame);
        } catch (e) {
          return reject((e as Error).message);
        }
        if (stage === 'ready') {
          if (!isMessage(v)) return reject('malformed message (not an object with a string type)');
          // The node re-encodes what it keeps (WAL, forwards): too deep would overflow the stack.
          if (nestedDeeperThan(v, MAX_JSON_DEPTH))
            return reject(`nested deeper than ${MAX_JSON_DEPTH}`);
          const problem = this.o.checkMessage?.(v);
          if (problem !== undefined) return reject(`malformed ${v.type} message: ${problem}`);
          this.stats.received++;
          this.o.onMessage(from, v);
          if (socket.destroyed) return;
          continue;
        }
        const h = v as {
          t?: unknown;
          v?: unknown;
          from?: unknown;
          to?: unknown;
          nonce?: unknown;
          proof?: unknown;
        };
        if (stage === 'hello') {
          if (typeof h !== 'object' || h === null || h.t !== 'hello')
            return reject('expected hello');
          if (h.v !== PROTOCOL_VERSION)
            return reject(`unsupported protocol version ${String(h.v)}`);
          if (typeof h.from !== 'string' || !this.links.has(h.from)) {
            return reject(`hello from unknown node ${JSON.stringify(h.from)}`);
          }
          if (h.to !== this.o.id) return reject(`hello addressed to ${JSON.stringify(h.to)}`);
          if (typeof h.nonce !== 'string' || h.nonce.length < 16 || h.nonce.length > 64) {
            return reject('bad nonce');
          }
          from = h.from;
          dialerNonce = h.nonce;
          const p = proof(this.o.secret, 'acceptor', from, this.o.id, dialerNonce, myNonce);
          socket.write(encodeJsonFrame({ t: 'challenge', nonce: myNonce, proof: p }));
          stage = 'auth';
        } else {
          const expect = proof(this.o.secret, 'dialer', from, this.o.id, dialerNonce, myNonce);
          if (
            typeof h !== 'object' ||
            h === null ||
            h.t !== 'auth' ||
            !proofMatches(expect, h.proof)
          ) {
            return reject('authentication failed');
          }
          clearTimeout(timer);
          stage = 'ready';
          decoder.limit = this.maxFrame; // from now on frames carry messages
          // The peer is evidently up: redial it now rather than when the backoff says.
          const link = this.links.get(from);
          if (link !== undefined && link.retry !== null) {
            clearTimeout(link.retry);
            link.attempt = 0;
            this.dial(link);
          }
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      this.inbound.delete(socket);
    });
  }
}
