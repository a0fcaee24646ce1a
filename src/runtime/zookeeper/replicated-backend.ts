/**
 * A ZkBackend over the zookeeper system's server on this node (src/systems/zookeeper: ZooKeeper's
 * coordination state machine on Zab): what `truthkit node --zk` serves.
 *
 *  - Writes (create, delete, setData, check, multi, closeSession, and a new session's
 *    createSession) become wire ops (zk-wire-ops.ts) that the local server sends through Zab;
 *    each is answered once this server has applied it. `sync` is such a write too, a check of `/`
 *    at any version: once this server has applied it, it has applied everything the leader had
 *    committed when it was proposed.
 *  - Reads are served from this server's applied state, as ZooKeeper's are (sequentially
 *    consistent per client), but only after the session's earlier writes have been answered, so
 *    a client that pipelines a write and a read reads its own write (ZooKeeper's FIFO order).
 *  - A client whose last zxid is ahead of this server is refused by the front end (server.ts)
 *    before it reaches here; a server not in Zab's broadcast phase serves no one: it refuses
 *    connects and closes every connection it holds, so clients move to a server that serves.
 *  - Sessions live in the replicated state: created through Zab, touched here on every packet
 *    (the server reports touches to its leader), expired only by the leader's proposal. A
 *    session's password is an HMAC of its id under the cluster secret, so any server can check
 *    a client that resumes its session there, and none has to store it.
 *  - Watches are this server's own: registered by reads here, fired from the txns this server
 *    applies, handed to the connection before any reply that follows the txn.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientReply } from '../../core/node.js';
import type { Json } from '../../core/json.js';
import { read } from '../../systems/coordination/reads.js';
import type { WriteRequest } from '../../systems/coordination/requests.js';
import type { Txn } from '../../systems/coordination/txns.js';
import { WatchManager, txnEvents } from '../../systems/coordination/watches.js';
import { ZK_ERR } from '../../systems/coordination/zk-codes.js';
import { wireResultOf, type WireWriteResult } from '../../systems/zookeeper/zk-wire-ops.js';
import type { ZkServer as ZkNode } from '../../systems/zookeeper/zk-server.js';
import type { BackendInfo, SessionGrant, ZkBackend, ZkReply } from './backend.js';
import {
  answerLocally,
  bad,
  BadRequest,
  fromLong,
  long,
  opRequest,
  opResult,
  wireEvent,
  withIdentity,
} from './coordination-backend.js';
import { ErrCode, OpCode } from './constants.js';
import type { ConnectRequest, Id, WatcherEvent } from './records.js';
import type { MultiOp, ZkRequest } from './requests.js';
import type { MultiResult, ZkResult } from './responses.js';

/** What the backend needs of the process that runs the node. */
export interface ReplicatedHost {
  readonly id: string;
  readonly server: ZkNode;
  /** False once the node has stopped (or stopped itself on an error). */
  running(): boolean;
  /** Submits a request to the local node; `onReply` gets its answer (RuntimeNode.submitLocal). */
  submit(client: string, seq: number, op: Json, onReply: (reply: ClientReply) => void): () => void;
  /** Runs protocol code as one of the node's steps. */
  guard(fn: () => void): void;
  /** The cluster secret: session passwords are derived from it. */
  readonly secret: Buffer;
}

/**
 * Deliberately broken variants, each caught by test/runtime/zookeeper/replicated-backend.test.ts:
 * - `read-before-write`: a read is served at once, not after the session's earlier writes;
 * - `any-passwd`: a client resuming a session is not asked for the session's password.
 */
export const REPLICATED_BACKEND_MUTANTS = ['read-before-write', 'any-passwd'] as const;
export type ReplicatedBackendMutant = (typeof REPLICATED_BACKEND_MUTANTS)[number];

export interface ReplicatedBackendOptions {
  /** How long a write may wait for its answer before its connection is closed (ms). */
  readonly writeTimeoutMs?: number;
  /** How often the backend looks whether its server still serves (ms). */
  readonly checkMs?: number;
  readonly mutant?: ReplicatedBackendMutant;
}

/** The server cannot serve now (not in broadcast, stopped, or its write was not answered). */
export class NotServingError extends Error {
  readonly code = 'not-serving';
  constructor(why: string) {
    super(`zookeeper server not serving: ${why}`);
    this.name = 'NotServingError';
  }
}

/** The node answered a wire write with something that is not a wire answer (a broken invariant). */
export class WireAnswerError extends Error {
  readonly code = 'wire-answer';
  constructor(value: unknown) {
    super(`malformed answer to a wire write: ${JSON.stringify(value)}`);
    this.name = 'WireAnswerError';
  }
}

