/**
 * A small single-server ZkBackend for the wire tests: a znode tree in a Map, sessions that
 * never expire, one-shot data/exists/child watches. Enough (create, getData, setData, exists,
 * getChildren(2), delete, sync, closeSession) to drive the codec end to end with a real
 * client; the replicated service is src/systems/coordination's. `delayMs` lets a test make one
 * path's requests slow, to see that replies still go out in request order.
 */
import type {
  BackendInfo,
  SessionGrant,
  ZkBackend,
  ZkReply,
} from '../../../src/runtime/zookeeper/backend.js';
import {
  CreateFlags,
  ErrCode,
  EventType,
  KeeperState,
  OpCode,
} from '../../../src/runtime/zookeeper/constants.js';
import type {
  ConnectRequest,
  Id,
  Stat,
  WatcherEvent,
} from '../../../src/runtime/zookeeper/records.js';
import type { ZkRequest } from '../../../src/runtime/zookeeper/requests.js';
import type { MultiResult } from '../../../src/runtime/zookeeper/responses.js';

interface Znode {
  data: Buffer;
  stat: Stat;
  children: Set<string>;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class MemoryBackend implements ZkBackend {
  readonly nodes = new Map<string, Znode>();
  readonly auths = new Map<bigint, Id[]>();
  private zxid = 0n;
  private nextSession = 0x100n;
  private readonly sinks = new Map<bigint, (e: WatcherEvent) => void>();
  private readonly dataWatches = new Map<string, Set<bigint>>();
  private readonly childWatches = new Map<string, Set<bigint>>();
  /** Milliseconds to hold each request on a path before serving it. */
  readonly delayMs = new Map<string, number>();
  closed: bigint[] = [];
  /** The type of every request submitted, in order. */
  readonly submitted: number[] = [];

  constructor() {
    this.nodes.set('/', {
      data: Buffer.alloc(0),
      stat: this.freshStat(0n, 0),
      children: new Set(),
    });
  }

  private freshStat(owner: bigint, dataLength: number): Stat {
    return {
      czxid: this.zxid,
      mzxid: this.zxid,
      ctime: 1000n,
      mtime: 1000n,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: owner,
      dataLength,
      numChildren: 0,
      pzxid: this.zxid,
    };
  }

  connect(req: ConnectRequest): Promise<SessionGrant | undefined> {
    if (req.sessionId !== 0n) {
      return Promise.resolve(
        this.closed.includes(req.sessionId)
          ? undefined
          : { sessionId: req.sessionId, timeOut: req.timeOut, passwd: req.passwd, readOnly: false },
      );
    }
    const sessionId = this.nextSession++;
    const passwd = Buffer.alloc(16, Number(sessionId & 0xffn));
    return Promise.resolve({ sessionId, timeOut: req.timeOut, passwd, readOnly: false });
  }

  touch(): void {}

  attach(sessionId: bigint, sink: (e: WatcherEvent) => void): () => void {
    this.sinks.set(sessionId, sink);
    return () => {
      if (this.sinks.get(sessionId) === sink) this.sinks.delete(sessionId);
    };
  }

  addAuth(sessionId: bigint, id: Id): void {
    this.auths.set(sessionId, [...(this.auths.get(sessionId) ?? []), id]);
  }

  lastZxid(): bigint {
    return this.zxid;
  }

  /** Lets a test pretend the server is at a later point of history. */
  advanceZxid(to: bigint): void {
    this.zxid = to;
  }

  info(): BackendInfo {
    return {
      mode: 'standalone',
      nodeCount: this.nodes.size,
      watchCount: this.dataWatches.size + this.childWatches.size,
      ephemeralsCount: [...this.nodes.values()].filter((n) => n.stat.ephemeralOwner !== 0n).length,
      approximateDataSize: [...this.nodes.values()].reduce((a, n) => a + n.data.length, 0),
    };
  }

  async submit(sessionId: bigint, req: ZkRequest): Promise<ZkReply> {
    this.submitted.push(req.type);
    const delay = 'path' in req ? this.delayMs.get(req.path) : undefined;
    if (delay !== undefined) await new Promise((r) => setTimeout(r, delay));
    return this.serve(sessionId, req);
  }

  private fail(err: number): ZkReply {
    return { zxid: this.zxid, err };
  }

  private watch(map: Map<string, Set<bigint>>, path: string, session: bigint): void {
    const set = map.get(path) ?? new Set<bigint>();
    set.add(session);
    map.set(path, set);
  }

  private fire(map: Map<string, Set<bigint>>, path: string, type: number): void {
    const set = map.get(path);
    if (set === undefined) return;
    map.delete(path);
    for (const s of set) this.sinks.get(s)?.({ type, state: KeeperState.syncConnected, path });
  }

  private serve(session: bigint, req: ZkRequest): ZkReply {
    switch (req.type) {
      case OpCode.create:
      case OpCode.create2: {
        const parent = this.nodes.get(parentOf(req.path));
        if (parent === undefined) return this.fail(ErrCode.noNode);
        if (parent.stat.ephemeralOwner !== 0n) return this.fail(ErrCode.noChildrenForEphemerals);
        const seq = (req.flags & 2) !== 0;
        const path = seq ? req.path + String(parent.stat.cversion).padStart(10, '0') : req.path;
        if (this.nodes.has(path)) return this.fail(ErrCode.nodeExists);
        this.zxid++;
        const ephemeral =
          req.flags === CreateFlags.ephemeral || req.flags === CreateFlags.ephemeralSequential;
        const node = {
          data: req.data,
          stat: this.freshStat(ephemeral ? session : 0n, req.data.length),
          children: new Set<string>(),
        };
        this.nodes.set(path, node);
        parent.children.add(baseOf(path));
        parent.stat = {
          ...parent.stat,
          cversion: parent.stat.cversion + 1,
          numChildren: parent.children.size,
          pzxid: this.zxid,
        };
        this.fire(this.dataWatches, path, EventType.nodeCreated);
        this.fire(this.childWatches, parentOf(path), EventType.nodeChildrenChanged);
        return req.type === OpCode.create
          ? { zxid: this.zxid, err: 0, result: { kind: 'path', path } }
          : { zxid: this.zxid, err: 0, result: { kind: 'pathStat', path, stat: node.stat } };
      }
      case OpCode.delete: {
        const node = this.nodes.get(req.path);
        if (node === undefined) return this.fail(ErrCode.noNode);
        if (req.version !== -1 && req.version !== node.stat.version)
          return this.fail(ErrCode.badVersion);
        if (node.children.size > 0) return this.fail(ErrCode.notEmpty);
        this.remove(req.path);
        return { zxid: this.zxid, err: 0, result: { kind: 'none' } };
      }
      case OpCode.setData: {
        const node = this.nodes.get(req.path);
        if (node === undefined) return this.fail(ErrCode.noNode);
        if (req.version !== -1 && req.version !== node.stat.version)
          return this.fail(ErrCode.badVersion);
        this.zxid++;
        node.data = req.data;
        node.stat = {
          ...node.stat,
          mzxid: this.zxid,
          version: node.stat.version + 1,
          dataLength: req.data.length,
        };
        this.fire(this.dataWatches, req.path, EventType.nodeDataChanged);
        return { zxid: this.zxid, err: 0, result: { kind: 'stat', stat: node.stat } };
      }
      case OpCode.exists:
      case OpCode.getData: {
        const node = this.nodes.get(req.path);
        if (req.watch && (node !== undefined || req.type === OpCode.exists)) {
          this.watch(this.dataWatches, req.path, session);
        }
        if (node === undefined) return this.fail(ErrCode.noNode);
        return req.type === OpCode.exists
          ? { zxid: this.zxid, err: 0, result: { kind: 'stat', stat: node.stat } }
          : { zxid: this.zxid, err: 0, result: { kind: 'data', data: node.data, stat: node.stat } };
      }
      case OpCode.getChildren:
      case OpCode.getChildren2: {
        const node = this.nodes.get(req.path);
        if (node === undefined) return this.fail(ErrCode.noNode);
        if (req.watch) this.watch(this.childWatches, req.path, session);
        const children = [...node.children].sort();
        return req.type === OpCode.getChildren
          ? { zxid: this.zxid, err: 0, result: { kind: 'children', children } }
          : { zxid: this.zxid, err: 0, result: { kind: 'children2', children, stat: node.stat } };
      }
      case OpCode.multi: {
        // Ops apply one by one; on the first failure the rest are skipped. No rollback: the
        // tests only send multis that succeed or fail at their first op.
        const results: MultiResult[] = [];
        let failed = false;
        for (const op of req.ops) {
          if (failed) {
            results.push({ type: OpCode.error, err: ErrCode.runtimeInconsistency });
            continue;
          }
          const one = this.serve(session, op);
          if (one.err === ErrCode.ok && one.result !== undefined) {
            results.push({ type: op.type, err: 0, result: one.result });
          } else {
            failed = true;
            results.push({ type: OpCode.error, err: one.err });
          }
        }
        return { zxid: this.zxid, err: 0, result: { kind: 'multi', results } };
      }
      case OpCode.check: {
        const node = this.nodes.get(req.path);
        if (node === undefined) return this.fail(ErrCode.noNode);
        if (req.version !== -1 && req.version !== node.stat.version)
          return this.fail(ErrCode.badVersion);
        return { zxid: this.zxid, err: 0, result: { kind: 'none' } };
      }
      case OpCode.sync:
        return { zxid: this.zxid, err: 0, result: { kind: 'path', path: req.path } };
      case OpCode.closeSession: {
        this.closed.push(session);
        for (const [path, node] of [...this.nodes]) {
          if (node.stat.ephemeralOwner === session) this.remove(path);
        }
        return { zxid: this.zxid, err: 0, result: { kind: 'none' } };
      }
      default:
        return this.fail(ErrCode.unimplemented);
    }
  }

  private remove(path: string): void {
    this.zxid++;
    this.nodes.delete(path);
    const parent = this.nodes.get(parentOf(path));
    if (parent !== undefined) {
      parent.children.delete(baseOf(path));
      parent.stat = {
        ...parent.stat,
        cversion: parent.stat.cversion + 1,
        numChildren: parent.children.size,
        pzxid: this.zxid,
      };
    }
    this.fire(this.dataWatches, path, EventType.nodeDeleted);
    this.fire(this.childWatches, path, EventType.nodeDeleted);
    this.fire(this.childWatches, parentOf(path), EventType.nodeChildrenChanged);
  }
}
