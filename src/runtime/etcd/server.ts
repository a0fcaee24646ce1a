/**
 * The etcd v3 gRPC front end of a node (`truthkit node --etcd HOST:PORT`): KV, Watch, Lease,
 * Maintenance (Status and Alarm here, the rest in maintenance.ts) and Cluster.MemberList, served from the local node of an MVCC system
 * (`etcd-raft`). Every unary call becomes one EtcdOp submitted through Sessions (a pooled
 * client session, forwarded to the leader when this node is a follower); watches and
 * `serializable` Ranges are served from the local WatchSource (watch.ts), as etcd serves them
 * from its member's own store. Methods not listed here answer UNIMPLEMENTED.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { termOf, watchSourceOf, type EtcdOp, type RangeReq } from '../../systems/etcd/etcd-ops.js';
import { connectionLimits, type ConnectionLimits } from '../connection-limits.js';
import { grpcLimitOptions, serveGrpcLimited, type LimitedGrpcPort } from '../grpc-limits.js';
import type { Address } from '../listen.js';
import { DEFAULT_TIMING } from '../../protocols/raft/election.js';
import { EtcdFault, faultOfText, opFor, resultFor, toStatus, type HeaderFields } from './codec.js';
import { etcdServices, malformedOf, strictService } from './proto.js';
import { cutShortUnary } from './one-message.js';
import { Members } from './members.js';
import { LeaderMonitor, NO_LEADER, requiresLeader } from './no-leader.js';
import { Maintenance } from './maintenance.js';
import { Sessions, type NodeGateway } from './sessions.js';
import { WatchHub } from './watch.js';
import { AuthFront, localMachineOf } from './auth-front.js';

/** The version Maintenance.Status reports (the etcd API level served). */
export const ETCD_VERSION = '3.5.0';

type Msg = Record<string, unknown>;

/** A stable 48-bit member id derived from a node id (etcd's ids are uint64). */
export function memberId(id: string): number {
  return parseInt(createHash('sha256').update(`member:${id}`).digest('hex').slice(0, 12), 16);
}

/** The cluster id: derived from the sorted member ids, the same on every member. */
export function clusterId(members: readonly string[]): number {
  const h = createHash('sha256').update(`cluster:${[...members].sort().join(',')}`);
  return parseInt(h.digest('hex').slice(0, 12), 16);
}

/** What the front end needs from its node process. */
export interface EtcdHost extends NodeGateway {
  readonly members: readonly NodeId[];
  readonly peerAddresses: ReadonlyMap<NodeId, Address>;
  readonly peerAddress: () => Address;
  /** The protocol node (its WatchSource, its term). */
  node(): unknown;
  /** The node's inspect() view (role, term, leader, commit, applied), or null. */
  inspect(): Record<string, Json> | null;
  /** Bytes of storage (Status.dbSize). */
  dbSize(): number;
  /** Rewrites the write-ahead log as its live state (Maintenance.Defragment). */
  defragment?(): Promise<void>;
  /** Asks the peers what they serve (their etcd addresses). */
  askPeers(timeoutMs: number): Promise<Map<NodeId, Json>>;
  log(message: string, fields: Record<string, Json>): void;
}

export interface EtcdServerOptions {
  readonly listen: Address;
  /** Per-call deadline when the client sets none shorter. */
  readonly callTimeoutMs?: number;
  readonly maxSlots?: number;
  readonly watchMaxLag?: number;
  /** Connection caps and timeouts of the port (default: DEFAULT_LIMITS). */
  readonly limits?: ConnectionLimits;
  /** How often a stream that requires a leader checks for one (etcd: an election timeout). */
  readonly noLeaderCheckMs?: number;
}

/** Keepalives one stream may have waiting. */
const MAX_KEEPALIVES_QUEUED = 1000;

const UNARY_KV = ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact'] as const;
const UNARY_LEASE = ['LeaseGrant', 'LeaseRevoke', 'LeaseTimeToLive', 'LeaseLeases'] as const;

/**
 * The leader a member knows, as etcd counts it: none while it campaigns. truthkit's Raft keeps
 * the last leader's id through a pre-vote (its term has not moved), but etcd's raft forgets the
 * leader as soon as the election timeout sends it campaigning, pre-vote or not.
 */
function leaderOf(v: Record<string, Json> | null): string | null {
  if (v === null || typeof v.leader !== 'string') return null;
  return v.role === 'pre-candidate' || v.role === 'candidate' ? null : v.leader;
}

/** A unary handler that answers a request the strict decoder refused with its fault. */
function strictUnary(h: grpc.handleUnaryCall<Msg, Msg>): grpc.handleUnaryCall<Msg, Msg> {
  return (call, cb) => {
    const malformed = malformedOf(call.request);
    if (malformed !== undefined) return cb(toStatus(malformed));
    h(call, cb);
  };
}

