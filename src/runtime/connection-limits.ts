/**
 * Connection limits for the ports a node listens on (client, etcd, peer): a cap on open
 * connections per port and per remote address, a handshake (half-open) timeout, an idle timeout,
 * and a bound on connections whose own side has finished (a GOAWAY or a FIN sent) but whose
 * client never closes. Refusals and timeouts are counted and logged, at most one line per
 * interval per port, so a flood cannot fill the log. See docs/runtime.md ("Connection limits").
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Json } from '../core/json.js';

/** The policy of one port. */
export interface ConnectionLimits {
  /** Open connections on the port; more are refused. */
  readonly maxConnections: number;
  /** Open connections from one remote address; more are refused. */
  readonly maxPerAddress: number;
  /** A connection with nothing in flight that receives nothing this long is closed; 0: never. */
  readonly idleMs: number;
  /** A connection that has not said who it is (its first request, its preface) this soon is closed. */
  readonly handshakeMs: number;
  /**
   * HTTP/2 streams one connection may have open at once (the etcd port's
   * SETTINGS_MAX_CONCURRENT_STREAMS); a client that opens more has them refused.
   */
  readonly maxStreams: number;
  /** A deliberately broken gate, one rule removed (GATE_MUTANTS), for tests; never from flags. */
  readonly mutant?: GateMutant;
}

/** Each removes one rule of the gate; a test in test/runtime/connection-limits.test.ts catches each. */
export const GATE_MUTANTS = [
  'no-port-cap',
  'no-address-cap',
  'no-handshake-timeout',
  'no-idle-timeout',
  'idle-ignores-busy',
  'no-close-grace',
  'log-every-event',
  'no-stream-cap',
] as const;
export type GateMutant = (typeof GATE_MUTANTS)[number];

/**
 * Defaults for the client and etcd ports. 400 + 400 connections stay under a 1024 file
 * descriptor limit with room for the log, the peers and the listeners; 100 per address keeps
 * one host from taking a port; five idle minutes and ten silent seconds (a real client sends its
 * first request, or its HTTP/2 preface, as soon as it connects).
 *
 * 100 streams per connection: the floor RFC 9113 §6.5.2 recommends for
 * SETTINGS_MAX_CONCURRENT_STREAMS. etcd leaves it unbounded (math.MaxUint32, its
 * `--max-concurrent-streams` default), so one connection could hold any number of streams, each
 * with its buffers; here 400 connections hold at most 40,000. Real clients lose nothing: gRPC
 * clients queue calls past the peer's limit instead of failing them, and etcd's clients
 * multiplex every watch on one stream.
 */
export const DEFAULT_LIMITS: ConnectionLimits = {
  maxConnections: 400,
  maxPerAddress: 100,
  idleMs: 300_000,
  handshakeMs: 10_000,
  maxStreams: 100,
};

/** How long a connection whose own side has ended may wait for its client to close. */
export const CLOSE_GRACE_MS = 1000;
/** At most one log line per port per this interval about refusals and timeouts. */
export const LOG_INTERVAL_MS = 10_000;
/** The HTTP/2 client connection preface's length (RFC 9113 §3.4). */
export const HTTP2_PREFACE_BYTES = 24;

export type LimitsErrorCode = 'not-an-integer' | 'out-of-range' | 'per-address-above-per-port';

/** A policy that cannot work; the CLI turns it into a usage error. */
export class ConnectionLimitsError extends Error {
  constructor(
    readonly code: LimitsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectionLimitsError';
  }
}

const MAX_COUNT = 1_000_000;
/** SETTINGS_MAX_CONCURRENT_STREAMS is 31 bits wide in practice (stream ids are). */
const MAX_STREAMS = 2 ** 31 - 1;
/** A day: longer timers are a typo (and setTimeout overflows past 2^31 ms). */
const MAX_MS = 86_400_000;

function whole(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v)) {
    throw new ConnectionLimitsError('not-an-integer', `${name} must be a whole number (got ${v})`);
  }
  if (v < min || v > max) {
    throw new ConnectionLimitsError('out-of-range', `${name} must be ${min}..${max} (got ${v})`);
  }
}

