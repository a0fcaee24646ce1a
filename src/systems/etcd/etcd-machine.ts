/**
 * The Raft state machine of `etcd-raft`: etcd's MVCC store and lease table, with client
 * sessions exactly like kv-raft's KvMachine (each client's last sequence number and result
 * are replicated state, so a command that reaches the log twice takes effect once).
 *
 * It takes etcd's operations (etcd-ops.ts) and also the lowercase core KV operations
 * (src/core/kv.ts) with applyKv's results, on the same store — so the simulator's KV workload
 * and the linearizability checker judge the very store the gRPC front end serves.
 *
 * Reads (get, Range, read-only Txn, the lease queries) are answered after ReadIndex; the rest
 * goes through the log. LeaseKeepAlive and LeaseTimeToLive are "reads" here only for their
 * ReadIndex round: the answer's time part comes from the leader's lessor (see etcd-raft.ts).
 * So they, and LeaseLeases (etcd answers it from the leader's lessor), need the leader
 * (`readNeedsLeader`); the store reads may be served by a follower after a read index.
 *
 * Commands from clients named with INTERNAL_CLIENT_PREFIX are the leader's own proposals
 * (lease expiry, auto-compaction). They keep no session: each is proposed once per decision,
 * and applying one twice is harmless (a second revoke or compaction is refused, unchanged).
 */
import { DEFAULT_PART_BYTES, joinParts, splitSnapshot, type Lists } from './snapshot-parts.js';
import { etcdSnapshotProblem } from './snapshot-schema.js';
import type { Json } from '../../core/json.js';
import { isKvOp, type KvOp } from '../../core/kv.js';
import type { Command } from '../../protocols/raft/messages.js';
import type { StateMachine } from '../../protocols/raft/raft-node.js';
import {
  ETCD_ERRORS,
  type EtcdErrorRes,
  type EtcdOp,
  type Header,
  type RequestOp,
  type TxnReq,
  type WatchSource,
} from './etcd-ops.js';
import { checkAccess } from './auth-check.js';
import { AUTH_READS, isAsUserOp, isAuthOp, unwrapUser } from './auth-ops.js';
import { AuthStore, type AuthSnapshot } from './auth-store.js';
import { applyTxn } from './etcd-txn.js';
import { isEtcdOp, isTxnReadOnly, requestError } from './etcd-validate.js';
import { LeaseTable, MAX_LEASE_TTL, MIN_LEASE_TTL, type LeaseTableSnapshot } from './leases.js';
import {
  errorOf,
  MvccStore,
  VERSION_OVERHEAD,
  versionCost,
  type StoreSnapshot,
} from './mvcc-store.js';

/** Client ids starting with this are the nodes' own proposals; clients must not use it. */
export const INTERNAL_CLIENT_PREFIX = 'etcd-internal/';

/**
 * The leader's revoke of a lease it found expired. Unlike LeaseRevoke it names the grant it
 * judged, so it cannot revoke a lease granted again under the same id meanwhile.
 */
export interface ExpireLeaseOp {
  readonly f: 'etcd-expire-lease';
  readonly ID: number;
  readonly grant: number;
}

export function isExpireLeaseOp(x: Json): x is ExpireLeaseOp & Json {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, Json>;
  return o.f === 'etcd-expire-lease' && Number.isSafeInteger(o.ID) && Number.isSafeInteger(o.grant);
}

/** What a lease query reads from the replicated state; the node adds the lessor's clock. */
export interface LeaseReadResult {
  readonly header: Header;
  readonly ID: number;
  readonly exists: boolean;
  /** Granted TTL in seconds (0 when absent). */
  readonly grantedTTL: number;
  readonly keys: readonly string[];
}

/** What the node's lessor hears of leases as the log is applied. */
export interface LeaseObserver {
  leaseGranted(id: number, ttl: number): void;
  leaseRevoked(id: number): void;
  restored(): void;
}

/**
 * One recorder per simulated cluster: every replica reports its store hash at each revision it
 * applies, and two different hashes at one revision are a violation (replicas diverged even
 * though Raft delivered them the same commands — a nondeterministic apply).
 */
export class RevisionRecorder {
  violation: string | undefined;
  private readonly hashes = new Map<number, { hash: string; by: string }>();

