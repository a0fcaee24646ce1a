/**
 * A ZooKeeper server on Zab: a Zab server (src/protocols/zab) whose state machine is ZooKeeper's
 * (zk-machine.ts), with what ZooKeeper adds around it.
 *
 *  - Reads and pings are answered by the server the client asked, from its own applied state,
 *    with the zxid that state is at; writes go through Zab and are answered by that same server
 *    once it has applied them. A server refuses (definitely: the client may go elsewhere) a
 *    client that has seen a later zxid than it has applied, and serves no one until it is in
 *    Zab's broadcast phase.
 *  - Sessions: the server records which of its clients' sessions it heard from (any request or
 *    ping); a follower reports them to its leader every tick. Only the leader, in broadcast,
 *    proposes expireSession for a session silent past its timeout on its own clock; a new leader
 *    first counts every session as heard at its start, so a change of leader expires no one.
 *    No server ends a session on its own. The leader also sweeps emptied containers and expired
 *    TTL nodes (zk-container-sweep.ts).
 *  - Watches ride on the answers a server gives each session (zk-watch-delivery.ts); the ops
 *    beyond reads and plain writes (multi, sync, the lock's resource, a client's pause) are
 *    zk-serve-more.ts's.
 */
import type { Json } from '../../core/json.js';
import type {
  ClientReply,
  ClientRequest,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  StartInfo,
} from '../../core/node.js';
import { ZabNode, type ZabOptions } from '../../protocols/zab/zab-node.js';
import { read } from '../coordination/reads.js';
import type { CoordMutant } from '../coordination/requests.js';
import { expiredSessions } from '../coordination/sessions.js';
import { treeProblem } from '../coordination/tree-invariants.js';
import { ZK_ERR } from '../coordination/zk-codes.js';
import { parseClientOp, servedAs } from './zk-client-ops.js';
import { MAX_TOUCHED, type ZkMsg } from './zk-messages.js';
import { parseWireOp, type WireWriteOp } from './zk-wire-ops.js';
import { ZkMachine, type ZkLogOp } from './zk-machine.js';
import { ContainerSweep } from './zk-container-sweep.js';
import { parseMoreOp } from './zk-more-ops.js';
import type { FenceMutant } from './zk-resource.js';
import {
  onPauseOver,
  PAUSE_TIMER,
  serveMore,
  startPause,
  type MoreServing,
} from './zk-serve-more.js';
import { WatchDelivery, type DeliveryMutant } from './zk-watch-delivery.js';
import { znodeView } from './zk-tree-view.js';

export interface ZkServerOptions {
  readonly zab: ZabOptions;
  /** Zab's tick, also ZooKeeper's tickTime: session timeouts are clamped to 2–20 of them. */
  readonly tickMs: number;
  /** The timeout a client's connect asks for, ms. */
  readonly sessionTimeoutMs: number;
  readonly mutant?: CoordMutant;
  /** Mutant `serve-stale`: the server answers a client that has seen a later zxid than it has. */
  readonly serveStale?: boolean;
  /**
   * Mutant `follower-expires`: every server in broadcast, not only the leader, proposes the
   * expiry of sessions silent on its own clock, though it hears only its own clients.
   */
  readonly followerExpires?: boolean;
  /** Mutant `ignore-fencing`: the protected resource accepts any token. */
  readonly fenceMutant?: FenceMutant;
  /** Mutants `one-shot-stays` and `late-notify` of watch delivery. */
  readonly deliveryMutant?: DeliveryMutant;
  /** Mutant `sync-local`: sync is answered from the server's own state. */
  readonly syncLocal?: boolean;
  /** Keep every applied session expiry for the simulator's judge (zk-session-judge.ts). */
  readonly recordExpiries?: boolean;
}

const TICK = 'zk-tick';

export class ZkServer implements ProtocolNode<ZkMsg, Json> {
  readonly zab: ZabNode;
  readonly machine: ZkMachine;
  /** Sessions this server's clients were heard from since its last report to the leader. */
  private touched = new Set<number>();
  /** Leader: when it last heard from each session, on its own clock. */
  private readonly lastHeard = new Map<number, number>();
  /** Leader: the epoch it leads, so a new term of leadership starts its clocks afresh. */
  private ledEpoch = -1;
  /** Leader: sessions whose expiry it has proposed. */
  private readonly expiring = new Set<number>();
  /** Ids of the leader's own requests (expiries), below every client's: their replies go nowhere. */
  private ownRequests = 0;
  /** The machine's position when its tree was last checked. */
  private checkedAt = -1;
  /** Leader: the containers and TTL nodes whose deletion it has proposed. */
  private readonly sweep = new ContainerSweep();
  /** Watches and the ops of zk-more-ops.ts (zk-serve-more.ts). */
  private readonly more: MoreServing;
  /** The tree's view (for the lab) and the position it was taken at: inspect() is frequent. */
  private treeView: { readonly at: number; readonly view: Record<string, Json> } | undefined;