/** The defaults overridden by `given`, checked; throws ConnectionLimitsError. */
export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const l = { ...DEFAULT_LIMITS, ...given };
  whole('max connections', l.maxConnections, 1, MAX_COUNT);
  whole('max connections per address', l.maxPerAddress, 1, MAX_COUNT);
  whole('idle timeout (ms)', l.idleMs, 0, MAX_MS);
  whole('handshake timeout (ms)', l.handshakeMs, 1, MAX_MS);
  whole('max streams per connection', l.maxStreams, 1, MAX_STREAMS);
  if (l.mutant !== undefined && !(GATE_MUTANTS as readonly string[]).includes(l.mutant)) {
    throw new ConnectionLimitsError('out-of-range', `no gate mutant '${String(l.mutant)}'`);
  }
  if (l.maxPerAddress > l.maxConnections) {
    throw new ConnectionLimitsError(
      'per-address-above-per-port',
      `max connections per address (${l.maxPerAddress}) exceeds max connections (${l.maxConnections})`,
    );
  }
  return l;
}

/**
 * `given` as the flags of `truthkit node` (src/cli/limit-options.ts), for the node processes a
 * local cluster starts; test/cli/limit-options.test.ts parses them back to `given`.
 */
export function limitsAsNodeFlags(given: Partial<ConnectionLimits>): string[] {
  const flags: string[] = [];
  const add = (flag: string, v: number | undefined): void => {
    if (v !== undefined) flags.push(flag, String(v));
  };
  add('--max-connections', given.maxConnections);
  add('--max-connections-per-address', given.maxPerAddress);
  add('--idle-timeout', given.idleMs);
  add('--handshake-timeout', given.handshakeMs);
  add('--max-streams', given.maxStreams);
  return flags;
}

/**
 * The peer port's caps: a peer holds one inbound connection (two while it replaces a lost one),
 * and peers of a local cluster all come from 127.0.0.1, so both caps grow with the peer count.
 * Strangers never authenticate and are cut by the transport's own handshake timeout.
 */
export function peerPortLimits(peers: number): ConnectionLimits {
  return connectionLimits({
    maxConnections: 32 + 4 * peers,
    maxPerAddress: 8 + 2 * peers,
    // Peers may be quiet for long (a 2PC coordinator with no transactions): never idle.
    idleMs: 0,
  });
}

export type CloseReason = 'port-full' | 'address-full' | 'handshake' | 'idle' | 'never-closed';

export interface GateStats {
  open: number;
  accepted: number;
  /** Refused at accept: the port's cap, one address's cap. */
  refusedPort: number;
  refusedAddress: number;
  /** Closed by the gate: silent past the handshake timeout, idle, ended but never closed. */
  closedHandshake: number;
  closedIdle: number;
  closedNeverClosed: number;
}

/** What the gate asks of a connection's owner. */
export interface Admission {
  /**
   * Whether the connection has said who it is, checked when the handshake timeout fires; when
   * absent the owner times the handshake itself (the peer transport does, and logs why).
   */
  readonly handshook?: () => boolean;
  /** Whether the connection has work in flight (then it is not idle). */
  readonly busy?: () => boolean;
  /** Called just before a refused socket is closed, e.g. to tell the client why. */
  readonly refuse?: (socket: Socket, reason: 'port-full' | 'address-full') => void;
}

/** An admitted connection: its owner calls touch() whenever it receives something. */
export interface Admitted {
  touch(): void;
}

