/**
 * A node of the transactional database: replicas of its ranges (one Raft group each, through the
 * multi-Raft host), a gateway that coordinates the transactions its clients send
 * (coordinator.ts), and the small RPC layer between them: a coordinator's command goes to the
 * replica it believes holds the range's lease (its Raft leader), follows "not leader" hints and
 * tries the next replica when an answer does not come.
 */
import type { Json } from '../../core/json.js';
import type {
  ClientReply,
  ClientRequest,
  Message,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  StartInfo,
} from '../../core/node.js';
import { isGroupEnvelope, MultiRaftHost } from '../../protocols/multiraft/multi-raft-host.js';
import type { StateMachine } from '../../protocols/raft/raft-node.js';
import type { RaftNode } from '../../protocols/raft/raft-node.js';
import type { RaftMsg } from '../../protocols/raft/messages.js';
import type { TimestampCache } from '../../protocols/mvcc/timestamp-cache.js';
import type { CoordinatorSettings, TxnCoordinator } from './coordinator.js';
import { descriptorsIn, MetaMachine, type MetaOp } from './meta-machine.js';
import { META_RANGE, RangeCache, type RangeDescriptor, type RangeSpec } from './range-directory.js';
import type { LeaseMutant } from './range-lease.js';
import { emptyRangeState, RangeMachine, type RangeState } from './range-machine.js';
import type { MvccMutant } from '../../protocols/mvcc/mvcc-store.js';
import {
  isAdminOp,
  rangeOpProblem,
  rangeStateProblem,
  type AnyRangeOp,
  type RangeAdminOp,
  type RangeOp,
} from './range-ops.js';
import type { TxnClock } from './txn-clock.js';
import { TxnGateway, type SessionSettings } from './txn-sessions.js';
import type { RangeReply, RangeRequestMsg, RangeResponseMsg } from './txndb-messages.js';

const INCARNATION_KEY = 'txndb/incarnation';
/** A split-off range's first state, kept so the node reopens it after a crash. */
const BOOT_PREFIX = 'txndb/boot/';
const RPC_TIMER = 'rpc-retry';
const LATER_TIMER = 'later';
const LEASE_TIMER = 'lease';
/** Room for this many calls per incarnation in a call id (ids stay safe integers). */
const CALLS_PER_INCARNATION = 4_294_967_296;
/** Requests held at most per range while its lease is being acquired. */
const MAX_WAITING = 256;
/** Re-routes of one call in a row without the cache changing before it waits a timeout. */
const FREE_REROUTES = 2;

export interface RangeSettings {
  readonly mvccMutant: MvccMutant | null;
  readonly leaseMutant: LeaseMutant | null;
  readonly txnExpiryMs: number;
  /** A range holding more keys than this is split by its leaseholder. */
  readonly splitSize: number;
  /** How long a lease lasts from its (re)acquisition. */
  readonly leaseMs: number;
  /** The most two nodes' clocks may differ by: the lease's stasis period. */
  readonly leaseOffsetMs: number;
}

export interface TxnDbNodeOptions {
  /** The directory the cluster starts from: the meta range's first state. */
  readonly initial: readonly RangeDescriptor[];
  readonly metaReplicas: readonly NodeId[];
  readonly clock: (now: () => number) => TxnClock;
  /** The Raft node of one range (or of the meta range) over its state machine. */
  readonly makeGroup: (env: NodeEnv<RaftMsg>, id: string, sm: StateMachine) => RaftNode;
  readonly ranges: RangeSettings;
  readonly coordinator: CoordinatorSettings;
  /** Interactive transactions' idle time, deadline and cap (default DEFAULT_SESSION_SETTINGS). */
  readonly sessions?: SessionSettings;
  /** How long to wait for a range's answer before asking another replica. */
  readonly rpcTimeoutMs: number;
}

interface Call {
  range: RangeSpec;
  /** The key the call is routed by. */
  readonly key: string;
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
  readonly alive: () => boolean;
  readonly done: (reply: RangeReply) => void;
  target: NodeId;
  tries: number;
  /** Retries sent straight to a named leader. */
  hinted: number;
  reroutes: number;
  timer: number | null;
}