  constructor(
    private readonly env: NodeEnv<ZkMsg>,
    private readonly options: ZkServerOptions,
  ) {
    this.machine = new ZkMachine({ tickMs: options.tickMs }, options.mutant, options.fenceMutant);
    if (options.recordExpiries === true) this.machine.expiryLog = [];
    const delivery = new WatchDelivery(options.deliveryMutant);
    this.machine.subscribe((txn) => delivery.applied(txn));
    const writesInFlight: MoreServing['writesInFlight'] = new Map();
    const zabEnv: NodeEnv<ZkMsg> = {
      id: env.id,
      cluster: env.cluster,
      peers: env.peers,
      random: env.random,
      storage: env.storage,
      now: () => env.now(),
      send: (to, msg) => env.send(to, msg),
      setTimer: (delayMs, name, data) => env.setTimer(delayMs, name, data),
      cancelTimer: (id) => env.cancelTimer(id),
      // The leader's own requests have negative ids: their answers go nowhere.
      reply: (id: RequestId, reply: ClientReply) => {
        if (id < 0) return;
        // A write's answer carries the notifications due before it, as a read's does.
        const w = writesInFlight.get(id);
        writesInFlight.delete(id);
        if (w === undefined || !reply.ok) return env.reply(id, reply);
        const session = this.machine.sessionFor(w.client);
        env.reply(id, {
          ...reply,
          value: delivery.deliver(session, reply.value, this.more.inc, w.tag),
        });
      },
      log: (message, fields) => env.log(message, fields),
      metric: (name, value) => env.metric(name, value),
    };
    this.zab = new ZabNode(zabEnv, this.machine, options.zab);
    this.more = {
      env,
      zab: this.zab,
      machine: this.machine,
      delivery,
      inc: env.now(),
      tickMs: options.tickMs,
      sessionTimeoutMs: options.sessionTimeoutMs,
      syncLocal: options.syncLocal === true,
      writesInFlight,
    };
  }

  start(info: StartInfo): void {
    this.zab.start();
    this.env.setTimer(this.options.tickMs, TICK);
    void info;
  }

