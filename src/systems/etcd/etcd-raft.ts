/**
 * `etcd-raft`: etcd's MVCC key-value store and leases (etcd-machine.ts) replicated by
 * truthkit's Raft, with what etcd's server adds around its Raft node:
 *
 *  - the leader's lessor (leases.ts): every LEASE_CHECK_MS the leader looks for leases past
 *    their deadline and proposes their revoke through the log, as etcd's revokeExpiredLeases
 *    does; a new leader restarts every lease's clock;
 *  - keepalives confirmed by ReadIndex (etcd's ensureLeadership): LeaseKeepAlive and
 *    LeaseTimeToLive go to the RaftNode as reads, so they are answered only after a majority
 *    has confirmed this node still leads; then the lessor renews the deadline. A deposed
 *    leader cannot renew a lease the real leader is about to expire. The machine marks them
 *    (and LeaseLeases) `readNeedsLeader`, so a follower never serves them itself: it answers
 *    "not leader" and the front end forwards them. Plain reads of the store (Range, get,
 *    read-only Txn) are served by followers after a read index (read-index.ts);
 *  - auto-compaction by revision (etcd's --auto-compaction-mode=revision): the leader proposes
 *    Compact to keep the last `retain` revisions;
 *  - a WatchSource over the local applied store, for the gRPC front end (src/runtime/etcd/).
 *
 * The node's own proposals travel as client requests of an internal client, with negative
 * request ids; the env handed to the RaftNode is wrapped so their replies come back here
 * instead of going to a client.
 */
import { RAFT_MEMBERSHIP_OPS } from '../kv/raft-membership-ops.js';
import type { Json } from '../../core/json.js';
import type {
  AppliesLog,
  ClientReply,
  ClientRequest,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  StartInfo,
} from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import type { Random } from '../../core/random.js';
import { raftMessageProblem } from '../../protocols/raft/message-schema.js';
import { DEFAULT_TIMING } from '../../protocols/raft/election.js';
import { InvariantRecorder } from '../../protocols/raft/invariants.js';
import type { RaftMsg } from '../../protocols/raft/messages.js';
import { unwrapUser } from './auth-ops.js';
import { mutantsFor, RAFT_MUTANTS } from '../../protocols/raft/mutants.js';
import { RaftNode, type RaftOptions } from '../../protocols/raft/raft-node.js';
import { raftOptionsFrom } from '../kv/kv-raft.js';
import type {
  EtcdOp,
  HasWatchSource,
  LeaseKeepAliveRes,
  LeaseTimeToLiveRes,
  WatchSource,
} from './etcd-ops.js';
import {
  EtcdMachine,
  INTERNAL_CLIENT_PREFIX,
  isExpireLeaseOp,
  RevisionRecorder,
  type LeaseReadResult,
} from './etcd-machine.js';
import { isEtcdOp, requestError } from './etcd-validate.js';
import { Lessor } from './leases.js';
import { etcdRaftLabViews } from '../kv/raft-lab-views.js';

/** How often the leader looks for expired leases and for history to compact (etcd: 500 ms). */
export const LEASE_CHECK_MS = 500;
/** At most this many revokes proposed per check (etcd rate-limits revokes too). */
const MAX_REVOKES_PER_CHECK = 500;
/** A revoke proposal not applied within this long is proposed again. */
const REVOKE_RETRY_MS = 3000;
const TIMER = 'etcd-lessor';
/** Storage record of how many times this node has started (Raft's records are `raft/…`). */
const INCARNATION_KEY = 'etcd/incarnation';

export interface EtcdRaftOptions {
  readonly raft: RaftOptions;
  /** Revisions auto-compaction keeps (0 = never compact automatically). */
  readonly retain: number;
  /** The space quota in store bytes (MvccStore.bytes); 0 = none. */
  readonly quotaBytes?: number;
  /** About how many characters each snapshot part holds (snapshot-parts.ts). */
  readonly snapshotPartBytes?: number;
  readonly recorder?: RevisionRecorder;
}

