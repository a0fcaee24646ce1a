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
import type { RaftNode } from '../../protocols/raft/raft-node.js';
import type { RaftMsg } from '../../protocols/raft/messages.js';
import type { CoordinatorSettings, TxnCoordinator } from './coordinator.js';
import type { RangeDirectory, RangeSpec } from './range-directory.js';
import type { RangeOp } from './range-ops.js';
import type { TxnClock } from './txn-clock.js';
import { TxnGateway, type SessionSettings } from './txn-sessions.js';
import type { RangeReply, RangeRequestMsg, RangeResponseMsg } from './txndb-messages.js';

const INCARNATION_KEY = 'txndb/incarnation';
const RPC_TIMER = 'rpc-retry';
const LATER_TIMER = 'later';
/** Room for this many calls per incarnation in a call id (ids stay safe integers). */
const CALLS_PER_INCARNATION = 4_294_967_296;

export interface TxnDbNodeOptions {
  readonly directory: RangeDirectory;
  readonly clock: (now: () => number) => TxnClock;
  readonly makeRange: (env: NodeEnv<RaftMsg>, range: RangeSpec) => RaftNode;
  readonly coordinator: CoordinatorSettings;
  /** Interactive transactions' idle time, deadline and cap (default DEFAULT_SESSION_SETTINGS). */
  readonly sessions?: SessionSettings;
  /** How long to wait for a range's answer before asking another replica. */
  readonly rpcTimeoutMs: number;
}

interface Call {
  readonly range: RangeSpec;
  readonly client: string;
  readonly seq: number;
  readonly op: RangeOp;
  readonly alive: () => boolean;
  readonly done: (reply: RangeReply) => void;
  target: NodeId;
  tries: number;
  timer: number | null;
}

export class TxnDbNode implements ProtocolNode<Message> {
  readonly host: MultiRaftHost;
  readonly clock: TxnClock;
  private incarnation: number | null = null;
  private txnCount = 0;
  private nextCall = 1;
  private readonly calls = new Map<number, Call>();
  private nextServe = 1;
  /** Commands this node proposed to its own replicas for someone: who to answer. */
  private readonly serving = new Map<number, { readonly from: NodeId; readonly call: number }>();
  private readonly leaseholders = new Map<string, NodeId>();
  private nextLater = 1;
  private readonly laters = new Map<number, () => void>();
  private readonly coordinators = new Set<TxnCoordinator>();
  private readonly gateway: TxnGateway;

  constructor(
    private readonly env: NodeEnv<Message>,
    private readonly options: TxnDbNodeOptions,
  ) {
    this.clock = options.clock(() => env.now());
    this.host = new MultiRaftHost(
      env,
      (groupEnv, group) => options.makeRange(groupEnv, options.directory.range(group.id)!),
      (_group, id, reply) => this.onRangeReply(id, reply),
    );
    this.gateway = new TxnGateway({
      env: {
        clock: this.clock,
        random: env.random,
        rangeOf: (key) => options.directory.rangeOf(key),
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

  start(info: StartInfo): void {
    for (const r of this.options.directory.hostedBy(this.env.id)) this.host.openGroup(r, info);
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

  private call(
    range: RangeSpec,
    client: string,
    seq: number,
    op: RangeOp,
    alive: () => boolean,
    done: (reply: RangeReply) => void,
  ): void {
    const target = this.leaseholders.get(range.id) ?? range.replicas[0]!;
    const call: Call = { range, client, seq, op, alive, done, target, tries: 0, timer: null };
    // Unique across restarts: an answer to a call of an earlier incarnation, still on its way,
    // must not be taken for the answer to a new call (it was: a stale read, found by
    // `cockroach --swarm --seed 3`).
    const incarnation = this.incarnation;
    if (incarnation === null)
      throw new Error('txndb: a call before the node knows its incarnation');
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
      client: call.client,
      seq: call.seq,
      op: call.op as unknown as Json,
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
    // Straight to a named leader; after a full round without one, wait a timeout between tries.
    if (hint !== null || call.tries % replicas.length !== 0) this.send(id, call);
    else call.timer = this.env.setTimer(this.options.rpcTimeoutMs, RPC_TIMER, { id, resend: true });
  }

  private onResponse(msg: RangeResponseMsg): void {
    const call = this.calls.get(msg.id);
    if (call === undefined) return;
    if (!msg.reply.ok) return this.retry(msg.id, call, msg.reply.leader);
    if (call.timer !== null) this.env.cancelTimer(call.timer);
    this.calls.delete(msg.id);
    this.leaseholders.set(call.range.id, call.target);
    call.done(msg.reply);
  }

  /** A command for one of this node's replicas: proposed to it, answered when it answers. */
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
    const id = this.nextServe++;
    this.serving.set(id, { from, call: req.id });
    group.onClientRequest({ id, client: req.client, seq: req.seq, op: req.op });
  }

  private onRangeReply(id: RequestId, reply: ClientReply): void {
    const s = this.serving.get(id);
    if (s === undefined) return;
    this.serving.delete(id);
    const r: RangeReply = reply.ok
      ? { ok: true, value: reply.value }
      : { ok: false, error: reply.error, leader: reply.leader ?? null, definite: reply.definite };
    this.answer(s.from, s.call, r);
  }

  private answer(to: NodeId, call: number, reply: RangeReply): void {
    const msg: RangeResponseMsg = { type: 'range-resp', id: call, reply, hlc: this.clock.stamp() };
    if (to === this.env.id) this.onResponse(msg);
    else this.env.send(to, msg);
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
      // The span and replicas as this node's directory has them, for the lab's range table.
      const spec = this.options.directory.range(id);
      ranges[id] = {
        role: v.role ?? null,
        term: v.term ?? null,
        commit: v.commit ?? null,
        leader: v.leader ?? null,
        ...(spec !== undefined
          ? { start: spec.start, end: spec.end, replicas: [...spec.replicas] }
          : {}),
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
    };
  }
}
