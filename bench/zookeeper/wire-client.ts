/**
 * The recipes' `ZkClient` (src/recipes/zk-client.ts) over node-zookeeper-client 1.1 (npm), the
 * unchanged client the bench drives both systems with, so the lock recipe runs over the wire
 * against Apache ZooKeeper and truthkit alike.
 *
 * node-zookeeper-client's create answers only the new path (it has no create2), and the recipe
 * wants the node's Stat (its czxid is the fencing token), so `create` reads it back with an
 * `exists`: one more round trip per create, paid the same on both systems.
 */
import zookeeper from 'node-zookeeper-client';
import type { Stat, Watcher, ZkClient } from '../../src/recipes/zk-client.js';
import {
  EVENT_TYPES,
  ZK_ERR,
  ZkError,
  type CreateMode,
  type WatchEventType,
  type ZkErrorCode,
} from '../../src/systems/coordination/zk-codes.js';

/**
 * The client's Stat. Its longs are 8-byte buffers, read by name and checked here, so this does
 * not depend on which fields the project's declaration of the untyped client
 * (test/runtime/zookeeper/node-zookeeper-client.d.ts) lists.
 */
type WireStat = zookeeper.ZkStat;

const ERROR_CODES = new Set<number>(Object.values(ZK_ERR));
const isErrorCode = (n: number): n is ZkErrorCode => ERROR_CODES.has(n);
const EVENT_OF = new Map<number, WatchEventType>(
  (Object.keys(EVENT_TYPES) as WatchEventType[]).map((k) => [EVENT_TYPES[k], k]),
);

/** Modes whose CreateMode number the plain create opcode carries (containers and TTLs need others). */
const WIRE_MODE: Partial<Record<CreateMode, number>> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistentSequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeralSequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

/** A wire long (8 big-endian bytes) as a number; a zxid or time past 2^53 is a broken assumption. */
function long(b: unknown, field: string): number {
  if (!Buffer.isBuffer(b) || b.length !== 8) throw new TypeError(`stat.${field} is not a long`);
  const n = b.readBigInt64BE(0);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`stat.${field} ${n} does not fit a safe integer`);
  }
  return Number(n);
}

const longField = (s: WireStat, field: string): number => long(Reflect.get(s, field), field);

function intField(s: WireStat, field: string): number {
  const v: unknown = Reflect.get(s, field);
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TypeError(`stat.${field} is not an int`);
  return v;
}

/**
 * A session id (and so an ephemeral node's owner) is a full 64-bit long in Apache ZooKeeper (the
 * server's id in the top byte), which the recipes' number cannot hold; the recipes never read
 * either, so both are checked when read, not when the reply arrives.
 */
function ownerGetter(s: WireStat): () => number {
  const raw: unknown = Reflect.get(s, 'ephemeralOwner');
  return () => long(raw, 'ephemeralOwner');
}

