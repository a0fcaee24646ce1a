/**
 * Partitions without root: a TCP proxy in front of each member's peer port, run by the chaos
 * tool itself. The cluster is started with every member dialing its peers at their proxies
 * (cluster.json's `dial`), while each member still listens on its own peer port.
 *
 * A proxy serves one destination member, so it does not know from the socket who is dialing;
 * the peer handshake's first frame does (src/runtime/auth.ts: `{t:'hello', from, to, nonce}`).
 * The proxy reads that one frame, learns the link from→to, and connects to the member and
 * forwards bytes both ways untouched (the hello included, so the members still authenticate
 * each other end to end) — unless the link is cut. Each node sends on a connection it dialed and
 * reads only from connections dialed to it (peer-transport.ts), so a cut of {a, b} cuts both
 * directed links a→b and b→a. A cut is one of two kinds:
 *   - 'sever': the connections open on the cut links are destroyed, and new ones refused until
 *     the heal (what members see when a peer's host goes away: resets, refused redials);
 *   - 'stall': nothing is closed; the proxy stops moving bytes on the cut links, and new
 *     connections on them wait, until the heal, when everything held flows on in order (what
 *     TCP makes of a short outage: silence, then late, stale messages).
 *
 * The hello is not authenticated when the proxy reads it: a forged `from` could only make the
 * proxy file a connection under the wrong link. The proxies listen on loopback, for a test
 * cluster the same process started.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { NodeId } from '../../core/node.js';
import { decodeJsonFrame, FrameDecoder } from '../frames.js';
import type { Address } from '../listen.js';

/** A hello is ~150 bytes; anything much larger before it ends is not a peer dialing. */
const HELLO_MAX_FRAME = 4096;

/**
 * 'forward-all': the deliberately broken proxy — cuts are recorded but never enforced (the one
 * rule "a cut link carries nothing" removed). A chaos run on it must notice that the cluster
 * never felt a partition.
 */
export type ProxyMutant = 'forward-all';

export type CutKind = 'sever' | 'stall';

export interface ProxyOptions {
  /** The members, by id; one proxy each. */
  readonly ids: readonly NodeId[];
  readonly host?: string;
  /** How long a dialer may take to send its hello. */
  readonly helloMs?: number;
  readonly mutant?: ProxyMutant;
}

export interface ProxyStats {
  /** Connections forwarded to their member. */
  forwarded: number;
  /** Connections refused: their link was cut, or they did not start with a hello to this member. */
  refused: number;
  /** Forwarded connections destroyed by a 'sever' cut. */
  severed: number;
  /** Forwarded connections (or connections waiting to be) held by a 'stall' cut. */
  stalled: number;
}