interface Serving {
  readonly from: NodeId;
  readonly call: number;
  readonly group: string;
  /** A write's key, latched against memory reads until the write is applied. */
  readonly latch: string | null;
  /** An internal proposal's continuation instead of an answer to send. */
  readonly internal?: (reply: ClientReply) => void;
}

interface Waiting {
  readonly from: NodeId;
  readonly req: RangeRequestMsg;
}

function mismatchDescs(value: Json, cluster: readonly NodeId[]): RangeDescriptor[] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if ((value as Record<string, Json>).kind !== 'range-key-mismatch') return null;
  return descriptorsIn(value, cluster);
}

export type TxnDbNodeErrorCode =
  'no-first-state' | 'damaged-first-state' | 'call-before-start' | 'no-range-machine';

/** A broken invariant of the node itself (never a peer's fault: those are answered, not thrown). */
export class TxnDbNodeError extends Error {
  constructor(
    readonly code: TxnDbNodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TxnDbNodeError';
  }
}

function isLeaseChanged(value: Json): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as Record<string, Json>).kind === 'lease-changed'
  );
}

export class TxnDbNode implements ProtocolNode<Message> {
  readonly host: MultiRaftHost;
  readonly clock: TxnClock;
  /** This node's own view of the range directory. */
  readonly directory: RangeCache;
  private incarnation: number | null = null;
  private recovered = false;
  private restartedAt = 0;
  private txnCount = 0;
  private nextCall = 1;
  private readonly calls = new Map<number, Call>();
  private nextServe = 1;
  /** Commands this node proposed to its own replicas: who to answer. */
  private readonly serving = new Map<number, Serving>();
  private readonly leaseholders = new Map<string, NodeId>();
  private nextLater = 1;
  private readonly laters = new Map<number, () => void>();
  private readonly coordinators = new Set<TxnCoordinator>();
  private readonly gateway: TxnGateway;
  private readonly machines = new Map<string, RangeMachine>();
  private meta: MetaMachine | null = null;
  /** A split's or a lease's proposal in flight, by range. */
  private readonly splitting = new Set<string>();
  private readonly acquiring = new Set<string>();
  private readonly leaseTimers = new Set<string>();
  private readonly transferring = new Set<string>();
  private readonly transferredFor = new Map<string, string>();
  /**
   * The term in which this node, as the range's leader, last saw its own lease entry applied: a
   * leader answers from memory only in that term (§6.4: a new leader's applied state may lack
   * entries committed before it, until it commits one of its own term).
   */
  private readonly confirmedTerm = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting[]>();
  /** Keys with a write evaluated under this node's lease and not yet applied, by range. */
  private readonly latches = new Map<
    string,
    { readonly seq: number; readonly keys: Map<string, number> }
  >();
  private adminSeq = 0;
  private metaSeq = 0;
  private bootFor: { readonly state: RangeState; readonly cache: TimestampCache | null } | null =
    null;
  private splitsDone = 0;

  constructor(
    private readonly env: NodeEnv<Message>,
    private readonly options: TxnDbNodeOptions,
  ) {
    this.clock = options.clock(() => env.now());
    this.directory = new RangeCache(options.initial);
    this.host = new MultiRaftHost(
      env,
      (groupEnv, group) => this.buildGroup(groupEnv, group.id),
      (group, id, reply) => this.onRangeReply(group, id, reply),
    );
    this.gateway = new TxnGateway({
      env: {
        clock: this.clock,
        random: env.random,
        rangeOf: (key) => this.directory.rangeOf(key),
        call: (range, client, seq, op, alive, done) =>
          this.call(range, client, seq, op, alive, done),
        later: (ms, fn) => this.later(ms, fn),
        metric: (name, value) => env.metric(name, value),
      },
      settings: options.coordinator,
      ...(options.sessions !== undefined ? { sessions: options.sessions } : {}),
      newId: () =>
        this.incarnation === null ? null : `${env.id}.${this.incarnation}.${++this.txnCount}`,
      now: () => this.clock.stamp().wall,
      running: this.coordinators,
    });
  }

