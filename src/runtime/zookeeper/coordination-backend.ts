/**
 * A ZkBackend over ZooKeeper's coordination state machine (src/systems/coordination) on one
 * server, in memory: each wire write becomes a request that `prepare` turns into a txn, applied
 * at once; reads are served from the applied tree; sessions expire by this server's clock
 * through an expireSession request, as a leader would propose one. Durability and replication
 * come later, through Zab, between prepare and apply.
 *
 * Two representations meet here: the wire carries zxids, times and session ids as 64-bit
 * longs (bigint) and data as bytes; the state machine holds safe-integer numbers and base64.
 * Every crossing is range-checked: a number that does not fit is a client's bad argument
 * (refused with BADARGUMENTS) or, coming from the state machine, a broken invariant (thrown).
 *
 * Watch notifications a txn triggers reach the connections before the txn's own reply and
 * before any later reply (ZooKeeper's ordering guarantee): they are handed to the front end's
 * sinks synchronously, inside `submit`, while every reply is sent only after `submit` returns.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { MAX_ACL_ENTRIES } from '../../systems/coordination/acl.js';
import type { Stat as CoordStat, TreeStore } from '../../systems/coordination/data-tree.js';
import type { ReadReply, ReadRequest } from '../../systems/coordination/reads.js';
import type { OpRequest, WriteRequest } from '../../systems/coordination/requests.js';
import { expiredNodes, expiredSessions } from '../../systems/coordination/sessions.js';
import { SingleServer } from '../../systems/coordination/single-server.js';
import type { TxnResult } from '../../systems/coordination/txns.js';
import type { WatchEvent, WatchManager } from '../../systems/coordination/watches.js';
import {
  CREATE_MODES,
  EVENT_TYPES,
  ZK_ERR,
  type CreateMode,
} from '../../systems/coordination/zk-codes.js';
import type { BackendInfo, SessionGrant, ZkBackend, ZkReply } from './backend.js';
import { AddWatchMode, ErrCode, KeeperState, OpCode } from './constants.js';
import type { ConnectRequest, Id, Stat, WatcherEvent } from './records.js';
import type { MultiOp, ZkRequest } from './requests.js';
import type { MultiResult, ZkResult } from './responses.js';

/**
 * Deliberately broken variants, each caught by test/runtime/zookeeper/coordination-backend.test.ts:
 * - `notify-after-reply`: a txn's watch notifications go out after the replies that follow it;
 * - `never-expire`: a session whose client has gone silent is never expired;
 * - `any-passwd`: a client resuming a session is not asked for the session's password;
 * - `keep-old-connection`: a session resumed on a new connection leaves its old one open.
 */
export const COORD_BACKEND_MUTANTS = [
  'notify-after-reply',
  'never-expire',
  'any-passwd',
  'keep-old-connection',
] as const;
export type CoordBackendMutant = (typeof COORD_BACKEND_MUTANTS)[number];

export interface CoordinationBackendOptions {
  /** ZooKeeper's tickTime (ms): negotiated session timeouts are clamped to 2–20 ticks. */
  readonly tickMs?: number;
  /** The server's clock (ms since the epoch): ctime/mtime and session expiry. */
  readonly clock?: () => number;
  /** How often the server looks for expired sessions (ms); half a tick by default. */
  readonly expiryCheckMs?: number;
  readonly mutant?: CoordBackendMutant;
}

export class CoordinationBackendOptionsError extends Error {
  readonly code = 'bad-option';
  constructor(message: string) {
    super(message);
    this.name = 'CoordinationBackendOptionsError';
  }
}

/** A number the state machine handed out does not fit the wire (a broken invariant). */
export class WireRangeError extends Error {
  readonly code = 'wire-range';
  constructor(what: string, value: number) {
    super(`${what} ${value} is not a non-negative safe integer`);
    this.name = 'WireRangeError';
  }
}

const DEFAULT_TICK_MS = 2000;
const PASSWD_BYTES = 16;

function positiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
    throw new CoordinationBackendOptionsError(`${name} must be a positive integer, not ${v}`);
  }
}

/** A state-machine number on its way to the wire. */
export function long(what: string, n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new WireRangeError(what, n);
  return BigInt(n);
}

/** A client's long on its way in: undefined when it does not fit a safe integer. */
export function fromLong(b: bigint): number | undefined {
  return b >= 0n && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : undefined;
}

