/**
 * An in-memory, single-server ZooKeeper for testing recipes: the coordination state machine
 * (prepare → txn → apply) behind the `ZkClient` interface, with a virtual clock and the faults
 * recipes must survive: a reply lost after the write was applied (the create-then-crash
 * ambiguity), a client paused past its session timeout (a GC pause), a session expired.
 *
 * Each call yields to the event loop once before the server handles it, so concurrent callers
 * interleave as over a network; notifications are dispatched to watchers before the reply of
 * any later call resolves (ZooKeeper's ordering guarantee).
 */
import { SingleServer, type WriteReply } from '../systems/coordination/single-server.js';
import type { WriteRequest } from '../systems/coordination/requests.js';
import type { ReadReply, ReadRequest } from '../systems/coordination/reads.js';
import {
  ZK_ERR,
  ZkError,
  type CreateMode,
  type WatchEventType,
} from '../systems/coordination/zk-codes.js';
import type { Stat, Watcher, ZkClient } from './zk-client.js';

export class LocalZooKeeper {
  readonly server: SingleServer;
  private clock = 0;
  private readonly clients = new Map<number, LocalClient>();
  /** Notifications dispatched so far (the tests count them to show there is no herd). */
  notifications = 0;

  constructor(tickMs = 100) {
    this.server = new SingleServer({ config: { tickMs } });
  }

  get now(): number {
    return this.clock;
  }

  async connect(timeoutMs = 1000): Promise<LocalClient> {
    await Promise.resolve();
    const r = this.server.write(0, { type: 'createSession', timeout: timeoutMs }, this.clock);
    if (!r.ok || r.result.type !== 'createSession') throw new Error('createSession refused');
    const client = new LocalClient(this, r.result.session);
    this.clients.set(client.sessionId, client);
    return client;
  }

  /**
   * Moves the clock: clients that are not paused ping; the server then expires the silent
   * sessions and clears due containers, and their watchers hear of it.
   */
  advance(ms: number): void {
    this.clock += ms;
    for (const c of this.clients.values()) {
      if (!c.paused && !c.expired) this.server.ping(c.sessionId, this.clock);
    }
    this.server.tick(this.clock);
    this.dispatch();
  }

  /** Ends a session now, as the leader does when its timeout passes. */
  expire(client: LocalClient): void {
    this.server.write(0, { type: 'expireSession', target: client.sessionId }, this.clock);
    this.dispatch();
  }

  /** @internal */
  write(client: LocalClient, op: WriteRequest): WriteReply {
    const r = this.server.write(client.sessionId, op, this.clock);
    this.dispatch();
    return r;
  }

  /** @internal */
  read(client: LocalClient, req: ReadRequest): ReadReply {
    const r = this.server.read(client.sessionId, req, this.clock);
    this.dispatch();
    return r;
  }

  private dispatch(): void {
    for (const c of this.clients.values()) {
      for (const e of this.server.watches.take(c.sessionId)) {
        this.notifications++;
        c.deliver(e.type, e.path);
      }
      if (!c.expired && this.server.state.session(c.sessionId) === undefined) c.sessionEnded();
    }
  }
}

export class LocalClient implements ZkClient {
  /** No pings while paused: the session expires if the pause outlasts its timeout. */
  paused = false;
  expired = false;
  private loseReplies: { n: number; match: (op: WriteRequest) => boolean } = {
    n: 0,
    match: () => true,
  };
  private readonly dataWatchers = new Map<string, Watcher[]>();
  private readonly childWatchers = new Map<string, Watcher[]>();

  constructor(
    private readonly zk: LocalZooKeeper,
    readonly sessionId: number,
  ) {}

  /** The next `n` writes that `match` are applied but their replies are lost (CONNECTIONLOSS). */
  loseNextReplies(n = 1, match: (op: WriteRequest) => boolean = () => true): void {
    this.loseReplies = { n, match };
  }

  async create(
    path: string,
    data: string,
    mode: CreateMode,
  ): Promise<{ path: string; stat: Stat }> {
    const r = await this.write({ type: 'create', path, data, mode });
    if (r.type !== 'create') throw new Error('create answered with another result');
    return { path: r.path, stat: r.stat };
  }

  async delete(path: string, version: number): Promise<void> {
    await this.write({ type: 'delete', path, version });
  }

  async setData(path: string, data: string, version: number): Promise<Stat> {
    const r = await this.write({ type: 'setData', path, data, version });
    if (r.type !== 'setData') throw new Error('setData answered with another result');
    return r.stat;
  }

  async exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    const r = await this.read({ type: 'exists', path, watch: watcher !== undefined }, path);
    if (r.type !== 'exists') throw new Error('exists answered with another result');
    if (watcher !== undefined) add(this.dataWatchers, path, watcher);
    return r.stat;
  }

  async getData(path: string, watcher?: Watcher): Promise<{ data: string; stat: Stat }> {
    const r = await this.read({ type: 'getData', path, watch: watcher !== undefined }, path);
    if (r.type !== 'getData') throw new Error('getData answered with another result');
    if (watcher !== undefined) add(this.dataWatchers, path, watcher);
    return { data: r.data, stat: r.stat };
  }

  async getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    const r = await this.read({ type: 'getChildren', path, watch: watcher !== undefined }, path);
    if (r.type !== 'getChildren') throw new Error('getChildren answered with another result');
    if (watcher !== undefined) add(this.childWatchers, path, watcher);
    return [...r.children];
  }

  /** @internal: the session is gone; every pending watcher hears so once. */
  sessionEnded(): void {
    this.expired = true;
    const all = [...this.dataWatchers, ...this.childWatchers];
    this.dataWatchers.clear();
    this.childWatchers.clear();
    for (const [path, ws] of all) for (const w of ws) w({ type: 'None', state: 'Expired', path });
  }

  /** @internal: ZooKeeper's client-side rule for which watchers an event wakes. */
  deliver(type: WatchEventType, path: string): void {
    const fire = (m: Map<string, Watcher[]>): void => {
      const ws = m.get(path) ?? [];
      m.delete(path);
      for (const w of ws) w({ type, state: 'SyncConnected', path });
    };
    if (type !== 'NodeChildrenChanged') fire(this.dataWatchers);
    if (type === 'NodeChildrenChanged' || type === 'NodeDeleted') fire(this.childWatchers);
  }

  private async write(op: WriteRequest) {
    await Promise.resolve();
    if (this.expired) throw new ZkError(ZK_ERR.SESSIONEXPIRED);
    const r = this.zk.write(this, op);
    if (this.loseReplies.n > 0 && this.loseReplies.match(op)) {
      this.loseReplies.n--;
      throw new ZkError(ZK_ERR.CONNECTIONLOSS);
    }
    if (!r.ok) throw new ZkError(r.code, 'path' in op ? op.path : undefined);
    return r.result;
  }

  private async read(req: ReadRequest, path: string) {
    await Promise.resolve();
    if (this.expired) throw new ZkError(ZK_ERR.SESSIONEXPIRED);
    const r = this.zk.read(this, req);
    if (!r.ok) throw new ZkError(r.code, path);
    return r.result;
  }
}

function add(m: Map<string, Watcher[]>, path: string, w: Watcher): void {
  const ws = m.get(path);
  if (ws === undefined) m.set(path, [w]);
  else ws.push(w);
}