  private get metaSpec(): RangeSpec {
    return {
      id: META_RANGE,
      start: '',
      end: null,
      replicas: this.options.metaReplicas,
      generation: 1,
    };
  }

  private buildGroup(groupEnv: NodeEnv<RaftMsg>, id: string): RaftNode {
    if (id === META_RANGE) {
      this.meta = new MetaMachine(this.options.initial);
      return this.options.makeGroup(groupEnv, id, this.meta);
    }
    const boot = this.bootFor;
    if (boot === null || boot.state.desc.id !== id)
      throw new TxnDbNodeError('no-first-state', `range ${id} opened without its first state`);
    const r = this.options.ranges;
    const machine = new RangeMachine(
      {
        mutant: r.mvccMutant,
        leaseMutant: r.leaseMutant,
        txnExpiryMs: r.txnExpiryMs,
        self: this.env.id,
        leaseOffsetMs: r.leaseOffsetMs,
        // Its clock may have stepped back by up to the offset since the crash.
        leaseNotBefore: this.recovered
          ? this.restartedAt + r.leaseOffsetMs
          : Number.NEGATIVE_INFINITY,
        hooks: {
          spawned: (state, cache) => this.onSpawned(machine, state, cache),
        },
      },
      boot.state,
    );
    if (boot.cache !== null) machine.adoptCache(boot.cache);
    this.machines.set(id, machine);
    return this.options.makeGroup(groupEnv, id, machine);
  }

  /** Opens a range's replica here from its first state, unless it is open already. */
  private openRange(state: RangeState, cache: TimestampCache | null, info: StartInfo): void {
    if (this.host.group(state.desc.id) !== undefined) return;
    this.bootFor = { state, cache };
    try {
      this.host.openGroup({ id: state.desc.id, replicas: state.desc.replicas }, info);
    } finally {
      this.bootFor = null;
    }
  }

  private onSpawned(parent: RangeMachine, state: RangeState, cache: TimestampCache | null): void {
    const id = state.desc.id;
    const fresh = this.host.group(id) === undefined;
    if (fresh) {
      // Kept before the range's Raft state can be: a crash that keeps any of the new group's
      // writes keeps this too, and the node reopens the range from it.
      this.env.storage.put(BOOT_PREFIX + id, state as unknown as Json);
      this.splitsDone++;
      this.env.metric('txndb.split');
    }
    this.openRange(state, cache, { recovered: false });
    const descs = [parent.descriptor, state.desc];
    this.directory.update(descs);
    // Every replica tells the meta range; the update is idempotent by generation.
    if (parent.descriptor.end === state.desc.start) this.updateMeta(descs);
  }

  start(info: StartInfo): void {
    this.recovered = info.recovered;
    this.restartedAt = this.env.now();
    if (this.options.metaReplicas.includes(this.env.id))
      this.host.openGroup({ id: META_RANGE, replicas: this.options.metaReplicas }, info);
    for (const d of this.options.initial) {
      if (d.replicas.includes(this.env.id)) this.openRange(emptyRangeState(d), null, info);
    }
    for (const k of this.env.storage.keys(BOOT_PREFIX).sort()) {
      const state = this.env.storage.get(k);
      if (rangeStateProblem(state) !== undefined)
        throw new TxnDbNodeError('damaged-first-state', `stored first state ${k} is damaged`);
      this.openRange(state as unknown as RangeState, null, info);
    }
    const last = this.env.storage.get(INCARNATION_KEY);
    const incarnation = (typeof last === 'number' ? last : 0) + 1;
    this.env.storage.put(INCARNATION_KEY, incarnation);
    // Transaction ids carry the incarnation, so a restarted node never reuses one: it takes
    // effect once durable.
    this.env.storage.sync(() => {
      this.incarnation = incarnation;
    });
  }