export function wireStat(s: CoordStat): Stat {
  return {
    czxid: long('czxid', s.czxid),
    mzxid: long('mzxid', s.mzxid),
    ctime: long('ctime', s.ctime),
    mtime: long('mtime', s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: long('ephemeralOwner', s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: long('pzxid', s.pzxid),
  };
}

const MODE_OF_FLAGS = new Map<number, CreateMode>(
  (Object.keys(CREATE_MODES) as CreateMode[]).map((m) => [CREATE_MODES[m], m]),
);

/** A client request the state machine cannot take as it is: answered with `code` alone. */
export class BadRequest {
  constructor(readonly code: number) {}
}
export const bad = (code: number = ErrCode.badArguments): never => {
  throw new BadRequest(code);
};

/** The create mode a create request's opcode and flags ask for; ZooKeeper ties them together. */
function createMode(type: number, flags: number): CreateMode {
  const mode = MODE_OF_FLAGS.get(flags) ?? bad();
  const ok =
    type === OpCode.createContainer
      ? mode === 'container'
      : type === OpCode.createTTL
        ? mode === 'persistentWithTtl' || mode === 'persistentSequentialWithTtl'
        : mode !== 'container' &&
          mode !== 'persistentWithTtl' &&
          mode !== 'persistentSequentialWithTtl';
  return ok ? mode : bad();
}

export function opRequest(op: ZkRequest): OpRequest {
  switch (op.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      const mode = createMode(op.type, op.flags);
      const data = op.data.toString('base64');
      // The wire's ACL is the coordination ACL's shape; prepare judges it (INVALIDACL).
      const acl = op.acl;
      if (op.type !== OpCode.createTTL) return { type: 'create', path: op.path, data, mode, acl };
      const ttl = fromLong(op.ttl) ?? bad();
      return { type: 'create', path: op.path, data, mode, ttl, acl };
    }
    case OpCode.delete:
      return { type: 'delete', path: op.path, version: op.version };
    case OpCode.check:
      return { type: 'check', path: op.path, version: op.version };
    case OpCode.setData:
      return {
        type: 'setData',
        path: op.path,
        data: op.data.toString('base64'),
        version: op.version,
      };
    default:
      return bad();
  }
}

/** The wire result of one applied op, shaped by the opcode the client sent. */
export function opResult(type: number, r: TxnResult): ZkResult {
  switch (r.type) {
    case 'create':
      return type === OpCode.create
        ? { kind: 'path', path: r.path }
        : { kind: 'pathStat', path: r.path, stat: wireStat(r.stat) };
    case 'setData':
    case 'setACL':
      return { kind: 'stat', stat: wireStat(r.stat) };
    case 'delete':
    case 'check':
    case 'closeSession':
      return { kind: 'none' };
    default:
      throw new Error(`a ${r.type} txn result answers no client op`);
  }
}

/**
 * The requests a server answers from its own applied state, in both backends: reads (through
 * `readAt`, which checks ACLs and registers watches), multiRead, setWatches and addWatch; `heard`
 * runs for the two watch requests, which the reads' own path does not see. A ZooKeeper error
 * code for a refused read; undefined for a request that is not answered locally (a write).
 */
export function answerLocally(
  req: ZkRequest,
  id: number,
  readAt: (read: ReadRequest) => ReadReply,
  watches: WatchManager,
  state: TreeStore,
  heard: () => void,
): ZkResult | number | undefined {
  const asRead = readRequest(req);
  if (asRead !== undefined) return readResult(req.type, readAt(asRead));
  switch (req.type) {
    case OpCode.multiRead:
      return {
        kind: 'multi',
        results: req.ops.map((op): MultiResult => {
          const asOpRead = readRequest(op);
          if (asOpRead === undefined) return bad();
          const r = readResult(op.type, readAt(asOpRead));
          return typeof r === 'number'
            ? { type: OpCode.error, err: r }
            : { type: op.type, err: 0, result: r };
        }),
      };
    case OpCode.setWatches:
    case OpCode.setWatches2: {
      const relativeZxid = fromLong(req.relativeZxid) ?? bad();
      heard();
      watches.setWatches(state, id, relativeZxid, {
        data: req.dataWatches,
        exist: req.existWatches,
        child: req.childWatches,
        persistent: req.persistentWatches,
        persistentRecursive: req.persistentRecursiveWatches,
      });
      return { kind: 'none' };
    }
    case OpCode.addWatch: {
      const kind =
        req.mode === AddWatchMode.persistent
          ? 'persistent'
          : req.mode === AddWatchMode.persistentRecursive
            ? 'persistentRecursive'
            : bad();
      heard();
      watches.add(id, req.path, kind);
      return { kind: 'errorResponse', err: 0 };
    }
    default:
      return undefined;
  }
}

/**
 * A connection's identities with `id` added, as both backends keep them: once each, and bounded,
 * so a client that authenticates as many names cannot grow the server's memory.
 */
export function withIdentity(held: readonly Id[], id: Id): readonly Id[] {
  if (held.length >= MAX_ACL_ENTRIES) return held;
  if (held.some((h) => h.scheme === id.scheme && h.id === id.id)) return held;
  return [...held, id];
}

export function readResult(type: number, reply: ReadReply): ZkResult | number {
  if (!reply.ok) return reply.code;
  const r = reply.result;
  switch (r.type) {
    case 'exists':
      return r.stat === null ? ErrCode.noNode : { kind: 'stat', stat: wireStat(r.stat) };
    case 'getData':
      return { kind: 'data', data: Buffer.from(r.data, 'base64'), stat: wireStat(r.stat) };
    case 'getChildren':
      if (type === OpCode.getChildren2) {
        if (r.stat === undefined) throw new Error('getChildren2 read without a stat');
        return { kind: 'children2', children: r.children, stat: wireStat(r.stat) };
      }
      return { kind: 'children', children: r.children };
    case 'getAllChildrenNumber':
      return { kind: 'count', totalNumber: r.count };
    case 'getACL':
      return { kind: 'acl', acl: r.acl, stat: wireStat(r.stat) };
  }
}

export function readRequest(req: ZkRequest): ReadRequest | undefined {
  switch (req.type) {
    case OpCode.exists:
      return { type: 'exists', path: req.path, watch: req.watch };
    case OpCode.getData:
      return { type: 'getData', path: req.path, watch: req.watch };
    case OpCode.getChildren:
    case OpCode.getChildren2:
      return {
        type: 'getChildren',
        path: req.path,
        watch: req.watch,
        withStat: req.type === OpCode.getChildren2,
      };
    case OpCode.getAllChildrenNumber:
      return { type: 'getAllChildrenNumber', path: req.path };
    case OpCode.getACL:
      return { type: 'getACL', path: req.path };
    default:
      return undefined;
  }
}

export class CoordinationBackend implements ZkBackend {
  readonly server: SingleServer;
  private readonly clock: () => number;
  private readonly mutant: CoordBackendMutant | undefined;
  private readonly passwords = new Map<number, Buffer>();
  private readonly sinks = new Map<number, (e: WatcherEvent) => void>();
  private readonly enders = new Map<number, () => void>();
  /**
   * The identities each session's current connection presented (its ip, its digest auths).
   * They belong to the connection, as in ZooKeeper: a client re-sends its auths on reconnect.
   */
  private readonly auths = new Map<number, readonly Id[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(o: CoordinationBackendOptions = {}) {
    positiveInt('tickMs', o.tickMs);
    positiveInt('expiryCheckMs', o.expiryCheckMs);
    const tickMs = o.tickMs ?? DEFAULT_TICK_MS;
    this.server = new SingleServer({ config: { tickMs } });
    this.clock = o.clock ?? Date.now;
    this.mutant = o.mutant;
    const every = o.expiryCheckMs ?? Math.max(1, Math.floor(tickMs / 2));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  /** Stops the expiry timer; the front end should be closed first. */
  close(): void {
    clearInterval(this.timer);
  }

  /** The leader's duties now: expire silent sessions, remove due containers and TTL nodes. */
  tick(): void {
    const { server } = this;
    const before = new Set(server.state.sessions.keys());
    const now = this.clock();
    if (this.mutant !== 'never-expire') {
      for (const target of expiredSessions(server.state, server.lastHeard, now)) {
        server.write(0, { type: 'expireSession', target }, now);
      }
    }
    for (const path of expiredNodes(server.state, now)) {
      server.write(0, { type: 'deleteContainer', path }, now);
    }
    const ended: (() => void)[] = [];
    for (const id of before) {
      if (server.state.sessions.has(id)) continue;
      this.forget(id);
      const end = this.enders.get(id);
      if (end !== undefined) ended.push(end);
    }
    // Others' notifications first (the expiry deleted ephemerals they watch), then the
    // expired sessions' connections close.
    this.deliver();
    for (const end of ended) end();
  }

  connect(req: ConnectRequest): Promise<SessionGrant | undefined> {
    if (req.sessionId !== 0n) return Promise.resolve(this.resume(req));
    if (!Number.isSafeInteger(req.timeOut) || req.timeOut < 0) return Promise.resolve(undefined);
    const w = this.server.write(0, { type: 'createSession', timeout: req.timeOut }, this.clock());
    if (!w.ok || w.result.type !== 'createSession') {
      throw new Error(`createSession refused: ${w.ok ? w.result.type : w.code}`);
    }
    const passwd = randomBytes(PASSWD_BYTES);
    this.passwords.set(w.result.session, passwd);
    return Promise.resolve({
      sessionId: long('session', w.result.session),
      timeOut: w.result.timeout,
      passwd,
      readOnly: false,
    });
  }

  private resume(req: ConnectRequest): SessionGrant | undefined {
    const id = fromLong(req.sessionId);
    const session = id === undefined ? undefined : this.server.state.session(id);
    const passwd = id === undefined ? undefined : this.passwords.get(id);
    if (id === undefined || session === undefined || passwd === undefined) return undefined;
    const matches = req.passwd.length === passwd.length && timingSafeEqual(req.passwd, passwd);
    if (!matches && this.mutant !== 'any-passwd') return undefined;
    this.server.ping(id, this.clock());
    return { sessionId: req.sessionId, timeOut: session.timeout, passwd, readOnly: false };
  }

  touch(sessionId: bigint): void {
    const id = fromLong(sessionId);
    if (id !== undefined && this.server.state.session(id) !== undefined) {
      this.server.ping(id, this.clock());
    }
  }

  attach(sessionId: bigint, sink: (event: WatcherEvent) => void, end?: () => void): () => void {
    const id = fromLong(sessionId);
    if (id === undefined) throw new WireRangeError('attached session', Number(sessionId));
    const previous = this.sinks.has(id) ? this.enders.get(id) : undefined;
    this.sinks.set(id, sink);
    this.auths.set(id, []);
    if (end === undefined) this.enders.delete(id);
    else this.enders.set(id, end);
    // The session moved: ZooKeeper closes the connection it had, which may be half-open (the
    // client gave up on it) and must not get this session's notifications or answer for it.
    if (previous !== undefined && this.mutant !== 'keep-old-connection') previous();
    return () => {
      if (this.sinks.get(id) !== sink) return;
      this.sinks.delete(id);
      this.enders.delete(id);
      // Watches belong to a connection: the client re-sends them (setWatches) on reconnect,
      // and the server fires there whatever changed meanwhile.
      this.server.watches.removeSession(id);
    };
  }

  addAuth(sessionId: bigint, id: Id): void {
    const s = fromLong(sessionId);
    if (s === undefined) return;
    this.auths.set(s, withIdentity(this.auths.get(s) ?? [], id));
  }

  lastZxid(): bigint {
    return long('lastZxid', this.server.state.lastZxid());
  }

  info(): BackendInfo {
    const state = this.server.state;
    let ephemeralsCount = 0;
    for (const s of state.sessions.values()) ephemeralsCount += s.ephemerals.size;
    let approximateDataSize = 0;
    for (const [path, n] of state.nodes) approximateDataSize += path.length + n.stat.dataLength;
    return {
      mode: 'standalone',
      nodeCount: state.nodes.size,
      watchCount: this.server.watches.count(),
      ephemeralsCount,
      approximateDataSize,
    };
  }

  submit(sessionId: bigint, req: ZkRequest): Promise<ZkReply> {
    const id = fromLong(sessionId);
    if (id === undefined || this.server.state.session(id) === undefined) {
      return Promise.resolve(this.fail(ErrCode.sessionExpired));
    }
    try {
      return Promise.resolve(this.serve(id, req));
    } catch (e) {
      if (e instanceof BadRequest) return Promise.resolve(this.fail(e.code));
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.deliver();
    }
  }

  private serve(id: number, req: ZkRequest): ZkReply {
    const now = this.clock();
    const auth = this.auths.get(id) ?? [];
    const local = answerLocally(
      req,
      id,
      (r) => this.server.read(id, r, now, auth),
      this.server.watches,
      this.server.state,
      () => this.server.ping(id, now),
    );
    if (local !== undefined) return typeof local === 'number' ? this.fail(local) : this.ok(local);
    switch (req.type) {
      case OpCode.sync:
        this.server.ping(id, now);
        return this.ok({ kind: 'path', path: req.path });
      case OpCode.closeSession:
        return this.write(id, req.type, { type: 'closeSession' });
      case OpCode.setACL:
        return this.write(id, req.type, {
          type: 'setACL',
          path: req.path,
          acl: req.acl,
          version: req.version,
        });
      case OpCode.multi:
        return this.multi(id, req.ops);
      default:
        return this.write(id, req.type, opRequest(req));
    }
  }

  private write(id: number, type: number, op: WriteRequest): ZkReply {
    const w = this.server.write(id, op, this.clock(), this.auths.get(id) ?? []);
    if (!w.ok) return this.fail(w.code);
    if (w.result.type === 'closeSession') this.forget(id);
    return { zxid: long('zxid', w.zxid), err: 0, result: opResult(type, w.result) };
  }

  private multi(id: number, ops: readonly MultiOp[]): ZkReply {
    const multi: WriteRequest = { type: 'multi', ops: ops.map(opRequest) };
    const w = this.server.write(id, multi, this.clock(), this.auths.get(id) ?? []);
    if (!w.ok) {
      // ZooKeeper answers a refused multi with err 0 and one ErrorResult per op: OK before the
      // failing op, its code, then RUNTIMEINCONSISTENCY; clients find the cause in the results.
      const codes = w.opCodes ?? ops.map(() => w.code);
      return this.ok({
        kind: 'multi',
        results: codes.map((err): MultiResult => ({ type: OpCode.error, err })),
      });
    }
    if (w.result.type !== 'multi' || w.result.results.length !== ops.length) {
      throw new Error('a multi txn answered with a different number of results');
    }
    const results = w.result.results;
    return {
      zxid: long('zxid', w.zxid),
      err: 0,
      result: {
        kind: 'multi',
        results: ops.map((op, i): MultiResult => {
          const r = results[i];
          if (r === undefined) throw new Error('multi: hole in results');
          return { type: op.type, err: 0, result: opResult(op.type, r) };
        }),
      },
    };
  }

  private ok(result: ZkResult): ZkReply {
    return { zxid: this.lastZxid(), err: 0, result };
  }

  private fail(err: number): ZkReply {
    return { zxid: this.lastZxid(), err };
  }

  /** A session that ended: its password and identities go with it. */
  private forget(id: number): void {
    this.passwords.delete(id);
    this.auths.delete(id);
  }

  /** Hands every attached session's queued notifications to its connection, oldest first. */
  private deliver(): void {
    for (const [id, sink] of this.sinks) {
      const events = this.server.watches.take(id);
      if (events.length === 0) continue;
      const send = (): void => {
        for (const e of events) sink(wireEvent(e));
      };
      if (this.mutant === 'notify-after-reply') setImmediate(send);
      else send();
    }
  }
}

export function wireEvent(e: WatchEvent): WatcherEvent {
  return { type: EVENT_TYPES[e.type], state: KeeperState.syncConnected, path: e.path };
}

/** ZK_ERR and the wire's ErrCode are the same numbers; a drift would mislead every client. */
const SAME_CODES: readonly (readonly [number, number])[] = [
  [ZK_ERR.NONODE, ErrCode.noNode],
  [ZK_ERR.NODEEXISTS, ErrCode.nodeExists],
  [ZK_ERR.BADVERSION, ErrCode.badVersion],
  [ZK_ERR.NOTEMPTY, ErrCode.notEmpty],
  [ZK_ERR.SESSIONEXPIRED, ErrCode.sessionExpired],
  [ZK_ERR.BADARGUMENTS, ErrCode.badArguments],
  [ZK_ERR.NOCHILDRENFOREPHEMERALS, ErrCode.noChildrenForEphemerals],
  [ZK_ERR.RUNTIMEINCONSISTENCY, ErrCode.runtimeInconsistency],
  [ZK_ERR.UNIMPLEMENTED, ErrCode.unimplemented],
  [ZK_ERR.NOAUTH, ErrCode.noAuth],
  [ZK_ERR.INVALIDACL, ErrCode.invalidACL],
];
for (const [a, b] of SAME_CODES) {
  if (a !== b) throw new Error(`coordination error code ${a} is ${b} on the wire`);
}