export class EtcdRaftNode implements ProtocolNode<RaftMsg>, HasWatchSource, AppliesLog {
  readonly raft: RaftNode;
  readonly machine: EtcdMachine;
  readonly lessor = new Lessor();
  readonly watchSource: WatchSource;

  get term(): number {
    return this.raft.term;
  }

  /** Named in start() (it needs storage): `etcd-internal/<node>/<incarnation>`. */
  private internalClient = '';
  private internalSeq = 0;
  private nextInternalId = -1;
  /** Replies the node itself waits for (its own proposals), by request id. */
  private readonly internal = new Map<RequestId, (reply: ClientReply) => void>();
  /** Client requests whose reply the node completes (lease queries), by request id. */
  private readonly finish = new Map<RequestId, (reply: ClientReply) => ClientReply>();
  private compacting = false;
  private readonly extendMs: number;

  constructor(
    private readonly env: NodeEnv<RaftMsg>,
    private readonly options: EtcdRaftOptions,
  ) {
    this.machine = new EtcdMachine({
      node: env.id,
      ...(options.recorder !== undefined ? { recorder: options.recorder } : {}),
      // The hash chain exists for the recorder to compare; without one it is only cost.
      hashRevisions: options.recorder !== undefined,
      quotaBytes: options.quotaBytes ?? DEFAULT_QUOTA_BYTES,
      ...(options.snapshotPartBytes !== undefined
        ? { snapshotPartBytes: options.snapshotPartBytes }
        : {}),
    });
    this.watchSource = this.machine.watchSource;
    this.extendMs = (options.raft.timing ?? DEFAULT_TIMING).electionMaxMs;
    this.machine.observer = {
      leaseGranted: (id, ttl) => this.lessor.track(id, ttl, this.env.now()),
      leaseRevoked: (id) => this.lessor.forget(id),
      restored: () => {
        if (this.lessor.active) this.promote();
      },
    };
    const inner: NodeEnv<RaftMsg> = {
      id: env.id,
      cluster: env.cluster,
      peers: env.peers,
      get random() {
        return env.random;
      },
      get storage() {
        return env.storage;
      },
      now: () => env.now(),
      send: (to, msg) => env.send(to, msg),
      setTimer: (delayMs, name, data) => env.setTimer(delayMs, name, data),
      cancelTimer: (id) => env.cancelTimer(id),
      reply: (id, reply) => this.onRaftReply(id, reply),
      log: (message, fields) => env.log(message, fields),
      metric: (name, value) => env.metric(name, value),
    };
    this.raft = new RaftNode(inner, this.machine, options.raft);
  }

  // ---- the node contract --------------------------------------------------------------------

  start(info: StartInfo): void {
    // A fresh internal client name per incarnation, counted in durable storage: a proposal of
    // an earlier life still in the log (same sequence numbers) is then never mistaken for one
    // of this life's. The counter is written before any proposal of this life, so any of them
    // that became durable made the counter durable too.
    const incarnation = ((this.env.storage.get(INCARNATION_KEY) as number | undefined) ?? 0) + 1;
    this.env.storage.put(INCARNATION_KEY, incarnation);
    this.internalClient = `${INTERNAL_CLIENT_PREFIX}${this.env.id}/${incarnation}`;
    this.raft.start(info);
    this.env.setTimer(LEASE_CHECK_MS, TIMER);
    this.syncLeadership();
  }

