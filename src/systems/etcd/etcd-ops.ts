/**
 * The contract between etcd's v3 API (the gRPC front end in src/runtime/etcd/) and the MVCC
 * state machine replicated by Raft (`etcd-raft`). Each gRPC call becomes one operation here,
 * submitted to the node as an ordinary client request; its result comes back as plain JSON.
 *
 * Field names follow etcd's protobuf messages (snake_case, as @grpc/proto-loader's keepCase
 * gives them) so the front end translates little. Keys and values are *binary strings*: one
 * character per byte (Buffer ↔ 'latin1'), so byte order is string order and any bytes survive
 * JSON. Revisions, lease ids and TTLs are plain numbers (safe integers).
 *
 * The lowercase core KV operations (get/put/cas/append/delete, src/core/kv.ts) are accepted too,
 * so the simulator's KV workload and the linearizability checker run against the same machine.
 */
import type { Json } from '../../core/json.js';
import { AUTH_ERRORS } from './auth-ops.js';

/** A key's state at one revision (mvccpb.KeyValue). */
export interface KeyValue {
  readonly key: string;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly version: number;
  readonly value: string;
  readonly lease: number;
}

export interface WatchEvent {
  readonly type: 'PUT' | 'DELETE';
  /** For DELETE: the key with mod_revision = the deletion's revision and an empty value. */
  readonly kv: KeyValue;
  readonly prev_kv?: KeyValue;
}

export interface RangeReq {
  readonly key: string;
  /** '' = just `key`; '\0' = every key ≥ key; else [key, range_end). */
  readonly range_end?: string;
  readonly limit?: number;
  /** 0 = the current revision. */
  readonly revision?: number;
  readonly sort_order?: 'NONE' | 'ASCEND' | 'DESCEND';
  readonly sort_target?: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  readonly keys_only?: boolean;
  readonly count_only?: boolean;
  readonly min_mod_revision?: number;
  readonly max_mod_revision?: number;
  readonly min_create_revision?: number;
  readonly max_create_revision?: number;
}

export interface PutReq {
  readonly key: string;
  readonly value: string;
  readonly lease?: number;
  readonly prev_kv?: boolean;
  readonly ignore_value?: boolean;
  readonly ignore_lease?: boolean;
}

export interface DeleteRangeReq {
  readonly key: string;
  readonly range_end?: string;
  readonly prev_kv?: boolean;
}

export interface Compare {
  readonly result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  readonly target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
  readonly key: string;
  readonly range_end?: string;
  /** The operand for `target`: a number for VERSION/CREATE/MOD/LEASE, a string for VALUE. */
  readonly operand: number | string;
}

export type RequestOp =
  | { readonly request_range: RangeReq }
  | { readonly request_put: PutReq }
  | { readonly request_delete_range: DeleteRangeReq }
  | { readonly request_txn: TxnReq };