/** The address without IPv4-mapped IPv6's prefix, so one host counts once. */
export function addressKey(socket: Socket): string {
  const a = socket.remoteAddress ?? '?';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * Admits or refuses the connections of one port and closes those that outlive the policy. The
 * gate only counts and closes; the owner decides what "handshook", "busy" and "received" mean.
 */
export class ConnectionGate {
  readonly stats: GateStats = {
    open: 0,
    accepted: 0,
    refusedPort: 0,
    refusedAddress: 0,
    closedHandshake: 0,
    closedIdle: 0,
    closedNeverClosed: 0,
  };
  private readonly perAddress = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  /** Events not yet logged, by reason. */
  private unlogged: { [R in CloseReason]?: number } = {};
  private lastLog = -Infinity;
  private logTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly port: string,
    readonly limits: ConnectionLimits,
    private readonly log: (message: string, fields: Record<string, Json>) => void,
    /** The gate enforces the idle timeout itself (false: the protocol layer does, e.g. gRPC). */
    private readonly enforceIdle = true,
  ) {
    // A policy built by hand (not by connectionLimits()) is checked too.
    connectionLimits(limits);
  }

  /**
   * Decides on a fresh socket. Undefined: refused (the socket is being closed, and the refusal
   * counted and logged). Otherwise the socket is tracked until it closes.
   */
  admit(socket: Socket, a: Admission): Admitted | undefined {
    const key = addressKey(socket);
    const fromKey = this.perAddress.get(key) ?? 0;
    let refusal: 'port-full' | 'address-full' | undefined;
    const m = this.limits.mutant;
    if (this.closed) refusal = 'port-full';
    else if (m !== 'no-port-cap' && this.stats.open >= this.limits.maxConnections) {
      refusal = 'port-full';
    } else if (m !== 'no-address-cap' && fromKey >= this.limits.maxPerAddress) {
      refusal = 'address-full';
    }
    if (refusal !== undefined) {
      if (refusal === 'port-full') this.stats.refusedPort++;
      else this.stats.refusedAddress++;
      this.note(refusal, key);
      socket.on('error', () => {});
      a.refuse?.(socket, refusal);
      // end() lets a word of explanation out; the timer bounds a client that never reads it.
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return undefined;
    }
    this.stats.open++;
    this.stats.accepted++;
    this.perAddress.set(key, fromKey + 1);
    this.sockets.add(socket);
    const cut = (reason: 'handshake' | 'idle' | 'never-closed'): void => {
      if (socket.destroyed) return;
      if (reason === 'handshake') this.stats.closedHandshake++;
      else if (reason === 'idle') this.stats.closedIdle++;
      else this.stats.closedNeverClosed++;
      this.note(reason, key);
      socket.destroy();
    };
    const handshook = a.handshook;
    const handshake =
      handshook === undefined || m === 'no-handshake-timeout'
        ? null
        : setTimeout(() => {
            if (!handshook()) cut('handshake');
          }, this.limits.handshakeMs);
    let idle: NodeJS.Timeout | null = null;
    if (this.enforceIdle && this.limits.idleMs > 0 && m !== 'no-idle-timeout') {
      idle = setTimeout(() => {
        if (m !== 'idle-ignores-busy' && a.busy?.() === true) idle?.refresh();
        else cut('idle');
      }, this.limits.idleMs);
    }
    let grace: NodeJS.Timeout | null = null;
    // Our side is done (we sent FIN, or gRPC sent GOAWAY and ended): the client has a moment to
    // close too, and a connection that stays half-open would otherwise hold its slot for ever.
    socket.once('finish', () => {
      if (m !== 'no-close-grace') grace = setTimeout(() => cut('never-closed'), CLOSE_GRACE_MS);
    });
    socket.once('close', () => {
      if (handshake !== null) clearTimeout(handshake);
      if (idle !== null) clearTimeout(idle);
      if (grace !== null) clearTimeout(grace);
      this.sockets.delete(socket);
      this.stats.open--;
      const n = (this.perAddress.get(key) ?? 1) - 1;
      if (n === 0) this.perAddress.delete(key);
      else this.perAddress.set(key, n);
    });
    return { touch: () => idle?.refresh() };
  }

  /** Connections open from one address (for tests and status). */
  openFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** Stops admitting, flushes the pending log line, closes every tracked socket. */
  close(): void {
    this.closed = true;
    if (this.logTimer !== null) clearTimeout(this.logTimer);
    this.logTimer = null;
    this.flushLog();
    for (const s of this.sockets) s.destroy();
  }

  /**
   * One line at once, then at most one per LOG_INTERVAL_MS with the counts since the last line:
   * a flood of refusals costs a line per interval, and the first refusal is seen at once.
   */
  private note(reason: CloseReason, key: string): void {
    this.unlogged[reason] = (this.unlogged[reason] ?? 0) + 1;
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastLog >= LOG_INTERVAL_MS || this.limits.mutant === 'log-every-event') {
      this.flushLog(key);
      return;
    }
    if (this.logTimer === null) {
      this.logTimer = setTimeout(
        () => {
          this.logTimer = null;
          this.flushLog();
        },
        LOG_INTERVAL_MS - (now - this.lastLog),
      );
      this.logTimer.unref();
    }
  }

  private flushLog(lastAddress?: string): void {
    const counts = this.unlogged;
    if (Object.keys(counts).length === 0) return;
    this.unlogged = {};
    this.lastLog = performance.now();
    this.log('connections refused or closed by limits', {
      port: this.port,
      ...(lastAddress !== undefined ? { address: lastAddress } : {}),
      counts: { ...counts },
      open: this.stats.open,
      maxConnections: this.limits.maxConnections,
      maxPerAddress: this.limits.maxPerAddress,
    });
  }
}