const PASSWD_BYTES = 16;
const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
const DEFAULT_CHECK_MS = 50;
/** `sync`: a write that changes nothing, ordered after all the leader had committed. */
const BARRIER: WriteRequest = { type: 'check', path: '/', version: -1 };

export class ReplicatedBackend implements ZkBackend {
  private readonly watches = new WatchManager();
  private readonly sinks = new Map<number, (e: WatcherEvent) => void>();
  private readonly enders = new Map<number, () => void>();
  private readonly auths = new Map<number, readonly Id[]>();
  /** Per session, the settling of its latest write on its current connection: reads wait for it. */
  private readonly tails = new Map<number, Promise<void>>();
  /**
   * Client names for writes in flight. Zab keeps one pending request per client name, and a
   * connection pipelines many, so each write takes a free lane (its own name) and the next seq
   * on it; lanes are reused, so the machine's per-client memory stays bounded.
   */
  private readonly freeLanes: number[] = [];
  private readonly laneSeq: number[] = [];
  /** Lane names of this process differ from a restarted one's, whose seqs start again at 1. */
  private readonly incarnation = randomBytes(6).toString('hex');
  private readonly writeTimeoutMs: number;
  private readonly timer: NodeJS.Timeout;
  /** Stops this port hearing of the machine's txns (close). */
  private readonly unsubscribe: () => void;
  private readonly mutant: ReplicatedBackendMutant | undefined;