export interface TxnReq {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

/** Every etcd operation the machine takes; `f` names the gRPC method. */
export type EtcdOp =
  | ({ readonly f: 'Range' } & RangeReq)
  | ({ readonly f: 'Put' } & PutReq)
  | ({ readonly f: 'DeleteRange' } & DeleteRangeReq)
  | ({ readonly f: 'Txn' } & TxnReq)
  | { readonly f: 'Compact'; readonly revision: number }
  /** ID 0 = let the machine choose one. */
  | { readonly f: 'LeaseGrant'; readonly TTL: number; readonly ID?: number }
  | { readonly f: 'LeaseRevoke'; readonly ID: number }
  | { readonly f: 'LeaseKeepAlive'; readonly ID: number }
  | { readonly f: 'LeaseTimeToLive'; readonly ID: number; readonly keys?: boolean }
  | { readonly f: 'LeaseLeases' };

/** Every result carries the store's revision after the operation (ResponseHeader.revision). */
export interface Header {
  readonly revision: number;
}

export interface RangeRes {
  readonly header: Header;
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: number;
}
export interface PutRes {
  readonly header: Header;
  readonly prev_kv?: KeyValue;
}
export interface DeleteRangeRes {
  readonly header: Header;
  readonly deleted: number;
  readonly prev_kvs: readonly KeyValue[];
}
export type ResponseOp =
  | { readonly response_range: Omit<RangeRes, 'header'> & { header: Header } }
  | { readonly response_put: PutRes }
  | { readonly response_delete_range: DeleteRangeRes }
  | { readonly response_txn: TxnRes };
export interface TxnRes {
  readonly header: Header;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}
export interface CompactRes {
  readonly header: Header;
}
export interface LeaseGrantRes {
  readonly header: Header;
  readonly ID: number;
  readonly TTL: number;
}
export interface LeaseRevokeRes {
  readonly header: Header;
}
export interface LeaseKeepAliveRes {
  readonly header: Header;
  readonly ID: number;
  /** The refreshed TTL in seconds; 0 when the lease does not exist (etcd answers so too). */
  readonly TTL: number;
}
export interface LeaseTimeToLiveRes {
  readonly header: Header;
  readonly ID: number;
  /** Seconds left; -1 when the lease does not exist (etcd's answer). */
  readonly TTL: number;
  readonly grantedTTL: number;
  readonly keys: readonly string[];
}
export interface LeaseLeasesRes {
  readonly header: Header;
  readonly leases: readonly { readonly ID: number }[];
}

/**
 * An operation etcd would refuse. `error` is etcd's own text (clients match on it, e.g.
 * "etcdserver: mvcc: required revision has been compacted"); the front end maps it to the gRPC
 * status code etcd uses (see ETCD_ERRORS).
 */
export interface EtcdErrorRes {
  readonly error: string;
}

/** etcd's error texts and their gRPC status codes (go.etcd.io/etcd/api/v3rpc/rpctypes). */
export const ETCD_ERRORS = {
  compacted: {
    text: 'etcdserver: mvcc: required revision has been compacted',
    code: 'OUT_OF_RANGE',
  },
  futureRev: {
    text: 'etcdserver: mvcc: required revision is a future revision',
    code: 'OUT_OF_RANGE',
  },
  leaseNotFound: { text: 'etcdserver: requested lease not found', code: 'NOT_FOUND' },
  /** Put with ignore_value or ignore_lease on a key that does not exist. */
  keyNotFound: { text: 'etcdserver: key not found', code: 'INVALID_ARGUMENT' },
  leaseExists: { text: 'etcdserver: lease already exists', code: 'FAILED_PRECONDITION' },
  leaseTTLTooLarge: { text: 'etcdserver: too large lease TTL', code: 'OUT_OF_RANGE' },
  emptyKey: { text: 'etcdserver: key is not provided', code: 'INVALID_ARGUMENT' },
  valueProvided: { text: 'etcdserver: value is provided', code: 'INVALID_ARGUMENT' },
  leaseProvided: { text: 'etcdserver: lease is provided', code: 'INVALID_ARGUMENT' },
  tooManyOps: { text: 'etcdserver: too many operations in txn request', code: 'INVALID_ARGUMENT' },
  duplicateKey: {
    text: 'etcdserver: duplicate key given in txn request',
    code: 'INVALID_ARGUMENT',
  },
  noLeader: { text: 'etcdserver: no leader', code: 'UNAVAILABLE' },
  timeout: { text: 'etcdserver: request timed out', code: 'UNAVAILABLE' },
  tooManyRequests: { text: 'etcdserver: too many requests', code: 'RESOURCE_EXHAUSTED' },
  requestTooLarge: { text: 'etcdserver: request is too large', code: 'INVALID_ARGUMENT' },
  /** Over the space quota (etcd's --quota-backend-bytes; here --param quota-bytes). */
  noSpace: { text: 'etcdserver: mvcc: database space exceeded', code: 'RESOURCE_EXHAUSTED' },
  ...AUTH_ERRORS,
} as const;

export type EtcdResult = Json;

/**
 * What a node of `etcd-raft` offers the gRPC front end from its own applied state, which etcd
 * serves from any member's local store: Watch events, and `serializable` Ranges. Every
 * revision's events are delivered in revision order, each event's `kv.mod_revision` being its
 * revision.
 */
export interface WatchSource {
  /** The local store's current revision. */
  revision(): number;
  /**
   * The revision the store was last compacted at (0 = never). As in etcd, revisions below it
   * are gone; the compacted revision itself stays readable, so a watch may start at it (etcd
   * tells a compacted watcher to restart from exactly this revision).
   */
  compactRevision(): number;
  /**
   * The events of revisions ≥ `from` on keys in [key, range_end) (same range rules as Range),
   * in revision order, or 'compacted' when `from` < compactRevision() (etcd's rule). With a
   * `limit`, it stops at the end of the revision in which it reached that many events, so a
   * watcher far behind catches up in bounded steps.
   */
  eventsSince(
    from: number,
    key: string,
    range_end?: string,
    limit?: number,
  ): readonly WatchEvent[] | 'compacted';
  /**
   * Calls `listener` after each applied revision with that revision's events (every key), and
   * with `reset` = true after a snapshot replaced the store (a watcher then re-reads with
   * eventsSince from the revision it needs next). Returns the function that unsubscribes.
   */
  subscribe(listener: (events: readonly WatchEvent[], reset: boolean) => void): () => void;
  /**
   * A Range answered from this replica's store as it stands, with no read index and no leader
   * (etcd's `serializable` Range): possibly stale, never uncommitted.
   */
  range(req: RangeReq): RangeRes | EtcdErrorRes;
}

/** The node types of `etcd-raft` implement this to expose their WatchSource and term. */
export interface HasWatchSource {
  readonly watchSource: WatchSource;
  /** The node's current Raft term (etcd's ResponseHeader.raft_term). */
  readonly term: number;
}

/** The Raft term of a node that implements HasWatchSource, else undefined. */
export function termOf(node: unknown): number | undefined {
  return watchSourceOf(node) !== undefined ? (node as HasWatchSource).term : undefined;
}

export function watchSourceOf(node: unknown): WatchSource | undefined {
  return typeof node === 'object' && node !== null && 'watchSource' in node
    ? (node as HasWatchSource).watchSource
    : undefined;
}