  record(node: string, revision: number, hash: string): void {
    const seen = this.hashes.get(revision);
    if (seen === undefined) this.hashes.set(revision, { hash, by: node });
    else if (seen.hash !== hash && this.violation === undefined) {
      this.violation =
        `store divergence: ${node} has hash ${hash} at revision ${revision}, ` +
        `${seen.by} had ${seen.hash}`;
    }
  }
}

interface Session {
  readonly seq: number;
  readonly result: Json;
}

interface MachineSnapshot {
  readonly store: StoreSnapshot;
  readonly leases: LeaseTableSnapshot;
  readonly sessions: readonly (readonly [string, number, Json])[];
  readonly ops: number;
  /** Absent in snapshots from before auth (restored as auth disabled, no users). */
  readonly auth?: AuthSnapshot;
}

export interface EtcdMachineOptions {
  /** This replica's id, for the recorder's messages. */
  readonly node?: string;
  readonly recorder?: RevisionRecorder;
  /** Keep the store's per-revision hash chain (default true; see MvccStore). */
  readonly hashRevisions?: boolean;
  /** The space quota: store bytes (MvccStore.bytes) past which growth is refused; 0 = none. */
  readonly quotaBytes?: number;
  /** About how many characters of JSON each snapshot part holds (snapshot-parts.ts). */
  readonly snapshotPartBytes?: number;
}

/** What a Txn may add: its larger branch's puts, nested txns included (etcd's costTxn). */
function txnCost(t: TxnReq): number {
  const branch = (ops: readonly RequestOp[]): number => {
    let n = 0;
    for (const op of ops) {
      if ('request_put' in op) n += versionCost(op.request_put.key, op.request_put.value);
      else if ('request_txn' in op) n += txnCost(op.request_txn);
    }
    return n;
  };
  return Math.max(branch(t.success), branch(t.failure));
}

/** Lease queries: reads, but of the leader's lessor as well, so never served by a follower. */
const leaderOnlyReads = new Set(['LeaseKeepAlive', 'LeaseTimeToLive', 'LeaseLeases']);

const readOnlyFunctions = new Set(['get', 'Range', ...leaderOnlyReads, ...AUTH_READS]);

export class EtcdMachine implements StateMachine {
  readonly leases = new LeaseTable();
  readonly store: MvccStore;
  /** Users, roles and permissions (auth-store.ts), checked on every client request. */
  readonly auth = new AuthStore();
  /** Set by the node that owns the machine, to time leases on the leader. */
  observer: LeaseObserver | undefined;
  private sessions = new Map<string, Session>();
  private ops = 0;

  private readonly quotaBytes: number;
  private readonly partBytes: number;

  constructor(options: EtcdMachineOptions = {}) {
    this.store = new MvccStore(this.leases, options.hashRevisions ?? true);
    this.quotaBytes = options.quotaBytes ?? 0;
    this.partBytes = options.snapshotPartBytes ?? DEFAULT_PART_BYTES;
    const recorder = options.recorder;
    if (recorder !== undefined) {
      const node = options.node ?? '?';
      this.store.subscribe((_events, reset) => {
        if (!reset) recorder.record(node, this.store.revision, this.store.hash);
      });
    }
  }

  // ---- StateMachine -----------------------------------------------------------------------------

  valid(op: Json): boolean {
    const request = (x: Json): boolean => isKvOp(x) || isEtcdOp(x) || isAuthOp(x);
    return request(op) || isExpireLeaseOp(op) || isAsUserOp(op, request);
  }

  isRead(wrapped: Json): boolean {
    const op = unwrapUser(wrapped);
    const o = op as { f: string };
    if (readOnlyFunctions.has(o.f)) return true;
    return o.f === 'Txn' && isTxnReadOnly(op as unknown as EtcdOp & { f: 'Txn' });
  }

  readNeedsLeader(op: Json): boolean {
    return leaderOnlyReads.has((unwrapUser(op) as { f: string }).f);
  }

  apply(command: Command): Json {
    if (command.client.startsWith(INTERNAL_CLIENT_PREFIX)) {
      this.ops++;
      return this.execute(command.op, true);
    }
    const s = this.sessions.get(command.client);
    // Already applied (a duplicate in the log): answer from the session, change nothing.
    if (s !== undefined && command.seq <= s.seq) return command.seq === s.seq ? s.result : null;
    this.ops++;
    const result = this.execute(command.op);
    this.sessions.set(command.client, { seq: command.seq, result });
    return result;
  }

