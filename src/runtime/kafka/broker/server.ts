/**
 * Kafka's client port: a TCP listener whose connections are cut into requests by RequestStream
 * and served by handlers.ts against a KafkaBackend. As Kafka's SocketServer does, a connection's
 * requests are answered in order, while different connections proceed concurrently; by default
 * they are also handled one at a time (the next is not started until the previous one's
 * response is written). With `maxInFlight` > 1 up to that many of a connection's requests are
 * handled at once — started in arrival order, so a backend that acts on a request before its
 * first wait (the replicated broker appends a produce there) acts in that order — and their
 * responses are still written in arrival order; kafkajs pipelines its sends on one connection
 * per broker, and one at a time an acks=all produce's replication round would bound them all. A
 * client that pipelines more than `maxQueued` requests is not read from until it falls below.
 * A produce with acks=0 gets no response. Bytes that do not parse, or an API or version we do
 * not speak, close that connection only, with one log line. Connection caps, the handshake
 * (first request) timeout and the idle timeout are the shared ConnectionGate's.
 */
import type { Server, Socket } from 'node:net';
import type { Json } from '../../../core/json.js';
import {
  ConnectionGate,
  connectionLimits,
  type ConnectionLimits,
} from '../../connection-limits.js';
import { listen, type Address } from '../../listen.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../frame.js';
import { RequestStream, type StreamEvent } from '../request-stream.js';
import type { KafkaBackend } from './backend.js';
import { handle, type Outcome } from './handlers.js';

/** Kafka's queued.max.requests is 500 for the whole broker; one connection gets this many. */
export const DEFAULT_MAX_QUEUED = 100;
/** How long close() lets requests in progress finish before dropping their connections. */
export const DEFAULT_DRAIN_MS = 2000;

/** Each removes one rule of the port; test/runtime/kafka/broker/port.test.ts catches each. */
export const KAFKA_PORT_MUTANTS = [
  /** Requests of a connection are answered as each finishes, not in order. */
  'replies-as-ready',
  /** A connection is read from however many requests it has queued. */
  'unbounded-queue',
] as const;
export type KafkaPortMutant = (typeof KAFKA_PORT_MUTANTS)[number];

export interface KafkaPortOptions {
  readonly backend: KafkaBackend;
  /** Defaults to loopback on a free port. */
  readonly listen?: Address;
  /** socket.request.max.bytes (Kafka: 100 MiB). */
  readonly maxFrameBytes?: number;
  readonly maxQueued?: number;
  /** Requests of one connection handled at once (default 1, as Kafka). */
  readonly maxInFlight?: number;
  readonly limits?: ConnectionLimits;
  readonly log?: (message: string, fields: Record<string, Json>) => void;
  readonly mutant?: KafkaPortMutant;
}

export class KafkaPortOptionsError extends Error {
  readonly code = 'bad-option';
  constructor(message: string) {
    super(message);
    this.name = 'KafkaPortOptionsError';
  }
}

type Request = Exclude<StreamEvent, { kind: 'close' }>;
/** What handling a request came to: its outcome, or a failure that drops the connection. */
type Handled = Outcome | 'failed';

class Connection {
  readonly stream: RequestStream;
  readonly queue: Request[] = [];
  /** Requests being handled or answered, in arrival order: responses are written in it. */
  readonly handling: Promise<Handled>[] = [];
  /** Requests received and not yet answered (the one in progress included). */
  outstanding = 0;
  running = false;
  handshook = false;
  done: Promise<void> = Promise.resolve();
  constructor(
    readonly socket: Socket,
    maxFrameBytes: number,
  ) {
    this.stream = new RequestStream(maxFrameBytes);
  }
}

export class KafkaPort {
  private server: Server | undefined;
  private readonly conns = new Set<Connection>();
  private readonly maxQueued: number;
  private readonly maxInFlight: number;
  private readonly maxFrameBytes: number;
  private closing = false;
  readonly gate: ConnectionGate;
  /** Requests read, requests served, connections closed for what they sent (tests, status). */
  readonly stats = { received: 0, requests: 0, refusedConnections: 0 };
  address: Address | undefined;

