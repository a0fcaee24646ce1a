/**
 * The recipes' ZkClient (src/recipes/zk-client.ts) over node-zookeeper-client, so the lock recipe
 * runs against a real cluster through a real client. node-zookeeper-client's create returns no
 * stat, so a create reads it back with exists (the lock's token is the node's czxid); its errors
 * become ZkErrors carrying ZooKeeper's code (CONNECTIONLOSS included), which the recipes branch on.
 */
import type zookeeper from 'node-zookeeper-client';
import type { Stat, Watcher, ZkClient } from '../../../src/recipes/zk-client.js';
import {
  CREATE_MODES,
  EVENT_TYPES,
  ZK_ERR,
  ZkError,
  type CreateMode,
  type WatchEventType,
  type ZkErrorCode,
} from '../../../src/systems/coordination/zk-codes.js';

type Client = ReturnType<typeof zookeeper.createClient>;

const CODES = new Set<number>(Object.values(ZK_ERR));
const EVENT_NAMES = new Map<number, WatchEventType>(
  (Object.keys(EVENT_TYPES) as WatchEventType[]).map((k) => [EVENT_TYPES[k], k]),
);

/** node-zookeeper-client's long fields are 8-byte buffers. */
const long = (b: Buffer | number): number =>
  typeof b === 'number' ? b : Number(b.readBigInt64BE(0));

function stat(s: zookeeper.ZkStat): Stat {
  return {
    czxid: long(s.czxid),
    mzxid: long(s.mzxid),
    ctime: long(s.ctime),
    mtime: long(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: long(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: long(s.pzxid),
  };
}

/** A client error as a ZkError when it carries one of ZooKeeper's codes. */
function asZk(e: unknown, path: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' && CODES.has(code) ? new ZkError(code as ZkErrorCode, path) : e;
}

function call<T>(path: string, f: (cb: (e: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(asZk(e, path)) : resolve(v))));
}

export function sessionIdOf(c: Client): number {
  return long(c.getSessionId());
}

export class NzkRecipeClient implements ZkClient {
  constructor(readonly c: Client) {}

  get sessionId(): number {
    return sessionIdOf(this.c);
  }

  async create(
    path: string,
    data: string,
    mode: CreateMode,
  ): Promise<{ readonly path: string; readonly stat: Stat }> {
    const created = await call<string>(path, (cb) =>
      this.c.create(path, Buffer.from(data, 'base64'), CREATE_MODES[mode], cb),
    );
    const s = await this.exists(created);
    if (s === null) throw new ZkError(ZK_ERR.NONODE, created);
    return { path: created, stat: s };
  }

  delete(path: string, version: number): Promise<void> {
    return call<void>(path, (cb) => this.c.remove(path, version, (e) => cb(e, undefined)));
  }

  async exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    const s = await call<zookeeper.ZkStat | null>(path, (cb) =>
      this.c.exists(path, watcher && this.watcher(watcher), cb),
    );
    return s === null ? null : stat(s);
  }

  getData(
    path: string,
    watcher?: Watcher,
  ): Promise<{ readonly data: string; readonly stat: Stat }> {
    return new Promise((resolve, reject) =>
      this.c.getData(path, watcher && this.watcher(watcher), (e, data, s) =>
        e ? reject(asZk(e, path)) : resolve({ data: data.toString('base64'), stat: stat(s) }),
      ),
    );
  }

  async setData(path: string, data: string, version: number): Promise<Stat> {
    const s = await call<zookeeper.ZkStat>(path, (cb) =>
      this.c.setData(path, Buffer.from(data, 'base64'), version, cb),
    );
    return stat(s);
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return new Promise((resolve, reject) =>
      this.c.getChildren(path, watcher && this.watcher(watcher), (e, children) =>
        e ? reject(asZk(e, path)) : resolve(children),
      ),
    );
  }

  private watcher(w: Watcher): (e: zookeeper.ZkEvent) => void {
    return (e) => {
      const type = EVENT_NAMES.get(e.getType());
      if (type !== undefined) w({ type, state: 'SyncConnected', path: e.getPath() });
    };
  }
}