  read(op: Json): Json {
    return this.execute(op);
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  snapshot(): Json {
    const snap: MachineSnapshot = {
      store: this.store.snapshot(),
      leases: this.leases.snapshot(),
      sessions: [...this.sessions.entries()].map(([c, s]) => [c, s.seq, s.result] as const),
      ops: this.ops,
      auth: this.auth.snapshot(),
    };
    return snap as unknown as Json;
  }

  snapshotProblem(data: Json): string | undefined {
    return etcdSnapshotProblem(data);
  }

  snapshotParts(): readonly Json[] {
    // The machine's own snapshot value, whose lists splitSnapshot reads as JSON items.
    return splitSnapshot(this.snapshot() as unknown as Lists, this.partBytes);
  }

  snapshotPartsProblem(parts: readonly Json[]): string | undefined {
    const whole = joinParts(parts);
    return 'problem' in whole ? `snapshot: ${whole.problem}` : etcdSnapshotProblem(whole.snapshot);
  }

  /** Restores from parts that snapshotPartsProblem passed. */
  restoreParts(parts: readonly Json[]): void {
    const whole = joinParts(parts);
    if ('problem' in whole) throw new Error(`snapshot: ${whole.problem}`);
    this.restore(whole.snapshot);
  }

  restore(data: Json): void {
    const snap = data as unknown as MachineSnapshot;
    this.store.restore(snap.store);
    this.leases.restore(snap.leases, this.store.leasedKeys());
    this.sessions = new Map(snap.sessions.map(([c, seq, result]) => [c, { seq, result }]));
    this.ops = snap.ops;
    this.auth.restore(snap.auth);
    this.observer?.restored();
  }

  summary(): Record<string, Json> {
    return {
      revision: this.store.revision,
      compactRevision: this.store.compactRevision,
      keys: this.store.liveKeys,
      /** What the space quota counts (MvccStore.bytes). */
      bytes: this.store.bytes,
      leases: this.leases.size,
      appliedOps: this.ops,
      sessions: this.sessions.size,
    };
  }

  /**
   * A request that would grow the store past the space quota, as etcd's quota refuses Put, Txn
   * and LeaseGrant (reads, deletes, revokes and compaction go on, so space can be won back).
   * Decided by the machine, from replicated state only: every replica refuses the same requests.
   */
  private overQuota(op: EtcdOp): boolean {
    if (this.quotaBytes <= 0) return false;
    let cost: number;
    if (op.f === 'Put') cost = versionCost(op.key, op.value);
    else if (op.f === 'Txn') cost = txnCost(op);
    else if (op.f === 'LeaseGrant') cost = VERSION_OVERHEAD;
    else return false;
    return cost > 0 && this.store.bytes + cost > this.quotaBytes;
  }

  // ---- the watch source ---------------------------------------------------------------------

  /** This replica's applied events, for Watch (etcd serves watches from any member). */
  readonly watchSource: WatchSource = {
    revision: () => this.store.revision,
    compactRevision: () => this.store.compactRevision,
    eventsSince: (from, key, rangeEnd, limit) => this.store.eventsSince(from, key, rangeEnd, limit),
    subscribe: (listener) => this.store.subscribe(listener),
    range: (req) => this.store.range(req),
  };

  // ---- operations ---------------------------------------------------------------------------

  private header(): Header {
    return { revision: this.store.revision };
  }

  /**
   * Runs one operation of any kind against the store (validity was checked by `valid`). A
   * client's request is first checked against the auth state as it stands at this point of the
   * log (auth-check.ts); the nodes' own proposals (`internal`) are not.
   */
  private execute(wrapped: Json, internal = false): Json {
    const access = internal
      ? { user: '', op: wrapped }
      : checkAccess(this.auth, this.leases, wrapped);
    if ('error' in access) return access;
    const { op, user } = access;
    if (isAuthOp(op)) return this.auth.apply(op, user, this.store.revision);
    if (isKvOp(op)) return this.executeKv(op);
    if (isExpireLeaseOp(op)) {
      const lease = this.leases.get(op.ID);
      if (lease === undefined || lease.grant !== op.grant) {
        return errorOf(ETCD_ERRORS.leaseNotFound) as unknown as Json;
      }
      return this.revoke(op.ID) as unknown as Json;
    }
    return this.executeEtcd(op as unknown as EtcdOp) as unknown as Json;
  }

  /** The core KV operations, with applyKv's results, as single-key etcd writes. */
  private executeKv(op: KvOp): Json {
    const current = this.store.current(op.key);
    switch (op.f) {
      case 'get':
        return current?.value ?? null;
      case 'put':
      case 'append': {
        const value = op.f === 'put' ? op.value : (current?.value ?? '') + op.value;
        this.store.begin();
        this.store.put(op.key, value, 0);
        this.store.end();
        return null;
      }
      case 'cas': {
        if ((current?.value ?? null) !== op.value[0]) return false;
        this.store.begin();
        this.store.put(op.key, op.value[1], 0);
        this.store.end();
        return true;
      }
      case 'delete':
        this.store.begin();
        this.store.deleteRange(op.key, undefined, false);
        this.store.end();
        return null;
    }
  }

  private executeEtcd(op: EtcdOp): object {
    const invalid = requestError(op);
    if (invalid !== undefined) return { error: invalid } satisfies EtcdErrorRes;
    if (this.overQuota(op)) return errorOf(ETCD_ERRORS.noSpace);
    switch (op.f) {
      case 'Range':
        return this.store.range(op);
      case 'Put': {
        const current = this.store.current(op.key);
        if ((op.ignore_value === true || op.ignore_lease === true) && current === undefined) {
          return errorOf(ETCD_ERRORS.keyNotFound);
        }
        const lease = op.lease ?? 0;
        if (lease !== 0 && !this.leases.has(lease)) return errorOf(ETCD_ERRORS.leaseNotFound);
        this.store.begin();
        const res = this.store.put(op.key, op.value, lease, {
          prevKv: op.prev_kv === true,
          ignoreValue: op.ignore_value === true,
          ignoreLease: op.ignore_lease === true,
        });
        this.store.end();
        return res;
      }
      case 'DeleteRange': {
        this.store.begin();
        const res = this.store.deleteRange(op.key, op.range_end, op.prev_kv === true);
        const revision = this.store.end();
        return { ...res, header: { revision } };
      }
      case 'Txn':
        return applyTxn(this.store, this.leases, op);
      case 'Compact':
        return this.store.compact(op.revision);
      case 'LeaseGrant': {
        const id = op.ID ?? 0;
        if (op.TTL > MAX_LEASE_TTL) return errorOf(ETCD_ERRORS.leaseTTLTooLarge);
        if (id !== 0 && this.leases.has(id)) return errorOf(ETCD_ERRORS.leaseExists);
        const lease = this.leases.grant(id, Math.max(op.TTL, MIN_LEASE_TTL));
        this.observer?.leaseGranted(lease.id, lease.ttl);
        return { header: this.header(), ID: lease.id, TTL: lease.ttl };
      }
      case 'LeaseRevoke':
        if (!this.leases.has(op.ID)) return errorOf(ETCD_ERRORS.leaseNotFound);
        return this.revoke(op.ID);
      case 'LeaseKeepAlive':
      case 'LeaseTimeToLive': {
        const lease = this.leases.get(op.ID);
        const res: LeaseReadResult = {
          header: this.header(),
          ID: op.ID,
          exists: lease !== undefined,
          grantedTTL: lease?.ttl ?? 0,
          keys: lease === undefined ? [] : [...lease.keys].sort(),
        };
        return res;
      }
      case 'LeaseLeases':
        return { header: this.header(), leases: this.leases.all().map((l) => ({ ID: l.id })) };
    }
  }

  /** Deletes the lease's keys in one revision (in key order, as etcd does), then the lease. */
  private revoke(id: number): { header: Header } {
    const lease = this.leases.get(id);
    if (lease !== undefined && lease.keys.size > 0) {
      const keys = [...lease.keys].sort();
      this.store.begin();
      for (const k of keys) this.store.deleteRange(k, undefined, false);
      this.store.end();
    }
    this.leases.remove(id);
    this.observer?.leaseRevoked(id);
    return { header: this.header() };
  }
}