  onMessage(from: NodeId, msg: RaftMsg): void {
    this.raft.onMessage(from, msg);
    this.syncLeadership();
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === TIMER) {
      this.check();
      this.env.setTimer(LEASE_CHECK_MS, TIMER);
      return;
    }
    this.raft.onTimer(name, data);
    this.syncLeadership();
  }

  onClientRequest(request: ClientRequest): void {
    // A request in its user envelope (auth-ops.ts) is judged here by what it asks.
    const op = unwrapUser(request.op);
    if (request.client.startsWith(INTERNAL_CLIENT_PREFIX)) {
      this.env.reply(request.id, { ok: false, error: 'reserved client id', definite: true });
      return;
    }
    if (isEtcdOp(op)) {
      // etcd's API layer refuses these before anything else; so do we, without the log.
      const invalid = requestError(op);
      if (invalid !== undefined) {
        this.env.reply(request.id, { ok: true, value: { error: invalid } });
        return;
      }
      if (op.f === 'LeaseKeepAlive' || op.f === 'LeaseTimeToLive') {
        this.finish.set(request.id, (reply) => this.finishLeaseQuery(op, reply));
      }
    } else if (isExpireLeaseOp(op)) {
      // The internal expiry op is the node's own; a client may not send it. (Anything else —
      // core KV ops, Raft's admin ops, malformed ops — the RaftNode sorts out itself.)
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    this.raft.onClientRequest(request);
    this.syncLeadership();
  }

  inspect(): NodeView {
    // Watch events sent since this process started: a count of the replica, not of the store's
    // state (a restored snapshot starts it again), so it is here and not in the machine's summary.
    return {
      ...this.raft.inspect(),
      leaseClocks: this.lessor.tracked,
      watchEvents: this.machine.store.watchEventsEmitted,
    };
  }

  appliedEntry(): { index: number; term: number } {
    return this.raft.appliedEntry();
  }

  learnCommitted(index: number, term: number): void {
    this.raft.learnCommitted(index, term);
  }

  /** Raft's safety recorder for this run, when invariants are checked. */
  get recorder(): InvariantRecorder | undefined {
    return this.raft.recorder;
  }

  /** The run's store-hash-per-revision recorder, when invariants are checked. */
  get revisions(): RevisionRecorder | undefined {
    return this.options.recorder;
  }

  // ---- leadership and the lessor ------------------------------------------------------------

  /** Starts the lessor when this node has become leader, stops it when it no longer is. */
  private syncLeadership(): void {
    const leading = this.raft.role === 'leader';
    if (leading && this.lessor.term !== this.raft.term) this.promote();
    else if (!leading && this.lessor.active) this.lessor.demote();
  }

  private promote(): void {
    this.lessor.promote(this.raft.term, this.env.now(), this.machine.leases.all(), this.extendMs);
  }

  /** The periodic check: expired leases and auto-compaction, on the leader only. */
  private check(): void {
    this.syncLeadership();
    if (!this.lessor.active) return;
    const now = this.env.now();
    for (const id of this.lessor.expired(now, MAX_REVOKES_PER_CHECK, REVOKE_RETRY_MS)) {
      const lease = this.machine.leases.get(id);
      if (lease === undefined) {
        this.lessor.forget(id);
        continue;
      }
      this.env.metric('lease-expiries');
      this.propose({ f: 'etcd-expire-lease', ID: id, grant: lease.grant }, (reply) => {
        // Refused before reaching the log (lost quorum…): try again at the next check.
        if (!reply.ok && reply.definite) this.lessor.retry(id);
      });
    }
    this.maybeCompact();
  }

  private maybeCompact(): void {
    const retain = this.options.retain;
    if (retain <= 0 || this.compacting) return;
    const store = this.machine.store;
    const target = store.revision - retain;
    // Compact in steps of a tenth of the window, not at every new revision.
    if (target - store.compactRevision < Math.max(1, Math.floor(retain / 10))) return;
    this.compacting = true;
    this.propose({ f: 'Compact', revision: target }, () => {
      this.compacting = false;
    });
  }

  /** Submits the node's own command through Raft, as a client of its own. */
  private propose(op: Json, done: (reply: ClientReply) => void): void {
    const id = this.nextInternalId--;
    this.internal.set(id, done);
    this.raft.onClientRequest({ id, client: this.internalClient, seq: ++this.internalSeq, op });
  }

  private onRaftReply(id: RequestId, reply: ClientReply): void {
    const own = this.internal.get(id);
    if (own !== undefined) {
      this.internal.delete(id);
      own(reply);
      return;
    }
    const finish = this.finish.get(id);
    if (finish !== undefined) {
      this.finish.delete(id);
      this.env.reply(id, finish(reply));
      return;
    }
    this.env.reply(id, reply);
  }

  /**
   * A lease query after its ReadIndex round: the lease's existence came from the replicated
   * state, confirmed current by a majority; its clock comes from this leader's lessor.
   */
  private finishLeaseQuery(
    op: Extract<EtcdOp, { f: 'LeaseKeepAlive' | 'LeaseTimeToLive' }>,
    reply: ClientReply,
  ): ClientReply {
    if (!reply.ok) return reply;
    this.syncLeadership();
    if (!this.lessor.active) {
      // Only the read-from-follower mutant answers reads off the leader; a lessor it has not.
      return { ok: false, error: 'not leader', definite: true };
    }
    const r = reply.value as unknown as LeaseReadResult;
    const now = this.env.now();
    if (op.f === 'LeaseKeepAlive') {
      const TTL = r.exists ? this.lessor.renew(r.ID, r.grantedTTL, now) : 0;
      const res: LeaseKeepAliveRes = { header: r.header, ID: r.ID, TTL };
      return { ok: true, value: res as unknown as Json };
    }
    const res: LeaseTimeToLiveRes = r.exists
      ? {
          header: r.header,
          ID: r.ID,
          TTL: this.lessor.remaining(r.ID, r.grantedTTL, now),
          grantedTTL: r.grantedTTL,
          keys: op.keys === true ? r.keys : [],
        }
      : { header: r.header, ID: r.ID, TTL: -1, grantedTTL: 0, keys: [] };
    return { ok: true, value: res as unknown as Json };
  }
}

