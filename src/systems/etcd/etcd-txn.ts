/**
 * etcd's Txn as the apply layer runs it (server/etcdserver/txn): first every compare along the
 * way is evaluated against the state *before* the transaction — nested txns included, so a
 * nested compare never sees the outer branch's writes — giving the path of branches taken;
 * then the requests on that path are checked against that same state (leases exist, ignore_*
 * keys exist, read revisions are neither future nor compacted), and only then do they run, in
 * order, as one write transaction: one revision for the whole Txn, and a Range inside it sees
 * the writes before it.
 */
import {
  ETCD_ERRORS,
  type Compare,
  type EtcdErrorRes,
  type KeyValue,
  type RequestOp,
  type ResponseOp,
  type TxnReq,
  type TxnRes,
} from './etcd-ops.js';
import type { LeaseTable } from './leases.js';
import type { MvccStore } from './mvcc-store.js';

/** The branch taken at one txn, and the paths of the txns nested in that branch, in order. */
interface Path {
  readonly succeeded: boolean;
  readonly nested: readonly Path[];
}

/** What a missing key compares as (etcd compares against an empty KeyValue). */
const ZERO: KeyValue = {
  key: '',
  create_revision: 0,
  mod_revision: 0,
  version: 0,
  value: '',
  lease: 0,
};

function compareKv(c: Compare, kv: KeyValue): boolean {
  let actual: number | string;
  switch (c.target) {
    case 'VALUE':
      actual = kv.value;
      break;
    case 'VERSION':
      actual = kv.version;
      break;
    case 'CREATE':
      actual = kv.create_revision;
      break;
    case 'MOD':
      actual = kv.mod_revision;
      break;
    case 'LEASE':
      actual = kv.lease;
      break;
  }
  const operand = c.operand;
  switch (c.result) {
    case 'EQUAL':
      return actual === operand;
    case 'NOT_EQUAL':
      return actual !== operand;
    case 'GREATER':
      return actual > operand;
    case 'LESS':
      return actual < operand;
  }
}

/**
 * One compare: over a range it must hold for every live key in it. With no live key, a VALUE
 * compare fails (etcd cannot tell a missing value from an empty one) and the others compare
 * against zeros — so "version = 0" tests that a key is absent.
 */
export function evaluateCompare(store: MvccStore, c: Compare): boolean {
  const kvs = store.liveRange(c.key, c.range_end);
  if (kvs.length === 0) return c.target === 'VALUE' ? false : compareKv(c, ZERO);
  return kvs.every((kv) => compareKv(c, kv));
}

function plan(store: MvccStore, t: TxnReq): Path {
  const succeeded = t.compare.every((c) => evaluateCompare(store, c));
  const ops = succeeded ? t.success : t.failure;
  const nested: Path[] = [];
  for (const op of ops) if ('request_txn' in op) nested.push(plan(store, op.request_txn));
  return { succeeded, nested };
}

/** etcd's checkTxnReqs along the path, against the state before the txn. */
function checkPath(
  store: MvccStore,
  leases: LeaseTable,
  t: TxnReq,
  path: Path,
): string | undefined {
  let n = 0;
  for (const op of path.succeeded ? t.success : t.failure) {
    if ('request_range' in op) {
      const rev = op.request_range.revision ?? 0;
      if (rev > store.revision) return ETCD_ERRORS.futureRev.text;
      if (rev > 0 && rev < store.compactRevision) return ETCD_ERRORS.compacted.text;
    } else if ('request_put' in op) {
      const p = op.request_put;
      if ((p.ignore_value === true || p.ignore_lease === true) && !store.current(p.key)) {
        return ETCD_ERRORS.keyNotFound.text;
      }
      if ((p.lease ?? 0) !== 0 && !leases.has(p.lease as number)) {
        return ETCD_ERRORS.leaseNotFound.text;
      }
    } else if ('request_txn' in op) {
      const e = checkPath(store, leases, op.request_txn, path.nested[n++] as Path);
      if (e !== undefined) return e;
    }
  }
  return undefined;
}

function run(store: MvccStore, t: TxnReq, path: Path, header: { revision: number }): TxnRes {
  let n = 0;
  const responses: ResponseOp[] = [];
  for (const op of path.succeeded ? t.success : t.failure) {
    responses.push(runOp(store, op, () => path.nested[n++] as Path));
  }
  return { header, succeeded: path.succeeded, responses };
}

/** The response headers of a nested Txn: etcd (3.4) leaves them empty, revision 0. */
const NESTED_TXN_HEADER = Object.freeze({ revision: 0 });

function runOp(store: MvccStore, op: RequestOp, nextPath: () => Path): ResponseOp {
  if ('request_range' in op) {
    const r = store.range(op.request_range);
    // checkPath ruled out the revision errors; nothing else can fail.
    if ('error' in r) throw new Error(`txn range failed after its check: ${r.error}`);
    return { response_range: r };
  }
  if ('request_put' in op) {
    const p = op.request_put;
    const r = store.put(p.key, p.value, p.lease ?? 0, {
      prevKv: p.prev_kv === true,
      ignoreValue: p.ignore_value === true,
      ignoreLease: p.ignore_lease === true,
    });
    return { response_put: r };
  }
  if ('request_delete_range' in op) {
    const d = op.request_delete_range;
    return { response_delete_range: store.deleteRange(d.key, d.range_end, d.prev_kv === true) };
  }
  return { response_txn: run(store, op.request_txn, nextPath(), NESTED_TXN_HEADER) };
}

/**
 * Runs a validated Txn (see etcd-validate.ts) as one write transaction. As in etcd, the outer
 * header carries the revision the txn ends at, and each operation's response the revision it
 * saw: a read or a delete of nothing before the txn's first write the revision before it, any
 * operation after a write (and every write) the txn's own; a nested Txn's header is empty.
 */
export function applyTxn(store: MvccStore, leases: LeaseTable, t: TxnReq): TxnRes | EtcdErrorRes {
  const path = plan(store, t);
  const error = checkPath(store, leases, t, path);
  if (error !== undefined) return { error };
  const header = { revision: store.revision };
  store.begin();
  let res: TxnRes;
  try {
    res = run(store, t, path, header);
  } finally {
    header.revision = store.end();
  }
  return res;
}
