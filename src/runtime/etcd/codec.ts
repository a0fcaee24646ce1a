/**
 * Translation between etcd's gRPC messages (as @grpc/proto-loader decodes them, see proto.ts)
 * and the operations and results of the MVCC machine (src/systems/etcd/etcd-ops.ts). Requests
 * are checked here the way etcd's API layer checks them (empty keys, ops per txn, options that
 * contradict each other, size), so malformed input is refused with etcd's own error before it
 * reaches a node; the machine checks the rest (overlapping writes in a txn, …) itself. Keys and values cross as binary strings (one character per byte, 'latin1').
 */
import { MAX_TXN_OPS } from '../../systems/etcd/etcd-validate.js';
import { status as Status } from '@grpc/grpc-js';
import type { Json } from '../../core/json.js';
import {
  ETCD_ERRORS,
  type Compare,
  type DeleteRangeReq,
  type EtcdOp,
  type KeyValue,
  type PutReq,
  type RangeReq,
  type RequestOp,
  type TxnReq,
  type WatchEvent,
} from '../../systems/etcd/etcd-ops.js';

/** An error to answer a call with: a gRPC status code and etcd's text. */
export class EtcdFault extends Error {
  constructor(
    readonly code: Status,
    text: string,
  ) {
    super(text);
    this.name = 'EtcdFault';
  }
}

type ErrorName = keyof typeof ETCD_ERRORS;

export function fault(name: ErrorName): EtcdFault {
  const e = ETCD_ERRORS[name];
  return new EtcdFault(Status[e.code], e.text);
}

const CODE_OF_TEXT = new Map<string, Status>(
  Object.values(ETCD_ERRORS).map((e) => [e.text, Status[e.code]]),
);

/** A machine's `{error: text}` as a fault: etcd's code for its texts, UNKNOWN otherwise. */
export function faultOfText(text: string): EtcdFault {
  return new EtcdFault(CODE_OF_TEXT.get(text) ?? Status.UNKNOWN, text);
}

/** The gRPC status object grpc-js sends for a fault (or any other error). */
export function toStatus(e: unknown): { code: Status; details: string } {
  if (e instanceof EtcdFault) return { code: e.code, details: e.message };
  return { code: Status.INTERNAL, details: e instanceof Error ? e.message : String(e) };
}

/** etcd's default --max-request-bytes (1.5 MiB). */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

// ---- requests -------------------------------------------------------------------------------

type Msg = Record<string, unknown>;

function bin(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'string' ? v : '';
}