export class EtcdServer {
  private server: grpc.Server | null = null;
  /** The listening port, under connection limits (grpc-limits.ts). */
  port: LimitedGrpcPort | null = null;
  private address: Address | null = null;
  readonly sessions: Sessions;
  readonly watches: WatchHub;
  readonly leaders: LeaderMonitor;
  readonly members: Members;
  /** Snapshot, HashKV, Hash, MoveLeader, Defragment (maintenance.ts). */
  readonly maintenance: Maintenance;
  readonly auth: AuthFront;
  /** Each member's etcd address as last heard from it, so MemberList keeps it while it is down. */
  private readonly clientAddresses = new Map<NodeId, Address>();
  private learnTimer: NodeJS.Timeout | null = null;
  private readonly callTimeoutMs: number;
  private readonly headerBase: { cluster_id: number; member_id: number };
  private closed = false;
  /**
   * Unary calls, failed ones, the total time they spent in the server (ms), and how many were
   * serializable Ranges answered from the local store.
   */
  readonly stats = { calls: 0, errors: 0, callMs: 0, serializable: 0 };

  constructor(
    private readonly host: EtcdHost,
    private readonly o: EtcdServerOptions,
  ) {
    this.callTimeoutMs = o.callTimeoutMs ?? 5000;
    this.headerBase = { cluster_id: clusterId(host.members), member_id: memberId(host.id) };
    this.sessions = new Sessions(host, {
      prefix: `etcd/${host.id}/${randomBytes(6).toString('hex')}`,
      ...(o.maxSlots !== undefined ? { maxSlots: o.maxSlots } : {}),
    });
    this.watches = new WatchHub({
      source: () => watchSourceOf(host.node()),
      header: () => this.header(),
      ...(o.watchMaxLag !== undefined ? { maxLag: o.watchMaxLag } : {}),
      log: (m, f) => host.log(m, f),
      permitted: (call, key, end) => this.auth.watchPermitted(call.metadata, key, end),
    });
    this.auth = new AuthFront({
      machine: () => localMachineOf(host.node()),
      submit: (op, deadline) => this.submit(op, deadline),
      header: () => this.header(),
    });
    this.members = new Members({
      id: host.id,
      universe: host.members,
      memberId,
      peerAddress: (id) => (id === host.id ? host.peerAddress() : host.peerAddresses.get(id)),
      clientAddress: (id) =>
        id === host.id ? this.address : (this.clientAddresses.get(id) ?? null),
      inspect: () => host.inspect(),
      submitLocal: (client, seq, op, onReply) => host.submitLocal(client, seq, op, onReply),
      forward: (to, client, seq, op, timeoutMs, done) =>
        host.forward(to, client, seq, op, timeoutMs, done),
    });
    this.leaders = new LeaderMonitor({
      hasLeader: () => leaderOf(host.inspect()) !== null,
      checkMs: o.noLeaderCheckMs ?? DEFAULT_TIMING.electionMaxMs,
    });
    this.maintenance = new Maintenance(host, {
      header: () => this.header(),
      memberId,
      leaderOf,
      deadlineOf: (call) => this.deadlineOf(call),
    });
  }

  get listening(): Address | null {
    return this.address;
  }