// ---- the system ---------------------------------------------------------------------------------

const PARAMS = [
  { name: 'voters', description: 'initial voters, comma-separated (default: every node)' },
  {
    name: 'join',
    description:
      "'on': this node joins a running cluster, starting empty as no member until the leader " +
      'adds it (truthkit node --initial-state join sets it)',
  },
  { name: 'reads', description: "'read-index' (default) or 'lease' (needs bounded clock drift)" },
  {
    name: 'follower-reads',
    description:
      "'on' (default): followers serve Range and read-only Txn after a read index from the " +
      "leader (lease queries always go to the leader); 'off'",
  },
  { name: 'drift-bound', description: 'clock rate error lease reads assume (default 0.05)' },
  {
    name: 'snapshot-every',
    description: "entries applied between snapshots (default 100000, etcd 3.4's --snapshot-count)",
  },
  {
    name: 'chunk-size',
    description:
      'InstallSnapshot chunk size in characters (default 65536: MVCC snapshots are large)',
  },
  {
    name: 'retain',
    description:
      'revisions auto-compaction keeps, 0 = never (default 10000, like etcd revision mode)',
  },
  {
    name: 'quota-bytes',
    description:
      'space quota: store size past which Put, Txn and LeaseGrant are refused ' +
      "('database space exceeded'), 0 = none (default 2 GiB, etcd's; see docs/etcd.md)",
  },
  {
    name: 'snapshot-part-bytes',
    description:
      'characters of JSON per snapshot part (default 1 MiB): a snapshot is stored and sent ' +
      'a part at a time, never as one string',
  },
] as const;

/** The parameters etcdOptionsFrom parses itself; every other one is Raft's (raftOptionsFrom). */
const OWN_PARAMS: readonly string[] = ['retain', 'quota-bytes', 'snapshot-part-bytes'];
const RAFT_PARAMS: readonly string[] = PARAMS.map((p) => p.name).filter(
  (n) => !OWN_PARAMS.includes(n),
);

/**
 * etcd 3.4's --snapshot-count (the etcd bench:cluster compares with). An MVCC snapshot of a big
 * store costs a replica tens of milliseconds (taking it, then writing megabytes), so taking one
 * every 10,000 entries cost 6 % of node CPU per put and showed in p99; etcd 3.6 lowered its
 * default to 10,000 to keep less of the log in memory, which is the other side of the trade.
 */
export const DEFAULT_SNAPSHOT_EVERY = 100_000;
/** A snapshot goes one chunk per round trip; kv-raft's 1 KiB would take thousands for MVCC. */
export const DEFAULT_CHUNK_SIZE = 65_536;
export const DEFAULT_RETAIN = 10_000;
/**
 * The default space quota, in MvccStore.bytes: etcd's default of 2 GiB of backend. A snapshot is
 * stored and sent in bounded parts (snapshot-parts.ts, wal-parts.ts), so the store's size is no
 * longer bound by one WAL record or one string; what bounds it is memory (the store lives in the
 * heap: see docs/etcd.md on --max-old-space-size).
 */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