/** A whole number from an int64 field (numbers, or strings some encoders leave). */
function int(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function flag(v: unknown): boolean {
  return v === true;
}

const SORT_ORDER: Record<string, RangeReq['sort_order']> = {
  None: 'NONE',
  Ascend: 'ASCEND',
  Descend: 'DESCEND',
  NONE: 'NONE',
  ASCEND: 'ASCEND',
  DESCEND: 'DESCEND',
};
const SORT_TARGET: Record<string, RangeReq['sort_target']> = {
  Key: 'KEY',
  Version: 'VERSION',
  Create: 'CREATE',
  Mod: 'MOD',
  Value: 'VALUE',
  KEY: 'KEY',
  VERSION: 'VERSION',
  CREATE: 'CREATE',
  MOD: 'MOD',
  VALUE: 'VALUE',
};
const COMPARE_RESULT: Record<string, Compare['result']> = {
  Equal: 'EQUAL',
  Greater: 'GREATER',
  Less: 'LESS',
  NotEqual: 'NOT_EQUAL',
  EQUAL: 'EQUAL',
  GREATER: 'GREATER',
  LESS: 'LESS',
  NOT_EQUAL: 'NOT_EQUAL',
};
const COMPARE_TARGET: Record<string, Compare['target']> = {
  Version: 'VERSION',
  Create: 'CREATE',
  Mod: 'MOD',
  Value: 'VALUE',
  Lease: 'LEASE',
  VERSION: 'VERSION',
  CREATE: 'CREATE',
  MOD: 'MOD',
  VALUE: 'VALUE',
  LEASE: 'LEASE',
};

function enumOf<T>(table: Record<string, T>, v: unknown, what: string): T {
  const r = typeof v === 'string' ? table[v] : undefined;
  if (r === undefined) throw new EtcdFault(Status.INVALID_ARGUMENT, `etcdserver: bad ${what}`);
  return r;
}

function key(m: Msg): string {
  const k = bin(m.key);
  if (k === '') throw fault('emptyKey');
  return k;
}

export function rangeReq(m: Msg): RangeReq {
  const r: Record<string, Json> = { key: key(m) };
  const end = bin(m.range_end);
  if (end !== '') r.range_end = end;
  const limit = int(m.limit);
  if (limit > 0) r.limit = limit;
  const revision = int(m.revision);
  if (revision > 0) r.revision = revision;
  const order = enumOf(SORT_ORDER, m.sort_order ?? 'None', 'sort order') as string;
  const target = enumOf(SORT_TARGET, m.sort_target ?? 'Key', 'sort target') as string;
  if (order !== 'NONE') r.sort_order = order;
  if (target !== 'KEY') r.sort_target = target;
  if (flag(m.keys_only)) r.keys_only = true;
  if (flag(m.count_only)) r.count_only = true;
  for (const f of [
    'min_mod_revision',
    'max_mod_revision',
    'min_create_revision',
    'max_create_revision',
  ] as const) {
    const v = int(m[f]);
    if (v > 0) r[f] = v;
  }
  return r as unknown as RangeReq;
}

export function putReq(m: Msg): PutReq {
  const r: Record<string, Json> = { key: key(m), value: bin(m.value) };
  const lease = int(m.lease);
  if (flag(m.ignore_value)) {
    if (r.value !== '') throw fault('valueProvided');
    r.ignore_value = true;
  }
  if (flag(m.ignore_lease)) {
    if (lease !== 0) throw fault('leaseProvided');
    r.ignore_lease = true;
  }
  if (lease !== 0) r.lease = lease;
  if (flag(m.prev_kv)) r.prev_kv = true;
  return r as unknown as PutReq;
}

export function deleteRangeReq(m: Msg): DeleteRangeReq {
  const r: Record<string, Json> = { key: key(m) };
  const end = bin(m.range_end);
  if (end !== '') r.range_end = end;
  if (flag(m.prev_kv)) r.prev_kv = true;
  return r as unknown as DeleteRangeReq;
}

function compare(m: Msg): Compare {
  const target = enumOf(COMPARE_TARGET, m.target ?? 'Version', 'compare target');
  const r: Record<string, Json> = {
    result: enumOf(COMPARE_RESULT, m.result ?? 'Equal', 'compare result'),
    target,
    key: bin(m.key),
    operand:
      target === 'VALUE'
        ? bin(m.value)
        : int(
            target === 'VERSION'
              ? m.version
              : target === 'CREATE'
                ? m.create_revision
                : target === 'MOD'
                  ? m.mod_revision
                  : m.lease,
          ),
  };
  const end = bin(m.range_end);
  if (end !== '') r.range_end = end;
  return r as unknown as Compare;
}

function requestOp(m: Msg): RequestOp {
  const which = m.request;
  const inner = (m[typeof which === 'string' ? which : ''] ?? null) as Msg | null;
  if (inner === null || typeof inner !== 'object') {
    throw new EtcdFault(Status.INVALID_ARGUMENT, 'etcdserver: empty request op in txn');
  }
  switch (which) {
    case 'request_range':
      return { request_range: rangeReq(inner) };
    case 'request_put':
      return { request_put: putReq(inner) };
    case 'request_delete_range':
      return { request_delete_range: deleteRangeReq(inner) };
    case 'request_txn':
      return { request_txn: txnReq(inner) };
    default:
      throw new EtcdFault(Status.INVALID_ARGUMENT, 'etcdserver: empty request op in txn');
  }
}

function list(v: unknown): Msg[] {
  return Array.isArray(v) ? (v as Msg[]) : [];
}

/** The bytes of a request's keys and values: its strings, one byte per character. */
function stringBytes(v: Json): number {
  if (typeof v === 'string') return v.length;
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  for (const x of Object.values(v)) n += stringBytes(x);
  return n;
}

export function txnReq(m: Msg): TxnReq {
  const cmp = list(m.compare);
  const success = list(m.success);
  const failure = list(m.failure);
  if (cmp.length > MAX_TXN_OPS || success.length > MAX_TXN_OPS || failure.length > MAX_TXN_OPS) {
    throw fault('tooManyOps');
  }
  const r: TxnReq = {
    compare: cmp.map(compare),
    success: success.map(requestOp),
    failure: failure.map(requestOp),
  };
  // Overlapping writes in a branch (etcd's checkIntervals) are refused by the machine's own
  // checks, before the log (src/systems/etcd/etcd-validate.ts).
  return r;
}

/**
 * The operation for one unary call (`method` is the gRPC method name). Like etcd, any request
 * over --max-request-bytes is refused, counting the bytes of its keys and values. Besides
 * matching etcd, this bounds every log entry: the gRPC limit alone (4 MiB) would let a key of
 * control bytes become ~24 MiB of JSON, more than one message between nodes may carry, and an
 * entry that cannot be replicated stops the log behind it.
 */
export function opFor(method: string, m: Msg): EtcdOp {
  const op = decodeOp(method, m);
  if (stringBytes(op as unknown as Json) > MAX_REQUEST_BYTES) throw fault('requestTooLarge');
  return op;
}

function decodeOp(method: string, m: Msg): EtcdOp {
  switch (method) {
    case 'Range':
      return { f: 'Range', ...rangeReq(m) };
    case 'Put':
      return { f: 'Put', ...putReq(m) };
    case 'DeleteRange':
      return { f: 'DeleteRange', ...deleteRangeReq(m) };
    case 'Txn':
      return { f: 'Txn', ...txnReq(m) };
    case 'Compact':
      return { f: 'Compact', revision: Math.max(0, int(m.revision)) };
    case 'LeaseGrant': {
      const TTL = int(m.TTL);
      const ID = int(m.ID);
      return ID !== 0 ? { f: 'LeaseGrant', TTL, ID } : { f: 'LeaseGrant', TTL };
    }
    case 'LeaseRevoke':
      return { f: 'LeaseRevoke', ID: int(m.ID) };
    case 'LeaseKeepAlive':
      return { f: 'LeaseKeepAlive', ID: int(m.ID) };
    case 'LeaseTimeToLive':
      return flag(m.keys)
        ? { f: 'LeaseTimeToLive', ID: int(m.ID), keys: true }
        : { f: 'LeaseTimeToLive', ID: int(m.ID) };
    case 'LeaseLeases':
      return { f: 'LeaseLeases' };
    default:
      throw new EtcdFault(Status.UNIMPLEMENTED, `unknown method ${method}`);
  }
}

// ---- results --------------------------------------------------------------------------------

export interface HeaderFields {
  readonly cluster_id: number;
  readonly member_id: number;
  readonly raft_term: number;
}

export type ResponseHeader = HeaderFields & { readonly revision: number };

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function kvOut(kv: KeyValue): Msg {
  return {
    key: Buffer.from(kv.key, 'latin1'),
    create_revision: kv.create_revision,
    mod_revision: kv.mod_revision,
    version: kv.version,
    value: Buffer.from(kv.value ?? '', 'latin1'),
    lease: kv.lease ?? 0,
  };
}

function kvsOut(v: unknown): Msg[] {
  return Array.isArray(v) ? (v as KeyValue[]).map(kvOut) : [];
}

function revisionOf(r: Msg): number {
  return num((r.header as Msg | undefined)?.revision);
}

/**
 * etcd fills in only the revision of the headers inside a Txn's responses; the cluster and
 * member ids and the Raft term are in the outer header alone (zero inside).
 */
const NESTED_HEADER: HeaderFields = { cluster_id: 0, member_id: 0, raft_term: 0 };

function responseOp(r: Msg): Msg {
  const h = NESTED_HEADER;
  if (r.response_range !== undefined) {
    return { response_range: resultFor('Range', r.response_range as Msg, h) };
  }
  if (r.response_put !== undefined) {
    return { response_put: resultFor('Put', r.response_put as Msg, h) };
  }
  if (r.response_delete_range !== undefined) {
    return { response_delete_range: resultFor('DeleteRange', r.response_delete_range as Msg, h) };
  }
  return { response_txn: resultFor('Txn', (r.response_txn ?? {}) as Msg, h) };
}

/** The gRPC response for a machine's result of `method`. */
export function resultFor(method: string, r: Msg, h: HeaderFields): Msg {
  const header = { ...h, revision: revisionOf(r) };
  switch (method) {
    case 'Range':
      return { header, kvs: kvsOut(r.kvs), more: r.more === true, count: num(r.count) };
    case 'Put':
      return r.prev_kv !== undefined && r.prev_kv !== null
        ? { header, prev_kv: kvOut(r.prev_kv as KeyValue) }
        : { header };
    case 'DeleteRange':
      return { header, deleted: num(r.deleted), prev_kvs: kvsOut(r.prev_kvs) };
    case 'Txn':
      return {
        header,
        succeeded: r.succeeded === true,
        responses: Array.isArray(r.responses) ? (r.responses as Msg[]).map(responseOp) : [],
      };
    case 'LeaseGrant':
      return { header, ID: num(r.ID), TTL: num(r.TTL), error: '' };
    case 'LeaseKeepAlive':
      return { header, ID: num(r.ID), TTL: num(r.TTL) };
    case 'LeaseTimeToLive':
      return {
        header,
        ID: num(r.ID),
        TTL: num(r.TTL),
        grantedTTL: num(r.grantedTTL),
        keys: Array.isArray(r.keys)
          ? (r.keys as string[]).map((k) => Buffer.from(k, 'latin1'))
          : [],
      };
    case 'LeaseLeases':
      return {
        header,
        leases: Array.isArray(r.leases) ? (r.leases as Msg[]).map((l) => ({ ID: num(l.ID) })) : [],
      };
    default:
      return { header };
  }
}

const EVENT_TYPE = { PUT: 0, DELETE: 1 } as const;

/** A watch event as mvccpb.Event; prev_kv only when the watcher asked for it. */
export function eventOut(e: WatchEvent, prevKv: boolean): Msg {
  const out: Msg = { type: EVENT_TYPE[e.type], kv: kvOut(e.kv) };
  if (prevKv && e.prev_kv !== undefined) out.prev_kv = kvOut(e.prev_kv);
  return out;
}