  async start(): Promise<Address> {
    const s = etcdServices();
    const server = new grpc.Server({
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      'grpc.max_send_message_length': -1,
      // No channelz bookkeeping (per-call counters and timestamps); nothing here reads it.
      'grpc.enable_channelz': 0,
      ...grpcLimitOptions(this.o.limits ?? connectionLimits()),
      interceptors: [cutShortUnary],
    });
    const kv: grpc.UntypedServiceImplementation = {};
    for (const m of UNARY_KV) kv[m] = this.unary(m);
    server.addService(strictService(s.KV.service), kv);
    server.addService(strictService(s.Watch.service), {
      Watch: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
        if (this.refusedWithoutLeader(call)) return;
        this.watches.serve(call);
      },
    });
    const lease: grpc.UntypedServiceImplementation = {};
    for (const m of UNARY_LEASE) lease[m] = this.unary(m);
    lease.LeaseKeepAlive = (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      if (this.refusedWithoutLeader(call)) return;
      this.keepAlive(call);
    };
    server.addService(strictService(s.Lease.service), lease);
    server.addService(strictService(s.Maintenance.service), {
      ...this.maintenance.handlers(),
      Status: strictUnary((_call, cb) => cb(null, this.status())),
      Alarm: strictUnary((call, cb) => {
        // Nothing here raises alarms (no space quota, no corruption checks): the list is empty.
        const action = call.request.action;
        if (action === 'Get' || action === 'GET' || action === 0) {
          cb(null, { header: this.header(), alarms: [] });
        } else cb({ code: grpc.status.UNIMPLEMENTED, details: 'alarms are not supported' });
      }),
    });
    server.addService(
      strictService(s.Auth.service),
      this.auth.handlers((c) => this.deadlineOf(c)),
    );
    server.addService(strictService(s.Cluster.service), {
      MemberList: strictUnary((_call, cb) => {
        this.memberList().then(
          (r) => cb(null, r),
          (e: unknown) => cb(toStatus(e)),
        );
      }),
      ...this.memberChanges(),
    });
    const limits = this.o.limits ?? connectionLimits();
    this.port = await serveGrpcLimited(server, this.o.listen, limits, 'etcd', this.host.log);
    const { port } = this.port.address;
    this.server = server;
    this.address = { host: this.o.listen.host, port };
    this.learnClientAddresses();
    return this.address;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sessions.close();
    this.watches.close();
    this.auth.close();
    this.port?.close();
    this.leaders.close();
    if (this.learnTimer !== null) clearInterval(this.learnTimer);
    this.server?.forceShutdown();
  }

  private header(): HeaderFields {
    return { ...this.headerBase, raft_term: this.term() };
  }

  private term(): number {
    return termOf(this.host.node()) ?? 0;
  }

  private deadlineOf(call: { getDeadline(): grpc.Deadline }): number {
    const mine = Date.now() + this.callTimeoutMs;
    const d = call.getDeadline();
    const theirs = d instanceof Date ? d.getTime() : typeof d === 'number' ? d : Infinity;
    return Math.min(mine, theirs);
  }

  /**
   * A stream whose client requires a leader (`hasleader` metadata) is refused when this member
   * knows none, and ended when it has had none for a while (no-leader.ts). True if refused.
   */
  private refusedWithoutLeader(call: grpc.ServerDuplexStream<Msg, Msg>): boolean {
    if (!requiresLeader(call.metadata)) return false;
    const refused = this.leaders.register(call, (f) => {
      if (!call.writableEnded && !call.destroyed) call.emit('error', toStatus(f));
    });
    if (refused !== null) {
      call.emit('error', toStatus(refused));
      return true;
    }
    const done = (): void => this.leaders.unregister(call);
    call.on('close', done);
    call.on('cancelled', done);
    call.on('error', done);
    call.on('finish', done);
    return false;
  }

  /** Runs an op; resolves with the response message or rejects with an EtcdFault. */
  private async run(method: string, op: Json, deadline: number): Promise<Msg> {
    return resultFor(method, await this.submit(op, deadline), this.header());
  }

  /** Runs an op; resolves with the machine's result or rejects with an EtcdFault. */
  private async submit(op: Json, deadline: number): Promise<Msg> {
    this.stats.calls++;
    const result = await this.sessions.call(op, deadline);
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      throw new EtcdFault(grpc.status.INTERNAL, 'etcdserver: unexpected result from the machine');
    }
    const r = result as Msg;
    if (typeof r.error === 'string') throw faultOfText(r.error);
    return r;
  }

  private unary(method: string): grpc.handleUnaryCall<Msg, Msg> {
    return (call, cb) => {
      const malformed = malformedOf(call.request);
      if (malformed !== undefined) {
        this.stats.errors++;
        return cb(toStatus(malformed));
      }
      let op: EtcdOp;
      let user: string | undefined;
      try {
        op = opFor(method, call.request);
        user = this.auth.userOf(call.metadata);
        if (method === 'Range' && call.request.serializable === true) {
          this.auth.checkLocal(user, op as unknown as Json);
        }
      } catch (e) {
        this.stats.errors++;
        return cb(toStatus(e));
      }
      if (method === 'Range' && call.request.serializable === true) {
        return this.serializableRange(op as RangeReq, cb);
      }
      const t0 = performance.now();
      this.run(method, this.auth.as(user, op as unknown as Json), this.deadlineOf(call)).then(
        (res) => {
          this.stats.callMs += performance.now() - t0;
          cb(null, res);
        },
        (e: unknown) => {
          this.stats.callMs += performance.now() - t0;
          this.stats.errors++;
          cb(toStatus(e));
        },
      );
    };
  }

  /**
   * A `serializable` Range, as etcd serves it: from this member's applied store, with no read
   * index and no leader, so it answers even without a quorum, and may be stale (by what this
   * member has not applied yet, never by an uncommitted write).
   */
  private serializableRange(req: RangeReq, cb: grpc.sendUnaryData<Msg>): void {
    this.stats.calls++;
    this.stats.serializable++;
    const source = watchSourceOf(this.host.node());
    try {
      if (source === undefined)
        throw new EtcdFault(grpc.status.UNAVAILABLE, 'etcdserver: no leader');
      const r = source.range(req) as unknown as Msg;
      if (typeof r.error === 'string') throw faultOfText(r.error);
      cb(null, resultFor('Range', r, this.header()));
    } catch (e) {
      this.stats.errors++;
      cb(toStatus(e));
    }
  }

  /** LeaseKeepAlive: each request refreshes a lease; answers go out in request order. */
  private keepAlive(call: grpc.ServerDuplexStream<Msg, Msg>): void {
    try {
      this.auth.userOf(call.metadata);
    } catch (e) {
      call.emit('error', toStatus(e));
      return;
    }
    let chain: Promise<void> = Promise.resolve();
    let ended = false;
    let pending = 0;
    const finish = (): void => {
      ended = true;
    };
    call.on('data', (req: Msg) => {
      let op: EtcdOp;
      try {
        op = opFor('LeaseKeepAlive', req);
      } catch {
        return;
      }
      // A client that sends faster than keepalives complete has the excess dropped (etcd's
      // clients send one per TTL/3), so a stream never queues without bound.
      if (pending >= MAX_KEEPALIVES_QUEUED) return;
      pending++;
      chain = chain.then(async () => {
        pending--;
        if (ended) return;
        try {
          const res = await this.run(
            'LeaseKeepAlive',
            op as unknown as Json,
            Date.now() + this.callTimeoutMs,
          );
          if (!ended) call.write(res);
        } catch (e) {
          if (ended) return;
          ended = true;
          call.emit('error', toStatus(e));
        }
      });
    });
    call.on('end', () => {
      void chain.then(() => {
        if (!call.writableEnded && !call.destroyed) call.end();
        finish();
      });
    });
    call.on('cancelled', finish);
    call.on('error', finish);
  }

  private status(): Msg {
    const v = this.host.inspect();
    const n = (k: string): number => (typeof v?.[k] === 'number' ? (v[k] as number) : 0);
    const known = leaderOf(v);
    const leader = known === null ? 0 : memberId(known);
    return {
      header: { ...this.header(), revision: watchSourceOf(this.host.node())?.revision() ?? 0 },
      version: ETCD_VERSION,
      dbSize: this.host.dbSize(),
      // What the space quota counts, where the machine says (etcd: the backend's bytes in use).
      dbSizeInUse: typeof v?.bytes === 'number' ? v.bytes : this.host.dbSize(),
      leader,
      raftIndex: n('commit'),
      raftTerm: n('term'),
      raftAppliedIndex: n('applied'),
      // etcd lists what keeps the member from serving; without a leader, that.
      errors: known === null ? [NO_LEADER] : [],
      isLearner: Array.isArray(v?.learners) && (v.learners as Json[]).includes(this.host.id),
    };
  }

  /**
   * Asks the peers for their etcd addresses once a second until every one is known, so that a
   * member list taken after peers went down still has their client URLs, as etcd's has.
   */
  private learnClientAddresses(): void {
    const learn = (): void => {
      const missing = this.host.members.some(
        (id) => id !== this.host.id && !this.clientAddresses.has(id),
      );
      if (!missing || this.closed) {
        if (this.learnTimer !== null) clearInterval(this.learnTimer);
        this.learnTimer = null;
        return;
      }
      this.host.askPeers(300).then(
        (answers) => this.remember(answers),
        () => {},
      );
    };
    this.learnTimer = setInterval(learn, 1000);
    this.learnTimer.unref();
    learn();
  }

  private remember(answers: Map<NodeId, Json>): void {
    for (const [id, info] of answers) {
      const e = (info as { etcd?: Json } | null)?.etcd as { host?: Json; port?: Json } | null;
      if (e && typeof e.host === 'string' && typeof e.port === 'number') {
        this.clientAddresses.set(id, { host: e.host, port: e.port });
      }
    }
  }

  private async memberList(): Promise<Msg> {
    const answers = await this.host.askPeers(300);
    this.remember(answers);
    const revision = watchSourceOf(this.host.node())?.revision() ?? 0;
    return { header: { ...this.header(), revision }, members: this.members.list() };
  }

  /** MemberAdd, MemberRemove, MemberPromote (members.ts), each within the call's deadline. */
  private memberChanges(): grpc.UntypedServiceImplementation {
    const answer =
      (run: (req: Msg, deadline: number) => Promise<Msg>): grpc.handleUnaryCall<Msg, Msg> =>
      (call, cb) =>
        run(call.request, this.deadlineOf(call)).then(
          (r) => cb(null, { header: this.header(), ...r }),
          (e: unknown) => cb(toStatus(e)),
        );
    return {
      MemberAdd: strictUnary(answer((req, d) => this.members.add(req, d))),
      MemberRemove: strictUnary(
        answer(async (req, d) => ({ members: await this.members.remove(req, d) })),
      ),
      MemberPromote: strictUnary(
        answer(async (req, d) => ({ members: await this.members.promote(req, d) })),
      ),
    };
  }
}