export function etcdOptionsFrom(
  params: Readonly<Record<string, string>>,
  cluster?: readonly NodeId[],
): {
  raft: RaftOptions;
  retain: number;
  quotaBytes: number;
  snapshotPartBytes?: number;
} {
  const raftParams: Record<string, string> = {};
  let retain = DEFAULT_RETAIN;
  let quotaBytes = DEFAULT_QUOTA_BYTES;
  let snapshotPartBytes: number | undefined;
  for (const [name, v] of Object.entries(params)) {
    if (OWN_PARAMS.includes(name)) {
      const n = Number(v);
      const min = name === 'snapshot-part-bytes' ? 1 : 0;
      if (!Number.isSafeInteger(n) || n < min || v.trim() === '') {
        throw new Error(`--param ${name} wants an integer ≥ ${min}`);
      }
      if (name === 'retain') retain = n;
      else if (name === 'quota-bytes') quotaBytes = n;
      else snapshotPartBytes = n;
    } else if (RAFT_PARAMS.includes(name)) raftParams[name] = v;
    else throw new Error(`etcd-raft has no parameter '${name}'`);
  }
  const raft: RaftOptions = {
    snapshotEvery: DEFAULT_SNAPSHOT_EVERY,
    chunkSize: DEFAULT_CHUNK_SIZE,
    ...raftOptionsFrom(raftParams, cluster),
  };
  return {
    raft,
    retain,
    quotaBytes,
    ...(snapshotPartBytes !== undefined ? { snapshotPartBytes } : {}),
  };
}

/**
 * Half the swarm seeds take snapshots every few dozen entries, cut into parts of a few hundred
 * characters: the defaults (100,000 entries, 1 MiB) never make a snapshot of several parts in a
 * simulated run, so without this no seed writes one beside the log, installs one in chunks
 * across parts, or crashes while one is being written.
 */
function drawSnapshotParams(random: Random): Record<string, string> {
  if (!random.chance(0.5)) return {};
  return {
    'snapshot-every': String(random.pick([8, 16, 32, 64])),
    'snapshot-part-bytes': String(random.pick([100, 200, 500, 2000])),
  };
}

export const etcdRaftSystem: SystemDefinition = {
  name: 'etcd-raft',
  description:
    "etcd's MVCC store on Raft: revisions, history reads, Txn, compaction, leases expired by " +
    'the leader through the log, watch events; also serves the core KV ops',
  workload: 'kv',
  model: 'kv',
  labViews: etcdRaftLabViews,
  mutants: RAFT_MUTANTS,
  defaultNodes: 5,
  minNodes: 1,
  etcdApi: true,
  params: PARAMS,
  membership: RAFT_MEMBERSHIP_OPS,
  swarmParams: drawSnapshotParams,
  createNode(options) {
    // One pair of recorders per cluster: createNode is called once per simulated run.
    const { raft, retain, quotaBytes, snapshotPartBytes } = etcdOptionsFrom(
      options.params ?? {},
      options.cluster,
    );
    const checked = options.invariants !== false;
    const opts: EtcdRaftOptions = {
      raft: {
        ...raft,
        mutants: mutantsFor(options.mutant),
        ...(checked ? { recorder: new InvariantRecorder() } : {}),
      },
      retain,
      quotaBytes,
      ...(snapshotPartBytes !== undefined ? { snapshotPartBytes } : {}),
      ...(checked ? { recorder: new RevisionRecorder() } : {}),
    };
    return (env) => new EtcdRaftNode(env as NodeEnv<RaftMsg>, opts);
  },
  checkMessage: raftMessageProblem,
  checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
    for (const node of nodes.values()) {
      if (node instanceof EtcdRaftNode) {
        return node.recorder?.violation ?? node.revisions?.violation;
      }
    }
    return undefined;
  },
};