  onMessage(from: NodeId, msg: ZkMsg): void {
    if (msg.type !== 'zk-touch') {
      this.zab.onMessage(from, msg);
      return;
    }
    if (!this.leading() || msg.epoch !== this.zab.epoch || !this.env.cluster.includes(from)) {
      return;
    }
    const now = this.env.now();
    for (const s of msg.sessions) this.lastHeard.set(s, now);
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === PAUSE_TIMER) {
      onPauseOver(this.more, data);
      return;
    }
    if (name !== TICK) {
      this.zab.onTimer(name, data);
      return;
    }
    this.env.setTimer(this.options.tickMs, TICK);
    if (this.leading()) this.expireSilent();
    else {
      this.report();
      if (this.options.followerExpires === true && this.zab.phase === 'broadcast') {
        this.expireSilent();
      }
    }
  }

  private leading(): boolean {
    return this.zab.state === 'leading' && this.zab.phase === 'broadcast';
  }

  private touch(session: number): void {
    if (session === 0) return;
    if (this.leading()) this.lastHeard.set(session, this.env.now());
    else {
      this.touched.add(session);
      if (this.options.followerExpires === true) this.lastHeard.set(session, this.env.now());
    }
  }

  /** A wire client of this server was heard from (any packet, pings included). */
  heard(session: number): void {
    if (this.machine.state.session(session) !== undefined) this.touch(session);
  }

  /** A follower tells its leader which sessions it heard from. */
  private report(): void {
    const leader = this.zab.leader;
    if (this.zab.state !== 'following' || this.zab.phase !== 'broadcast' || leader === undefined)
      return;
    if (this.touched.size === 0) return;
    const all = [...this.touched].sort((a, b) => a - b);
    this.touched = new Set();
    for (let i = 0; i < all.length; i += MAX_TOUCHED) {
      const sessions = all.slice(i, i + MAX_TOUCHED);
      this.env.send(leader, { type: 'zk-touch', epoch: this.zab.epoch, sessions });
    }
  }

  /** The leader proposes the end of every session silent past its timeout. */
  private expireSilent(): void {
    const now = this.env.now();
    if (this.ledEpoch !== this.zab.epoch) {
      this.ledEpoch = this.zab.epoch;
      this.lastHeard.clear();
      this.expiring.clear();
      this.sweep.reset();
    }
    for (const id of this.machine.state.sessions.keys()) {
      if (!this.lastHeard.has(id)) this.lastHeard.set(id, now);
    }
    for (const target of expiredSessions(this.machine.state, this.lastHeard, now)) {
      if (this.expiring.has(target)) continue;
      this.expiring.add(target);
      this.env.metric('zk.expiry-proposed');
      const op: ZkLogOp = { w: { type: 'expireSession', target }, t: now };
      // One client name per session: a session expires at most once, so seq 1 is its only request.
      this.zab.onClientRequest({
        id: --this.ownRequests,
        client: `expire:${target}`,
        seq: 1,
        op: op as unknown as Json,
      });
    }
    this.sweep.sweep(this.machine.state, now, this.machine.position, (client, op) => {
      this.env.metric('zk.container-delete-proposed');
      this.zab.onClientRequest({ id: --this.ownRequests, client, seq: 1, op });
    });
  }

  onClientRequest(request: ClientRequest<Json>): void {
    const wire = parseWireOp(request.op);
    if (wire !== undefined) {
      this.serveWire(request, wire);
      return;
    }
    const more = parseMoreOp(request.op);
    // A paused client is silent: its pause touches no session, whatever state the server is in.
    if (more?.f === 'pause') {
      startPause(this.more, request, more);
      return;
    }
    const plain = more === undefined ? parseClientOp(request.op) : undefined;
    const op = more ?? plain;
    if (op === undefined) {
      this.env.reply(request.id, { ok: false, error: 'invalid operation', definite: true });
      return;
    }
    if (this.zab.phase !== 'broadcast') {
      this.env.reply(request.id, { ok: false, error: 'not serving', definite: true });
      return;
    }
    const zxid = this.machine.position;
    if (op.seen > zxid && this.options.serveStale !== true) {
      this.env.reply(request.id, { ok: false, error: 'server behind client', definite: true });
      return;
    }
    const session = this.machine.sessionFor(request.client);
    this.touch(session);
    if (more !== undefined) {
      serveMore(this.more, request, more, session);
      return;
    }
    if (plain === undefined) throw new Error('an op that is neither kind passed the parse');
    const served = servedAs(plain, this.options.sessionTimeoutMs);
    if (served.kind === 'write') {
      this.more.writesInFlight.set(request.id, { client: request.client, tag: false });
      const logged: ZkLogOp = { w: served.req, t: this.env.now() };
      this.zab.onClientRequest({ ...request, op: logged as unknown as Json });
      return;
    }
    let value: Json;
    if (session === 0) value = { code: ZK_ERR.SESSIONEXPIRED, zxid };
    else if (served.kind === 'ping') value = { code: ZK_ERR.OK, zxid };
    else {
      const r = read(this.machine.state, undefined, session, served.req);
      if (!r.ok) value = { code: r.code, zxid };
      else if (r.result.type === 'getData')
        value = { code: ZK_ERR.OK, zxid, data: r.result.data, version: r.result.stat.version };
      else if (r.result.type === 'exists' && r.result.stat !== null)
        value = { code: ZK_ERR.OK, zxid, version: r.result.stat.version };
      else value = { code: ZK_ERR.NONODE, zxid };
    }
    this.env.reply(request.id, {
      ok: true,
      value: this.more.delivery.deliver(session, value, this.more.inc, false),
    });
  }

  /** A wire client's write: through Zab under the session it names, as the workload's are. */
  private serveWire(request: ClientRequest<Json>, op: WireWriteOp): void {
    if (this.zab.phase !== 'broadcast') {
      this.env.reply(request.id, { ok: false, error: 'not serving', definite: true });
      return;
    }
    if (op.seen > this.machine.position && this.options.serveStale !== true) {
      this.env.reply(request.id, { ok: false, error: 'server behind client', definite: true });
      return;
    }
    this.touch(op.s);
    // Whole ms: ctime and mtime go to the wire as longs (a real clock has fractions).
    const logged: ZkLogOp = {
      w: op.w,
      t: Math.floor(this.env.now()),
      s: op.s,
      ...(op.a !== undefined ? { a: op.a } : {}),
    };
    this.zab.onClientRequest({ ...request, op: logged as unknown as Json });
  }

  /** ZooKeeper's tickTime here, which session timeouts are negotiated in. */
  get tickMs(): number {
    return this.options.tickMs;
  }

  /** The tree's first broken invariant, checked only when the state moved since the last call. */
  treeProblemIfChanged(): string | undefined {
    if (this.machine.position === this.checkedAt) return undefined;
    this.checkedAt = this.machine.position;
    return treeProblem(this.machine.state);
  }

  inspect(): NodeView {
    return {
      ...this.zab.inspect(),
      touched: this.touched.size,
      watchedSessions: this.lastHeard.size,
      ...this.znodes(),
    };
  }

  private znodes(): Record<string, Json> {
    const at = this.machine.position;
    if (this.treeView?.at !== at) this.treeView = { at, view: znodeView(this.machine.state) };
    return this.treeView.view;
  }
}