export class ProxyError extends Error {
  constructor(
    readonly code: 'unknown-member' | 'bad-minority',
    message: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

interface Forwarded {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly dialer: Socket;
  readonly upstream: Socket;
  /** Bytes the dialer sent before the upstream connection carried them (the hello first). */
  readonly early: Buffer[];
  /** The listener that collects `early`. */
  readonly collect: (chunk: Buffer) => void;
  connected: boolean;
  /** Whether bytes flow now (piped both ways). */
  flowing: boolean;
}

const linkKey = (from: NodeId, to: NodeId): string => `${from}\u2192${to}`;

export class PartitionProxies {
  readonly stats: ProxyStats = { forwarded: 0, refused: 0, severed: 0, stalled: 0 };
  private readonly servers = new Map<NodeId, Server>();
  private readonly dialAddresses = new Map<NodeId, string>();
  private readonly cut = new Set<string>();
  private kind: CutKind = 'sever';
  /** Resolved at each heal: connections a 'stall' cut holds before connecting wait on it. */
  private healed: Promise<void> = Promise.resolve();
  private resolveHealed: () => void = () => {};
  private readonly open = new Set<Forwarded>();
  private readonly pending = new Set<Socket>();
  private upstreams: ReadonlyMap<NodeId, Address> | undefined;
  /** Connections that arrive before the members' peer ports are known wait for them. */
  private readonly known: Promise<void>;
  private resolveKnown!: () => void;
  private closed = false;

  private constructor(private readonly o: ProxyOptions) {
    this.known = new Promise((res) => (this.resolveKnown = res));
  }

  /** Starts one proxy per member on a free port of `host`. */
  static async start(o: ProxyOptions): Promise<PartitionProxies> {
    const p = new PartitionProxies(o);
    const host = o.host ?? '127.0.0.1';
    try {
      for (const id of o.ids) {
        const server = createServer((socket) => p.accept(id, socket));
        p.servers.set(id, server);
        await new Promise<void>((res, rej) => {
          server.once('error', rej);
          server.listen(0, host, () => res());
        });
        const a = server.address();
        if (typeof a !== 'object' || a === null) throw new Error('a proxy could not bind a port');
        p.dialAddresses.set(id, `${host}:${a.port}`);
      }
    } catch (e) {
      p.close();
      throw e;
    }
    return p;
  }

  /** Where the members dial each other: cluster.json's `dial`, per id. */
  dial(): Record<NodeId, string> {
    return Object.fromEntries(this.dialAddresses);
  }

  /** The members' own peer ports, once the cluster has them; held connections go on then. */
  setUpstreams(peers: ReadonlyMap<NodeId, Address>): void {
    for (const id of this.o.ids) {
      if (!peers.has(id)) throw new ProxyError('unknown-member', `no peer address for ${id}`);
    }
    this.upstreams = peers;
    this.resolveKnown();
  }

  /**
   * Cuts every link between `minority` and the other members (both directions), in the way
   * `kind` says (see above). Heals any earlier cut first.
   */
  partition(minority: readonly NodeId[], kind: CutKind = 'sever'): void {
    const inside = new Set(minority);
    for (const id of inside) {
      if (!this.o.ids.includes(id)) throw new ProxyError('unknown-member', `no member ${id}`);
    }
    if (inside.size === 0 || inside.size >= this.o.ids.length) {
      throw new ProxyError('bad-minority', 'a partition leaves members on both sides');
    }
    this.heal();
    this.kind = kind;
    this.healed = new Promise((res) => (this.resolveHealed = res));
    for (const a of this.o.ids) {
      for (const b of this.o.ids) {
        if (a !== b && inside.has(a) !== inside.has(b)) this.cut.add(linkKey(a, b));
      }
    }
    for (const f of [...this.open]) {
      if (!this.blocked(f.from, f.to)) continue;
      if (kind === 'sever') {
        this.stats.severed++;
        this.drop(f);
      } else {
        this.stats.stalled++;
        this.stall(f);
      }
    }
  }

  /** Every link carries again: held bytes flow on; severed members redial with their backoff. */
  heal(): void {
    this.cut.clear();
    for (const f of this.open) if (f.connected && !f.flowing) this.flow(f);
    this.resolveHealed();
  }

  close(): void {
    this.closed = true;
    this.resolveKnown();
    this.resolveHealed();
    for (const s of this.servers.values()) s.close();
    for (const f of [...this.open]) this.drop(f);
    for (const s of this.pending) s.destroy();
    this.pending.clear();
  }

  /** Whether the link from→to carries nothing now. */
  private blocked(from: NodeId, to: NodeId): boolean {
    if (this.o.mutant === 'forward-all') return false;
    return this.cut.has(linkKey(from, to));
  }

  /** Stops moving bytes on `f` (both ways), keeping what is not moved yet where it is. */
  private stall(f: Forwarded): void {
    if (!f.flowing) return;
    f.flowing = false;
    f.dialer.unpipe(f.upstream);
    f.upstream.unpipe(f.dialer);
    f.dialer.pause();
    f.upstream.pause();
  }

  /** Starts (or resumes) moving bytes on `f`: what the dialer sent early first. */
  private flow(f: Forwarded): void {
    if (f.flowing || !this.open.has(f)) return;
    f.flowing = true;
    f.dialer.removeListener('data', f.collect);
    if (f.early.length > 0) {
      f.upstream.write(f.early.length === 1 ? (f.early[0] as Buffer) : Buffer.concat(f.early));
      f.early.length = 0;
    }
    f.dialer.pipe(f.upstream);
    f.upstream.pipe(f.dialer);
  }

  private drop(f: Forwarded): void {
    this.open.delete(f);
    f.dialer.destroy();
    f.upstream.destroy();
  }

  private accept(to: NodeId, dialer: Socket): void {
    if (this.closed) return void dialer.destroy();
    this.pending.add(dialer);
    dialer.setNoDelay(true);
    const decoder = new FrameDecoder(HELLO_MAX_FRAME);
    const early: Buffer[] = [];
    let from: NodeId | undefined;
    const refuse = (): void => {
      this.stats.refused++;
      this.pending.delete(dialer);
      dialer.destroy();
    };
    const timer = setTimeout(refuse, this.o.helloMs ?? 3000);
    dialer.on('error', () => {});
    dialer.on('close', () => {
      clearTimeout(timer);
      this.pending.delete(dialer);
    });
    const onData = (chunk: Buffer): void => {
      early.push(chunk);
      if (from !== undefined) return; // the hello is read; the rest waits for the upstream
      let frame: Buffer | undefined;
      let hello: { t?: unknown; from?: unknown; to?: unknown } | undefined;
      try {
        frame = decoder.push(chunk)[0];
        if (frame === undefined) return;
        hello = decodeJsonFrame(frame) as typeof hello;
      } catch {
        clearTimeout(timer);
        return refuse();
      }
      clearTimeout(timer);
      if (
        typeof hello !== 'object' ||
        hello === null ||
        hello.t !== 'hello' ||
        typeof hello.from !== 'string' ||
        !this.o.ids.includes(hello.from) ||
        hello.from === to ||
        hello.to !== to
      ) {
        return refuse();
      }
      from = hello.from;
      void this.forward(from, to, dialer, early, onData);
    };
    dialer.on('data', onData);
  }

  private async forward(
    from: NodeId,
    to: NodeId,
    dialer: Socket,
    early: Buffer[],
    onData: (chunk: Buffer) => void,
  ): Promise<void> {
    await this.known;
    // A stalled link holds a new connection until the heal (the dialer may give up first).
    let held = false;
    while (!this.closed && !dialer.destroyed && this.blocked(from, to) && this.kind === 'stall') {
      if (!held) this.stats.stalled++;
      held = true;
      await this.healed;
    }
    const target = this.upstreams?.get(to);
    if (this.closed || dialer.destroyed || target === undefined) return void dialer.destroy();
    if (this.blocked(from, to)) {
      this.stats.refused++;
      this.pending.delete(dialer);
      return void dialer.destroy();
    }
    const upstream = connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    const f: Forwarded = {
      from,
      to,
      dialer,
      upstream,
      early,
      collect: onData,
      connected: false,
      flowing: false,
    };
    this.pending.delete(dialer);
    this.open.add(f);
    this.stats.forwarded++;
    upstream.on('error', () => {});
    upstream.on('close', () => this.drop(f));
    dialer.on('close', () => this.drop(f));
    upstream.on('connect', () => {
      f.connected = true;
      // Cut while connecting: a sever has dropped it already; a stall waits for the heal.
      if (!this.blocked(from, to)) this.flow(f);
    });
  }
}