export function statOf(s: WireStat): Stat {
  const owner = ownerGetter(s);
  return {
    czxid: longField(s, 'czxid'),
    mzxid: longField(s, 'mzxid'),
    pzxid: longField(s, 'pzxid'),
    ctime: longField(s, 'ctime'),
    mtime: longField(s, 'mtime'),
    version: s.version,
    cversion: s.cversion,
    aversion: intField(s, 'aversion'),
    get ephemeralOwner(): number {
      return owner();
    },
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

/** The client's error as a `ZkError` when it carries one of ZooKeeper's codes, else as it is. */
function zkErrorOf(e: unknown, path: string): unknown {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number') {
    if (isErrorCode(e.code)) return new ZkError(e.code, path);
  }
  return e;
}

export class WireZkClient implements ZkClient {
  private readonly rawSessionId: Buffer;
  /** Watchers not yet called: on session expiry each is called once with `Expired`. */
  private readonly pending = new Set<() => void>();

  private constructor(readonly raw: zookeeper.Client) {
    this.rawSessionId = raw.getSessionId();
    raw.once('expired', () => {
      for (const expire of [...this.pending]) expire();
    });
  }

  /** Throws for a session id past 2^53 (see `ownerGetter`). */
  get sessionId(): number {
    return long(this.rawSessionId, 'sessionId');
  }

  /** Connects (the client picks one of `servers`); rejects after `timeoutMs`. */
  static connect(servers: string, timeoutMs = 20_000): Promise<WireZkClient> {
    const raw = zookeeper.createClient(servers, { sessionTimeout: 30_000, retries: 0 });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        raw.close();
        reject(new Error(`no ZooKeeper session from ${servers} within ${timeoutMs} ms`));
      }, timeoutMs);
      raw.once('connected', () => {
        clearTimeout(timer);
        resolve(new WireZkClient(raw));
      });
      raw.connect();
    });
  }

  close(): void {
    this.raw.close();
  }

  /** One-shot: the client's event, or `Expired` if the session ends first. */
  private watch(watcher: Watcher | undefined): ((e: zookeeper.ZkEvent) => void) | undefined {
    if (watcher === undefined) return undefined;
    let called = false;
    const expire = (): void => {
      if (called) return;
      called = true;
      this.pending.delete(expire);
      watcher({ type: 'None', state: 'Expired', path: '' });
    };
    this.pending.add(expire);
    return (e) => {
      if (called) return;
      called = true;
      this.pending.delete(expire);
      const type = EVENT_OF.get(e.getType());
      if (type === undefined) throw new RangeError(`unknown watch event type ${e.getType()}`);
      watcher({ type, state: 'SyncConnected', path: e.getPath() });
    };
  }

  async create(
    path: string,
    data: string,
    mode: CreateMode,
  ): Promise<{ readonly path: string; readonly stat: Stat }> {
    const flags = WIRE_MODE[mode];
    if (flags === undefined) throw new RangeError(`create mode ${mode} is not on this client`);
    const created = await new Promise<string>((resolve, reject) =>
      this.raw.create(path, Buffer.from(data, 'base64'), flags, (e, p) =>
        e ? reject(zkErrorOf(e, path)) : resolve(p),
      ),
    );
    const stat = await this.exists(created);
    if (stat === null) throw new ZkError(ZK_ERR.NONODE, created);
    return { path: created, stat };
  }

  delete(path: string, version: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.raw.remove(path, version, (e) => (e ? reject(zkErrorOf(e, path)) : resolve())),
    );
  }

  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    const w = this.watch(watcher);
    return new Promise((resolve, reject) => {
      const done = (e: unknown, s: WireStat | null | undefined): void => {
        if (e) reject(zkErrorOf(e, path));
        else resolve(s ? statOf(s) : null);
      };
      this.raw.exists(path, w, done);
    });
  }

  getData(
    path: string,
    watcher?: Watcher,
  ): Promise<{ readonly data: string; readonly stat: Stat }> {
    const w = this.watch(watcher);
    return new Promise((resolve, reject) => {
      const done = (e: unknown, data: Buffer | null | undefined, s: WireStat): void => {
        if (e) reject(zkErrorOf(e, path));
        else resolve({ data: (data ?? Buffer.alloc(0)).toString('base64'), stat: statOf(s) });
      };
      this.raw.getData(path, w, done);
    });
  }

  setData(path: string, data: string, version: number): Promise<Stat> {
    return new Promise((resolve, reject) =>
      this.raw.setData(path, Buffer.from(data, 'base64'), version, (e, s) =>
        e ? reject(zkErrorOf(e, path)) : resolve(statOf(s)),
      ),
    );
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    const w = this.watch(watcher);
    return new Promise((resolve, reject) => {
      const done = (e: unknown, children: string[]): void => {
        if (e) reject(zkErrorOf(e, path));
        else resolve(children);
      };
      this.raw.getChildren(path, w, done);
    });
  }
}
