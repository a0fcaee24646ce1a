/**
 * Checking etcd operations before they run, in two layers:
 *
 *  - `isEtcdOp`: is it well-formed plain data of the shapes in etcd-ops.ts? Anything else is
 *    turned away as a malformed operation before it reaches the log.
 *  - `requestError`: would etcd's gRPC layer refuse it (api/v3rpc/key.go: checkRangeRequest,
 *    checkPutRequest, checkTxnRequest, checkIntervals)? Those refusals are etcd's own error
 *    texts, answered at once by the node and repeated by the state machine, so a request that
 *    somehow reaches the log anyway is refused there identically on every replica.
 */
import type { Json } from '../../core/json.js';
import {
  ETCD_ERRORS,
  type Compare,
  type EtcdOp,
  type PutReq,
  type RequestOp,
  type TxnReq,
} from './etcd-ops.js';
import { inInterval, keyInterval, type KeyInterval } from './key-range.js';
import { MAX_LEASE_TTL } from './leases.js';

/** etcd's --max-txn-ops default. */
export const MAX_TXN_OPS = 128;

type Obj = Readonly<Record<string, Json>>;

const isObj = (x: Json | undefined): x is Obj =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: Json | undefined): boolean => typeof x === 'number' && Number.isSafeInteger(x);
const optInt = (x: Json | undefined): boolean => x === undefined || isInt(x);
const optStr = (x: Json | undefined): boolean => x === undefined || typeof x === 'string';
const optBool = (x: Json | undefined): boolean => x === undefined || typeof x === 'boolean';
const oneOf = (x: Json | undefined, options: readonly string[]): boolean =>
  x === undefined || (typeof x === 'string' && options.includes(x));