  constructor(
    private readonly host: ReplicatedHost,
    o: ReplicatedBackendOptions = {},
  ) {
    for (const [name, v] of [
      ['writeTimeoutMs', o.writeTimeoutMs],
      ['checkMs', o.checkMs],
    ] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
        throw new RangeError(`${name} must be a positive integer, not ${v}`);
      }
    }
    this.writeTimeoutMs = o.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.mutant = o.mutant;
    this.unsubscribe = host.server.machine.subscribe((txn) => this.applied(txn));
    this.timer = setInterval(() => this.check(), o.checkMs ?? DEFAULT_CHECK_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  /** Serving: running and in Zab's broadcast phase (a leader with a quorum, or its follower). */
  serving(): boolean {
    return this.host.running() && this.host.server.zab.phase === 'broadcast';
  }

  /** A server that stopped serving closes its connections, so its clients go elsewhere. */
  private check(): void {
    if (this.serving()) return;
    for (const end of [...this.enders.values()]) end();
  }

  /** A txn this server applied: fire its watches, and close a session the leader expired. */
  private applied(txn: Txn): void {
    this.watches.trigger(txnEvents(txn));
    let ended: number | undefined;
    if (txn.body.type === 'closeSession') {
      const s = txn.body.session;
      this.watches.removeSession(s);
      this.auths.delete(s);
      // Expired (not closed by its own client, whose connection closes after the reply).
      if (txn.session !== s) ended = s;
    }
    this.deliver();
    if (ended !== undefined) this.enders.get(ended)?.();
  }

  private passwd(session: number): Buffer {
    return createHmac('sha256', this.host.secret)
      .update(`zookeeper session ${session}`)
      .digest()
      .subarray(0, PASSWD_BYTES);
  }

  async connect(req: ConnectRequest): Promise<SessionGrant | undefined> {
    if (!this.serving()) throw new NotServingError('connect');
    const seen = fromLong(req.lastZxidSeen) ?? 0;
    if (req.sessionId === 0n) {
      if (!Number.isSafeInteger(req.timeOut) || req.timeOut < 0) return undefined;
      const w = await this.write(0, { type: 'createSession', timeout: req.timeOut }, seen);
      if (w.code !== ZK_ERR.OK || w.r?.type !== 'createSession') {
        throw new NotServingError(`createSession answered ${w.code}`);
      }
      return {
        sessionId: long('session', w.r.session),
        timeOut: w.r.timeout,
        passwd: this.passwd(w.r.session),
        readOnly: false,
      };
    }
    const id = fromLong(req.sessionId);
    if (id === undefined || id === 0) return undefined;
    const passwd = this.passwd(id);
    const matches = req.passwd.length === passwd.length && timingSafeEqual(req.passwd, passwd);
    if (!matches && this.mutant !== 'any-passwd') return undefined;
    const state = this.host.server.machine.state;
    // Created through another server, perhaps not yet applied here: what the leader had
    // committed is here once a write sent now is (ZooKeeper asks the leader to revalidate).
    if (state.session(id) === undefined) await this.write(0, BARRIER, seen);
    const session = state.session(id);
    if (session === undefined) return undefined;
    if (!this.serving()) throw new NotServingError('connect');
    this.host.guard(() => this.host.server.heard(id));
    return { sessionId: req.sessionId, timeOut: session.timeout, passwd, readOnly: false };
  }

  touch(sessionId: bigint): void {
    const id = fromLong(sessionId);
    if (id !== undefined && id !== 0) this.host.guard(() => this.host.server.heard(id));
  }

  attach(sessionId: bigint, sink: (event: WatcherEvent) => void, end?: () => void): () => void {
    const id = fromLong(sessionId);
    if (id === undefined) throw new RangeError(`attached session ${sessionId} is out of range`);
    const previous = this.sinks.has(id) ? this.enders.get(id) : undefined;
    // FIFO order holds per connection: a new one's reads do not wait for writes the client
    // sent on an old one, whose answers it will never see (they may wait out writeTimeoutMs).
    this.tails.delete(id);
    // Identities belong to the connection too: the client sends its auths again on a new one.
    this.auths.set(id, []);
    this.sinks.set(id, sink);
    if (end === undefined) this.enders.delete(id);
    else this.enders.set(id, end);
    // The session moved to a new connection here: the old one may be half-open.
    previous?.();
    return () => {
      if (this.sinks.get(id) !== sink) return;
      this.sinks.delete(id);
      this.enders.delete(id);
      this.tails.delete(id);
      // Watches belong to a connection: the client sends them again (setWatches) on reconnect.
      this.watches.removeSession(id);
    };
  }

  addAuth(sessionId: bigint, id: Id): void {
    const s = fromLong(sessionId);
    if (s === undefined) return;
    this.auths.set(s, withIdentity(this.auths.get(s) ?? [], id));
  }

  lastZxid(): bigint {
    return long('lastZxid', this.host.server.machine.position);
  }

  info(): BackendInfo {
    const state = this.host.server.machine.state;
    let ephemeralsCount = 0;
    for (const s of state.sessions.values()) ephemeralsCount += s.ephemerals.size;
    let approximateDataSize = 0;
    for (const [path, n] of state.nodes) approximateDataSize += path.length + n.stat.dataLength;
    const zab = this.host.server.zab;
    return {
      mode: zab.state === 'leading' ? 'leader' : zab.state === 'following' ? 'follower' : 'looking',
      nodeCount: state.nodes.size,
      watchCount: this.watches.count(),
      ephemeralsCount,
      approximateDataSize,
    };
  }

  submit(sessionId: bigint, req: ZkRequest): Promise<ZkReply> {
    if (!this.serving()) return Promise.reject(new NotServingError('request'));
    const id = fromLong(sessionId);
    if (id === undefined || this.host.server.machine.state.session(id) === undefined) {
      return Promise.resolve(this.fail(ErrCode.sessionExpired));
    }
    try {
      switch (req.type) {
        case OpCode.sync:
          return this.ordered(id, this.write(id, BARRIER, 0)).then((w) =>
            w.code === ZK_ERR.OK
              ? { zxid: long('zxid', w.zxid), err: 0, result: { kind: 'path', path: req.path } }
              : this.fail(w.code),
          );
        case OpCode.closeSession:
          return this.writeReply(id, req.type, { type: 'closeSession' });
        case OpCode.setACL:
          return this.writeReply(id, req.type, {
            type: 'setACL',
            path: req.path,
            acl: req.acl,
            version: req.version,
          });
        case OpCode.multi:
          return this.multi(id, req.ops);
        case OpCode.create:
        case OpCode.create2:
        case OpCode.createContainer:
        case OpCode.createTTL:
        case OpCode.delete:
        case OpCode.setData:
        case OpCode.check:
          return this.writeReply(id, req.type, opRequest(req));
        default:
          return this.afterWrites(id, () => this.serveLocal(id, req));
      }
    } catch (e) {
      if (e instanceof BadRequest) return Promise.resolve(this.fail(e.code));
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Runs `serve` once the session's earlier writes are answered (FIFO per session). */
  private afterWrites(id: number, serve: () => ZkReply): Promise<ZkReply> {
    const run = (): ZkReply => {
      if (!this.serving()) throw new NotServingError('read');
      try {
        return serve();
      } catch (e) {
        if (e instanceof BadRequest) return this.fail(e.code);
        throw e;
      } finally {
        this.deliver();
      }
    };
    const tail = this.mutant === 'read-before-write' ? undefined : this.tails.get(id);
    if (tail === undefined) {
      try {
        return Promise.resolve(run());
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return tail.then(run);
  }

  /** Records `write` as the session's latest, for its later reads to wait on. */
  private ordered<T>(id: number, write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(id, settled);
    void settled.then(() => {
      if (this.tails.get(id) === settled) this.tails.delete(id);
    });
    return write;
  }

  private serveLocal(id: number, req: ZkRequest): ZkReply {
    const state = this.host.server.machine.state;
    if (state.session(id) === undefined) return this.fail(ErrCode.sessionExpired);
    const auth = this.auths.get(id) ?? [];
    // Every packet already touched the session (the front end's `touch`): nothing more to hear.
    const local = answerLocally(
      req,
      id,
      (r) => read(state, this.watches, id, r, auth),
      this.watches,
      state,
      () => {},
    );
    if (local === undefined) return bad();
    return typeof local === 'number' ? this.fail(local) : this.ok(local);
  }

  private writeReply(id: number, type: number, op: WriteRequest): Promise<ZkReply> {
    return this.ordered(id, this.write(id, op, 0)).then((w): ZkReply => {
      if (w.code !== ZK_ERR.OK || w.r === undefined) return this.failAt(w.code, w.zxid);
      return { zxid: long('zxid', w.zxid), err: 0, result: opResult(type, w.r) };
    });
  }

  private multi(id: number, ops: readonly MultiOp[]): Promise<ZkReply> {
    const op: WriteRequest = { type: 'multi', ops: ops.map(opRequest) };
    return this.ordered(id, this.write(id, op, 0)).then((w): ZkReply => {
      if (w.code !== ZK_ERR.OK || w.r === undefined) {
        // As ZooKeeper: err 0 and one ErrorResult per op (OK before the failing op, its code,
        // then RUNTIMEINCONSISTENCY); clients find the cause in the results.
        const codes = w.opCodes ?? ops.map(() => w.code);
        const results = codes.map((err): MultiResult => ({ type: OpCode.error, err }));
        return { zxid: long('zxid', w.zxid), err: 0, result: { kind: 'multi', results } };
      }
      const r = w.r;
      if (r.type !== 'multi' || r.results.length !== ops.length) {
        throw new WireAnswerError(r);
      }
      const results = ops.map((o, i): MultiResult => {
        const one = r.results[i];
        if (one === undefined) throw new WireAnswerError(r);
        return { type: o.type, err: 0, result: opResult(o.type, one) };
      });
      return { zxid: long('zxid', w.zxid), err: 0, result: { kind: 'multi', results } };
    });
  }

  /** Sends a write through the local server; resolves with its answer once applied here. */
  private write(session: number, w: WriteRequest, seen: number): Promise<WireWriteResult> {
    return new Promise((resolve, reject) => {
      const lane = this.freeLanes.pop() ?? this.laneSeq.length;
      const seq = (this.laneSeq[lane] ?? 0) + 1;
      this.laneSeq[lane] = seq;
      const client = `zk:${this.host.id}:${this.incarnation}:${lane}`;
      let settled = false;
      let abandon = (): void => {};
      const timer = setTimeout(() => {
        if (!finish()) return;
        abandon();
        reject(new NotServingError(`no answer within ${this.writeTimeoutMs} ms`));
      }, this.writeTimeoutMs);
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        this.freeLanes.push(lane);
        return true;
      };
      // The connection's identities go into the log with the write, so every server checks the
      // write's ACLs against the same ones and decides NOAUTH alike.
      const auth = this.auths.get(session) ?? [];
      const op: Json = {
        f: 'wire',
        s: session,
        seen,
        w: w as unknown as Json,
        ...(auth.length > 0 ? { a: auth.map((i) => ({ scheme: i.scheme, id: i.id })) } : {}),
      };
      abandon = this.host.submit(client, seq, op, (reply) => {
        if (!finish()) return;
        if (!reply.ok) {
          reject(new NotServingError(reply.error));
          return;
        }
        const r = wireResultOf(reply.value);
        if (r === undefined) reject(new WireAnswerError(reply.value));
        else resolve(r);
      });
    });
  }

  private ok(result: ZkResult): ZkReply {
    return { zxid: this.lastZxid(), err: 0, result };
  }

  private fail(err: number): ZkReply {
    return { zxid: this.lastZxid(), err };
  }

  private failAt(err: number, zxid: number): ZkReply {
    return { zxid: long('zxid', zxid), err };
  }

  /** Hands every attached session's queued notifications to its connection, oldest first. */
  private deliver(): void {
    for (const [id, sink] of this.sinks) {
      for (const e of this.watches.take(id)) sink(wireEvent(e));
    }
  }
}