  constructor(private readonly o: KafkaPortOptions) {
    const q = o.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isSafeInteger(q) || q < 1)
      throw new KafkaPortOptionsError(`maxQueued must be a positive integer, got ${q}`);
    const inFlight = o.maxInFlight ?? 1;
    if (!Number.isSafeInteger(inFlight) || inFlight < 1)
      throw new KafkaPortOptionsError(`maxInFlight must be a positive integer, got ${inFlight}`);
    const f = o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(f) || f < 8)
      throw new KafkaPortOptionsError(`maxFrameBytes must be an integer >= 8, got ${f}`);
    if (o.mutant !== undefined && !KAFKA_PORT_MUTANTS.includes(o.mutant)) {
      throw new KafkaPortOptionsError(`unknown kafka port mutant ${String(o.mutant)}`);
    }
    this.maxQueued = q;
    this.maxInFlight = inFlight;
    this.maxFrameBytes = f;
    this.gate = new ConnectionGate('kafka', o.limits ?? connectionLimits(), (m, fields) =>
      this.log(m, fields),
    );
  }

  async start(): Promise<Address> {
    const at = this.o.listen ?? { host: '127.0.0.1', port: 0 };
    const { server, address } = await listen(
      at,
      (s) => this.accept(s),
      (e) => this.log('kafka listener error', { error: e.message }),
    );
    this.server = server;
    this.address = address;
    this.o.backend.advertise(address);
    return address;
  }

  /**
   * Stops listening and reading; long polls are answered at once (the backend's quiesce) and
   * requests in progress get up to `drainMs` to be answered, then every connection is dropped.
   * The backend is the caller's to close.
   */
  async close(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    this.closing = true;
    const s = this.server;
    this.server = undefined;
    const stopped =
      s === undefined ? Promise.resolve() : new Promise<void>((r) => s.close(() => r()));
    for (const c of this.conns) c.socket.pause();
    this.o.backend.quiesce();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.conns].map((c) => c.done)),
      new Promise<void>((r) => (timer = setTimeout(r, drainMs))),
    ]);
    clearTimeout(timer);
    this.gate.close();
    await stopped;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  private log(message: string, fields: Record<string, Json>): void {
    this.o.log?.(message, fields);
  }

  private accept(socket: Socket): void {
    const admitted = this.gate.admit(socket, {
      handshook: () => c.handshook,
      busy: () => c.outstanding > 0,
    });
    if (admitted === undefined) return;
    const c = new Connection(socket, this.maxFrameBytes);
    this.conns.add(c);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      admitted.touch();
      this.onData(c, chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.conns.delete(c));
  }

  private onData(c: Connection, chunk: Buffer): void {
    if (this.closing || c.socket.destroyed) return;
    for (const ev of c.stream.push(chunk)) {
      if (ev.kind === 'close') {
        this.stats.refusedConnections++;
        this.log('kafka connection closed: request refused', {
          remote: `${c.socket.remoteAddress ?? '?'}:${c.socket.remotePort ?? '?'}`,
          reason: ev.reason,
          detail: ev.detail,
        });
        c.socket.destroy();
        return;
      }
      c.handshook = true;
      c.outstanding++;
      this.stats.received++;
      if (this.o.mutant === 'replies-as-ready') {
        c.done = Promise.all([c.done, this.serve(c, ev)]).then(() => undefined);
      } else {
        c.queue.push(ev);
      }
    }
    if (c.outstanding >= this.maxQueued && this.o.mutant !== 'unbounded-queue') c.socket.pause();
    this.pump(c);
  }

  /** Starts queued requests, in arrival order, while fewer than `maxInFlight` are handled. */
  private fill(c: Connection): void {
    while (c.handling.length < this.maxInFlight && !c.socket.destroyed) {
      const next = c.queue.shift();
      if (next === undefined) return;
      c.handling.push(this.handleOne(c, next));
    }
  }

  /** Answers a connection's requests in arrival order, starting more as room frees up. */
  private pump(c: Connection): void {
    this.fill(c);
    if (c.running) return;
    c.running = true;
    c.done = (async () => {
      // The head stays in `handling` until its response is written: it counts as in flight.
      for (let head = c.handling[0]; head !== undefined; head = c.handling[0]) {
        const frame = await head;
        c.handling.shift();
        this.emit(c, frame);
        if (c.socket.destroyed) break;
        this.fill(c);
      }
      c.running = false;
    })();
  }

  private async serve(c: Connection, ev: Request): Promise<void> {
    this.emit(c, await this.handleOne(c, ev));
  }

  private async handleOne(c: Connection, ev: Request): Promise<Handled> {
    try {
      return ev.kind === 'answer'
        ? ev.frame
        : await handle(this.o.backend, ev, c.socket.remoteAddress ?? '');
    } catch (e) {
      // A bug or a failed disk, not the client's doing: the connection is dropped (when its
      // turn to answer comes), the broker goes on.
      this.log('kafka request failed', {
        api: ev.header.apiKey,
        version: ev.header.apiVersion,
        error: e instanceof Error ? e.message : String(e),
      });
      return 'failed';
    } finally {
      c.outstanding--;
    }
  }

  private emit(c: Connection, frame: Handled): void {
    if (frame === 'failed') {
      c.socket.destroy();
      return;
    }
    this.stats.requests++;
    if (frame === 'close') {
      this.log('kafka connection closed: an acks=0 produce failed', {
        remote: `${c.socket.remoteAddress ?? '?'}:${c.socket.remotePort ?? '?'}`,
      });
      c.socket.destroy();
      return;
    }
    if (frame !== null && !c.socket.destroyed) c.socket.write(frame);
    if (c.outstanding < this.maxQueued && c.socket.isPaused() && !this.closing) c.socket.resume();
  }
}