function isRangeReq(o: Obj): boolean {
  return (
    typeof o.key === 'string' &&
    optStr(o.range_end) &&
    optInt(o.limit) &&
    optInt(o.revision) &&
    oneOf(o.sort_order, ['NONE', 'ASCEND', 'DESCEND']) &&
    oneOf(o.sort_target, ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']) &&
    optBool(o.keys_only) &&
    optBool(o.count_only) &&
    optInt(o.min_mod_revision) &&
    optInt(o.max_mod_revision) &&
    optInt(o.min_create_revision) &&
    optInt(o.max_create_revision)
  );
}

function isPutReq(o: Obj): boolean {
  return (
    typeof o.key === 'string' &&
    typeof o.value === 'string' &&
    optInt(o.lease) &&
    optBool(o.prev_kv) &&
    optBool(o.ignore_value) &&
    optBool(o.ignore_lease)
  );
}

function isDeleteReq(o: Obj): boolean {
  return typeof o.key === 'string' && optStr(o.range_end) && optBool(o.prev_kv);
}

function isCompare(x: Json): boolean {
  if (!isObj(x)) return false;
  if (typeof x.key !== 'string' || !optStr(x.range_end)) return false;
  if (!oneOf(x.result, ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']) || x.result === undefined) {
    return false;
  }
  if (x.target === 'VALUE') return typeof x.operand === 'string';
  return oneOf(x.target, ['VERSION', 'CREATE', 'MOD', 'LEASE']) && isInt(x.operand);
}

function isRequestOp(x: Json): boolean {
  if (!isObj(x)) return false;
  const names = Object.keys(x);
  if (names.length !== 1) return false;
  const body = x[names[0] as string];
  if (!isObj(body)) return false;
  switch (names[0]) {
    case 'request_range':
      return isRangeReq(body);
    case 'request_put':
      return isPutReq(body);
    case 'request_delete_range':
      return isDeleteReq(body);
    case 'request_txn':
      return isTxnReq(body);
    default:
      return false;
  }
}

function isTxnReq(o: Obj): boolean {
  const { compare, success, failure } = o;
  return (
    Array.isArray(compare) &&
    Array.isArray(success) &&
    Array.isArray(failure) &&
    compare.every(isCompare) &&
    success.every(isRequestOp) &&
    failure.every(isRequestOp)
  );
}

/** Well-formed etcd operation (etcd-ops.ts's EtcdOp)? */
export function isEtcdOp(x: Json): x is EtcdOp & Json {
  if (!isObj(x)) return false;
  switch (x.f) {
    case 'Range':
      return isRangeReq(x);
    case 'Put':
      return isPutReq(x);
    case 'DeleteRange':
      return isDeleteReq(x);
    case 'Txn':
      return isTxnReq(x);
    case 'Compact':
      return isInt(x.revision);
    case 'LeaseGrant':
      return isInt(x.TTL) && optInt(x.ID);
    case 'LeaseRevoke':
    case 'LeaseKeepAlive':
      return isInt(x.ID);
    case 'LeaseTimeToLive':
      return isInt(x.ID) && optBool(x.keys);
    case 'LeaseLeases':
      return true;
    default:
      return false;
  }
}

/** True when no branch of the txn, however nested, writes (etcd's IsTxnReadonly). */
export function isTxnReadOnly(t: TxnReq): boolean {
  const ro = (ops: readonly RequestOp[]): boolean =>
    ops.every(
      (op) =>
        'request_range' in op || ('request_txn' in op && isTxnReadOnly(op.request_txn as TxnReq)),
    );
  return ro(t.success) && ro(t.failure);
}

// ---- etcd's request checks -------------------------------------------------------------------

const emptyKey = ETCD_ERRORS.emptyKey.text;

function opError(op: RequestOp, maxOps: number): string | undefined {
  if ('request_range' in op) return op.request_range.key === '' ? emptyKey : undefined;
  if ('request_put' in op) return putError(op.request_put);
  if ('request_delete_range' in op) {
    return op.request_delete_range.key === '' ? emptyKey : undefined;
  }
  return txnError(op.request_txn, maxOps);
}

function putError(p: PutReq): string | undefined {
  if (p.key === '') return emptyKey;
  if (p.ignore_value === true && p.value !== '') return ETCD_ERRORS.valueProvided.text;
  if (p.ignore_lease === true && (p.lease ?? 0) !== 0) return ETCD_ERRORS.leaseProvided.text;
  return undefined;
}

/** checkTxnRequest: nested txns share the op budget, as in etcd. */
function txnError(t: TxnReq, maxOps: number): string | undefined {
  const opc = Math.max(t.compare.length, t.success.length, t.failure.length);
  if (opc > maxOps) return ETCD_ERRORS.tooManyOps.text;
  if (t.compare.some((c: Compare) => c.key === '')) return emptyKey;
  for (const op of [...t.success, ...t.failure]) {
    const e = opError(op, maxOps - opc);
    if (e !== undefined) return e;
  }
  return undefined;
}

interface Writes {
  readonly puts: Set<string>;
  readonly dels: KeyInterval[];
}

const hitsDelete = (dels: readonly KeyInterval[], key: string): boolean =>
  dels.some((d) => inInterval(key, d));

/**
 * etcd's checkIntervals: within one branch no key may be put twice, nor put and deleted — also
 * across nested txns, except that a nested txn's success and failure may put the same key (only
 * one of them runs). Deletes may overlap each other.
 */
function checkIntervals(ops: readonly RequestOp[]): Writes | 'duplicate' {
  const dels: KeyInterval[] = [];
  for (const op of ops) {
    if ('request_delete_range' in op) {
      const d = op.request_delete_range;
      dels.push(keyInterval(d.key, d.range_end));
    }
  }
  const puts = new Set<string>();
  const nestedDels: KeyInterval[] = [];
  for (const op of ops) {
    if (!('request_txn' in op)) continue;
    const then = checkIntervals(op.request_txn.success);
    if (then === 'duplicate') return then;
    const other = checkIntervals(op.request_txn.failure);
    if (other === 'duplicate') return other;
    for (const k of then.puts) {
      if (puts.has(k) || hitsDelete(dels, k)) return 'duplicate';
      puts.add(k);
    }
    for (const k of other.puts) {
      if (puts.has(k) && !then.puts.has(k)) return 'duplicate';
      if (hitsDelete(dels, k)) return 'duplicate';
      puts.add(k);
    }
    nestedDels.push(...then.dels, ...other.dels);
  }
  dels.push(...nestedDels);
  for (const op of ops) {
    if (!('request_put' in op)) continue;
    const k = op.request_put.key;
    if (puts.has(k) || hitsDelete(dels, k)) return 'duplicate';
    puts.add(k);
  }
  return { puts, dels };
}

/**
 * The error etcd's API layer would answer for this operation, or undefined when it passes.
 * (Lease existence and ignore_* on missing keys depend on the state: the machine checks those.)
 */
export function requestError(op: EtcdOp): string | undefined {
  switch (op.f) {
    case 'Range':
    case 'DeleteRange':
      return op.key === '' ? emptyKey : undefined;
    case 'Put':
      return putError(op);
    case 'Txn': {
      const e = txnError(op, MAX_TXN_OPS);
      if (e !== undefined) return e;
      if (
        checkIntervals(op.success) === 'duplicate' ||
        checkIntervals(op.failure) === 'duplicate'
      ) {
        return ETCD_ERRORS.duplicateKey.text;
      }
      return undefined;
    }
    case 'LeaseGrant':
      return op.TTL > MAX_LEASE_TTL ? ETCD_ERRORS.leaseTTLTooLarge.text : undefined;
    default:
      return undefined;
  }
}