  // ---- client requests: the gateway ----------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    this.gateway.request(request.op, (reply) => this.env.reply(request.id, reply));
  }

  /** The transactions this node coordinates: one-shot and interactive (txn-sessions.ts). */
  get transactions(): TxnGateway {
    return this.gateway;
  }

  // ---- the RPC layer ---------------------------------------------------------------------------

  /**
   * Sends `op` to the range holding `range.routeKey` by this node's cache. A refresh whose keys
   * the cache now puts in several ranges (a split since they were read) goes to each, and is
   * ok when every part is.
   */
  private call(
    range: RangeSpec,
    client: string,
    seq: number,
    op: RangeOp,
    alive: () => boolean,
    done: (reply: RangeReply) => void,
    reroutes = 0,
  ): void {
    const key = range.routeKey ?? range.start;
    if (op.k === 'refresh' && op.spans.length === 0) {
      const parts = new Map<string, string[]>();
      for (const k of op.keys) {
        const id = this.directory.rangeOf(k).id;
        parts.set(id, [...(parts.get(id) ?? []), k]);
      }
      if (parts.size > 1) {
        let left = parts.size;
        let failed = false;
        for (const keys of parts.values()) {
          this.call(
            this.directory.rangeOf(keys[0]!),
            client,
            seq,
            { ...op, keys },
            alive,
            (reply) => {
              if (failed) return;
              const v = reply.ok ? reply.value : null;
              const ok =
                typeof v === 'object' &&
                v !== null &&
                !Array.isArray(v) &&
                (v as Record<string, Json>).ok === true;
              if (!ok) {
                failed = true;
                return done(reply);
              }
              if (--left === 0) done(reply);
            },
            reroutes,
          );
        }
        return;
      }
    }
    this.startCall(
      this.directory.rangeOf(key),
      key,
      client,
      seq,
      op as unknown as Json,
      alive,
      done,
      reroutes,
    );
  }

  private startCall(
    range: RangeSpec,
    key: string,
    client: string,
    seq: number,
    op: Json,
    alive: () => boolean,
    done: (reply: RangeReply) => void,
    reroutes = 0,
  ): void {
    const target = this.leaseholders.get(range.id) ?? range.replicas[0]!;
    const call: Call = {
      range,
      key,
      client,
      seq,
      op,
      alive,
      done,
      target,
      tries: 0,
      hinted: 0,
      reroutes,
      timer: null,
    };
    // Unique across restarts: an answer to a call of an earlier incarnation, still on its way,
    // must not be taken for the answer to a new call (it was: a stale read, found by
    // `cockroach --swarm --seed 3`).
    const incarnation = this.incarnation;
    if (incarnation === null)
      throw new TxnDbNodeError('call-before-start', 'a call before the node knows its incarnation');
    const id = incarnation * CALLS_PER_INCARNATION + this.nextCall++;
    this.calls.set(id, call);
    this.send(id, call);
  }

  private send(id: number, call: Call): void {
    call.tries++;
    call.timer = this.env.setTimer(this.options.rpcTimeoutMs, RPC_TIMER, { id });
    const req: RangeRequestMsg = {
      type: 'range-req',
      id,
      range: call.range.id,
      key: call.key,
      gen: call.range.generation,
      client: call.client,
      seq: call.seq,
      op: call.op,
      hlc: this.clock.stamp(),
    };
    if (call.target === this.env.id) this.serve(this.env.id, req);
    else this.env.send(call.target, req);
  }

  private retry(id: number, call: Call, hint: NodeId | null): void {
    if (call.timer !== null) this.env.cancelTimer(call.timer);
    call.timer = null;
    if (!call.alive()) {
      this.calls.delete(id);
      return;
    }
    const replicas = call.range.replicas;
    call.target =
      hint !== null && replicas.includes(hint) && hint !== call.target
        ? hint
        : replicas[(replicas.indexOf(call.target) + 1) % replicas.length]!;
    // Straight to a named leader, a few times; after a full round without one, or once named
    // leaders have sent the call back and forth (stale hints, a leadership transfer under way),
    // wait a timeout between tries.
    const hinted = hint !== null && ++call.hinted <= replicas.length;
    if (hinted || (hint === null && call.tries % replicas.length !== 0)) this.send(id, call);
    else call.timer = this.env.setTimer(this.options.rpcTimeoutMs, RPC_TIMER, { id, resend: true });
  }

  private onResponse(msg: RangeResponseMsg): void {
    const call = this.calls.get(msg.id);
    if (call === undefined) return;
    if (!msg.reply.ok) return this.retry(msg.id, call, msg.reply.leader);
    if (call.timer !== null) this.env.cancelTimer(call.timer);
    this.calls.delete(msg.id);
    this.leaseholders.set(call.range.id, call.target);
    const descs = mismatchDescs(msg.reply.value, this.env.cluster);
    if (descs !== null && call.range.id !== META_RANGE) return this.reroute(call, descs);
    call.done(msg.reply);
  }

  /**
   * A range answered that the call's key is not (or no longer) its own: learn the descriptors it
   * sent and send the call where they say. When they teach the cache nothing, ask the meta range;
   * and after a few re-routes in a row, wait a timeout first, so a stale meta range is not
   * hammered while it catches up.
   */
  private reroute(call: Call, descs: readonly RangeDescriptor[]): void {
    if (!call.alive()) return;
    this.env.metric('txndb.range-key-mismatch');
    const again = (): void => {
      if (!call.alive()) return;
      // Through `call`, not straight to the range: a refresh may now span several ranges.
      this.call(
        this.directory.rangeOf(call.key),
        call.client,
        call.seq,
        call.op as unknown as RangeOp,
        call.alive,
        call.done,
        call.reroutes + 1,
      );
    };
    const changed = this.directory.update(descs);
    if (changed && call.reroutes < FREE_REROUTES) return again();
    this.lookupMeta(() => {
      if (call.reroutes < FREE_REROUTES) again();
      else this.later(this.options.rpcTimeoutMs, again);
    });
  }

  /** Reads the whole directory from the meta range into this node's cache. */
  private lookupMeta(then: () => void): void {
    this.env.metric('txndb.meta-lookup');
    const op: MetaOp = { k: 'meta-scan' };
    let tries = 0;
    this.startCall(
      this.metaSpec,
      '',
      `${this.env.id}.${this.incarnation ?? 0}/meta`,
      ++this.metaSeq,
      op as unknown as Json,
      () => ++tries <= 20,
      (reply) => {
        const descs = reply.ok ? descriptorsIn(reply.value, this.env.cluster) : null;
        if (descs !== null) this.directory.update(descs);
        then();
      },
    );
  }

  /** Writes a split's two descriptors to the meta range (idempotent by generation). */
  private updateMeta(descs: readonly RangeDescriptor[]): void {
    if (this.incarnation === null) return;
    const op: MetaOp = { k: 'meta-put', descs };
    let tries = 0;
    this.startCall(
      this.metaSpec,
      '',
      `${this.env.id}.${this.incarnation}/meta-put`,
      ++this.metaSeq,
      op as unknown as Json,
      () => ++tries <= 50,
      () => {},
    );
  }

  // ---- serving: this node's replicas ---------------------------------------------------------

  /** A command for one of this node's replicas: answered from memory, or proposed to it. */
  private serve(from: NodeId, req: RangeRequestMsg): void {
    const group = this.host.group(req.range);
    if (group === undefined) {
      this.answer(from, req.id, {
        ok: false,
        error: `no replica of ${req.range} here`,
        leader: null,
        definite: true,
      });
      return;
    }
    if (req.range === META_RANGE) return this.propose(group, from, req, req.op, null);
    const machine = this.machines.get(req.range);
    if (machine === undefined)
      throw new TxnDbNodeError('no-range-machine', `range ${req.range} has no machine`);
    if (rangeOpProblem(req.op) !== undefined || isAdminOp(req.op as unknown as AnyRangeOp)) {
      this.answer(from, req.id, {
        ok: false,
        error: 'not a range command',
        leader: null,
        definite: true,
      });
      return;
    }
    // A key outside the range, or a route by an older descriptor: the sender's cache is stale.
    if (!machine.owns(req.key) || req.gen < machine.descriptor.generation) {
      this.answer(from, req.id, {
        ok: true,
        value: { kind: 'range-key-mismatch', descs: machine.descriptors() as unknown as Json },
      });
      return;
    }
    const op = { ...(req.op as unknown as RangeOp), at: req.key };
    const leader = group.role === 'leader';
    const now = this.env.now();
    if (leader) this.keepLease(req.range, machine, now);
    const usable = leader && this.confirmedTerm.get(req.range) === group.term;
    if (op.k === 'get' && usable && !this.latched(req.range, op.key)) {
      const value = machine.serveRead(op, now);
      if (value !== null) {
        this.env.metric('txndb.lease-read');
        this.answer(from, req.id, { ok: true, value });
        return;
      }
    }
    if (op.k === 'put' && leader) {
      const evaluated = usable ? machine.evaluatePut(op, now) : null;
      if (evaluated === null) return this.awaitLease(req.range, from, req);
      this.latch(req.range, op.key, +1);
      return this.propose(group, from, req, evaluated as unknown as Json, op.key);
    }
    this.propose(group, from, req, op as unknown as Json, null);
  }

  private propose(
    group: RaftNode,
    from: NodeId,
    req: RangeRequestMsg,
    op: Json,
    latch: string | null,
  ): void {
    const id = this.nextServe++;
    this.serving.set(id, { from, call: req.id, group: req.range, latch });
    group.onClientRequest({ id, client: req.client, seq: req.seq, op });
  }

  private proposeAdmin(range: string, op: RangeAdminOp, then: (reply: ClientReply) => void): void {
    const group = this.host.group(range);
    if (group === undefined || this.incarnation === null) return;
    const id = this.nextServe++;
    this.serving.set(id, { from: this.env.id, call: 0, group: range, latch: null, internal: then });
    group.onClientRequest({
      id,
      client: `${this.env.id}.${this.incarnation}/admin`,
      seq: ++this.adminSeq,
      op: op as unknown as Json,
    });
  }

  /**
   * The latches of `range` under its current lease. Those of an earlier lease are dropped: a
   * write evaluated under a lease that is no longer the range's is refused when applied.
   */
  private latchesOf(range: string): Map<string, number> {
    const seq = this.machines.get(range)?.lease?.seq ?? 0;
    let l = this.latches.get(range);
    if (l === undefined || l.seq !== seq) {
      l = { seq, keys: new Map() };
      this.latches.set(range, l);
    }
    return l.keys;
  }

  private latched(range: string, key: string): boolean {
    return (this.latchesOf(range).get(key) ?? 0) > 0;
  }

  private latch(range: string, key: string, by: number): void {
    const m = this.latchesOf(range);
    const n = (m.get(key) ?? 0) + by;
    if (n > 0) m.set(key, n);
    else m.delete(key);
  }

  private onRangeReply(group: string, id: RequestId, reply: ClientReply): void {
    const s = this.serving.get(id);
    if (s === undefined) return;
    this.serving.delete(id);
    // Only an applied write lifts its latch: one that failed may still commit later, and a
    // read from memory must not pass it. A new lease clears the rest (onLease).
    if (s.latch !== null && reply.ok) this.latch(group, s.latch, -1);
    if (s.internal !== undefined) return s.internal(reply);
    if (reply.ok && isLeaseChanged(reply.value)) {
      this.answer(s.from, s.call, {
        ok: false,
        error: 'the lease changed before the write applied',
        leader: null,
        definite: true,
      });
      return;
    }
    const r: RangeReply = reply.ok
      ? { ok: true, value: reply.value }
      : { ok: false, error: reply.error, leader: reply.leader ?? null, definite: reply.definite };
    this.answer(s.from, s.call, r);
    if (reply.ok && group !== META_RANGE) this.maybeSplit(group);
  }

  private answer(to: NodeId, call: number, reply: RangeReply): void {
    const msg: RangeResponseMsg = { type: 'range-resp', id: call, reply, hlc: this.clock.stamp() };
    if (to === this.env.id) this.onResponse(msg);
    else this.env.send(to, msg);
  }

  // ---- splits ----------------------------------------------------------------------------------

  /** The leaseholder splits a range grown past the split size, through the range's log. */
  private maybeSplit(range: string): void {
    const machine = this.machines.get(range);
    const group = this.host.group(range);
    if (machine === undefined || group === undefined || this.splitting.has(range)) return;
    if (group.role !== 'leader' || !machine.holdsLease(this.env.now())) return;
    if (machine.size <= this.options.ranges.splitSize) return;
    const key = machine.splitKey();
    if (key === null) return;
    const d = machine.descriptor;
    this.splitting.add(range);
    this.proposeAdmin(
      range,
      { k: 'split', key, gen: d.generation, right: `${d.id}.${d.generation + 1}` },
      () => {
        this.splitting.delete(range);
      },
    );
  }

  // ---- leases ----------------------------------------------------------------------------------

  /** Acquires the lease when there is none of this node's, and extends it past half its life. */
  private keepLease(range: string, machine: RangeMachine, now: number): void {
    const lease = machine.lease;
    const mine = lease !== null && lease.holder === this.env.id;
    const confirmed = this.confirmedTerm.get(range) === this.host.group(range)?.term;
    if (
      confirmed &&
      mine &&
      machine.holdsLease(now) &&
      lease.expiration - now > this.options.ranges.leaseMs / 2
    )
      return;
    this.acquireLease(range);
  }

  private acquireLease(range: string): void {
    const machine = this.machines.get(range);
    const group = this.host.group(range);
    if (machine === undefined || group === undefined || this.acquiring.has(range)) return;
    if (group.role !== 'leader') return this.dropWaiting(range);
    const now = this.env.now();
    const lease = machine.lease;
    const mine = lease !== null && lease.holder === this.env.id;
    const stale = mine && machine.leaseFromBeforeRestart();
    if (lease !== null && (!mine || stale) && now < lease.expiration) {
      // Another node's lease, or this node's from before its restart: only once it has
      // expired, by this clock.
      if (!this.leaseTimers.has(range)) {
        this.leaseTimers.add(range);
        this.env.setTimer(lease.expiration - now + 1, LEASE_TIMER, { range });
      }
      // Rather than wait the lease out, hand Raft leadership to its holder, which may then act
      // on it at once: a split's right-hand range inherits the left's lease while its new group
      // elects whoever it elects, and a leader may change under a lease for other reasons too.
      if (!mine) this.transferTo(range, group, lease.holder, lease.seq);
      return;
    }
    this.acquiring.add(range);
    const term = group.term;
    this.env.metric(mine ? 'txndb.lease-extend' : 'txndb.lease-acquire');
    this.proposeAdmin(
      range,
      {
        k: 'lease',
        holder: this.env.id,
        start: mine && now < lease.expiration ? lease.start : now,
        expiration: now + this.options.ranges.leaseMs,
        prev: lease?.seq ?? 0,
      },
      (reply) => {
        this.acquiring.delete(range);
        const v = reply.ok ? (reply.value as Record<string, Json> | null) : null;
        if (v !== null && v.ok === true) {
          // The lease entry was committed in this leader's term, so its applied state holds
          // every entry committed before: only now may it answer from that state.
          if (group.role === 'leader' && group.term === term) this.confirmedTerm.set(range, term);
          return this.onLease(range);
        }
        if (this.waiting.has(range) && !this.leaseTimers.has(range)) {
          this.leaseTimers.add(range);
          this.env.setTimer(this.options.rpcTimeoutMs, LEASE_TIMER, { range });
        }
      },
    );
  }

  private transferTo(range: string, group: RaftNode, holder: NodeId, seq: number): void {
    // Once per lease: a holder that does not take over (it is down or cut off) is waited out,
    // not asked again and again — a transfer in progress turns every request away.
    const key = `${holder}#${seq}`;
    if (this.transferring.has(range) || this.transferredFor.get(range) === key) return;
    if (!group.config.voters.includes(holder)) return;
    this.transferredFor.set(range, key);
    this.transferring.add(range);
    this.env.metric('txndb.lease-leader-transfer');
    const id = this.nextServe++;
    this.serving.set(id, {
      from: this.env.id,
      call: 0,
      group: range,
      latch: null,
      internal: () => {
        this.transferring.delete(range);
        this.dropWaiting(range);
      },
    });
    group.onClientRequest({
      id,
      client: `${this.env.id}.${this.incarnation ?? 0}/transfer`,
      seq: ++this.adminSeq,
      op: { f: 'transfer-leader', node: holder },
    });
  }

  /** This node's lease took effect: the requests that waited for it are served now. */
  private onLease(range: string): void {
    const waiting = this.waiting.get(range) ?? [];
    this.waiting.delete(range);
    for (const w of waiting) this.serve(w.from, w.req);
  }

  private awaitLease(range: string, from: NodeId, req: RangeRequestMsg): void {
    this.env.metric('txndb.lease-wait');
    const list = this.waiting.get(range) ?? [];
    if (!list.some((w) => w.from === from && w.req.id === req.id)) list.push({ from, req });
    // The oldest are dropped past the bound; their callers' timers send them again.
    this.waiting.set(range, list.slice(-MAX_WAITING));
    this.acquireLease(range);
  }

  private dropWaiting(range: string): void {
    this.waiting.delete(range);
  }

  // ---- messages and timers ---------------------------------------------------------------------

  onMessage(from: NodeId, msg: Message): void {
    if (isGroupEnvelope(msg)) {
      this.host.onMessage(from, msg);
      return;
    }
    const m = msg as RangeRequestMsg | RangeResponseMsg;
    // A timestamp from past the max offset proves the clock bound broken: drop the message.
    if (!this.clock.observe(m.hlc)) {
      this.env.metric('txndb.clock-offset-drop');
      return;
    }
    if (m.type === 'range-req') this.serve(from, m);
    else if (m.type === 'range-resp') this.onResponse(m);
  }

  private later(ms: number, fn: () => void): void {
    const id = this.nextLater++;
    this.laters.set(id, fn);
    this.env.setTimer(ms, LATER_TIMER, { id });
  }

  onTimer(name: string, data: Json | undefined): void {
    if (this.host.onTimer(name, data)) return;
    if (name === LEASE_TIMER) {
      const range = (data as { range?: unknown } | undefined)?.range;
      if (typeof range !== 'string') return;
      this.leaseTimers.delete(range);
      // Only for requests still waiting: a range nobody asks of keeps no lease.
      if (this.waiting.has(range)) this.acquireLease(range);
      return;
    }
    const id = (data as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number') return;
    if (name === LATER_TIMER) {
      const fn = this.laters.get(id);
      this.laters.delete(id);
      fn?.();
    } else if (name === RPC_TIMER) {
      const call = this.calls.get(id);
      if (call === undefined) return;
      call.timer = null;
      if ((data as { resend?: unknown }).resend === true) {
        if (call.alive()) this.send(id, call);
        else this.calls.delete(id);
      } else {
        this.retry(id, call, null);
      }
    }
  }

  inspect(): NodeView {
    const ranges: Record<string, Json> = {};
    let leads = 0;
    for (const id of this.host.groups()) {
      const v = this.host.group(id)!.inspect();
      if (v.role === 'leader') leads++;
      const m = this.machines.get(id);
      // The span and replicas as this range's replica (or, before it applied any, this node's
      // directory) has them: the lab's range table.
      const spec = m?.descriptor ?? this.directory.range(id);
      ranges[id] = {
        role: v.role ?? null,
        term: v.term ?? null,
        commit: v.commit ?? null,
        leader: v.leader ?? null,
        ...(spec !== undefined
          ? {
              start: spec.start,
              end: spec.end,
              replicas: [...spec.replicas],
              generation: spec.generation,
            }
          : {}),
        ...(m !== undefined ? { keys: m.size, lease: m.lease as unknown as Json } : {}),
      };
    }
    // The transactions it coordinates, the oldest first, at most 32: what the lab draws.
    const txns: Json[] = [];
    for (const c of this.coordinators) {
      if (txns.length === 32) break;
      txns.push(c.view());
    }
    return {
      role: leads > 0 ? 'leader' : 'follower',
      clock: this.clock.kind,
      ranges,
      coordinating: this.coordinators.size,
      txns,
      splits: this.splitsDone,
      directory: this.directory
        .all()
        .map((d) => `${d.id}@${d.generation}[${d.start},${d.end ?? '∞'})`),
      ...(this.meta !== null ? { meta: this.meta.descriptors().length } : {}),
    };
  }
}
