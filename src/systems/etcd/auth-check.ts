/**
 * The permission check of every client request, made by the etcd-raft machine when it applies
 * (or, for reads, answers) the request — as etcd's authApplierV3 does — so a permission revoked
 * by an entry just before a request in the log is already in force for it. A check in the
 * front end alone would race with such a revoke.
 *
 * What each request needs follows etcd (server/etcdserver/apply/auth.go, txn CheckTxnAuth):
 *  - Range: READ on its range; Put: WRITE on the key, READ too with prev_kv, and WRITE on every
 *    key already attached to its lease; DeleteRange: WRITE on the range, READ too with prev_kv;
 *  - Txn: READ on every compare's range and the needs of every op in *both* branches, nested
 *    txns included (a branch not taken still must be allowed);
 *  - LeaseRevoke: WRITE on every key attached to the lease (unless root);
 *  - the admin operations: the root role (etcd's needAdminPermission), except that a user may
 *    get itself and the roles it has;
 *  - Compact and the other lease calls: nothing beyond a valid token, as in etcd 3.4.
 */
import type { Json } from '../../core/json.js';
import { isKvOp } from '../../core/kv.js';
import { AUTH_ADMIN_OPS, isAuthOp, unwrapUser } from './auth-ops.js';
import type { AuthStore } from './auth-store.js';
import type { EtcdOp, RequestOp, TxnReq } from './etcd-ops.js';
import type { LeaseTable } from './leases.js';

/**
 * Deliberately broken checks, each one rule removed, that the tests must catch:
 *  - 'txn-inner-ops-unchecked': a Txn checks its compares only, not the ops of its branches.
 */
export type AuthCheckMutant = 'txn-inner-ops-unchecked';

type Refusal = { readonly error: string };

export interface Access {
  readonly user: string;
  readonly op: Json;
}

class Checker {
  constructor(
    private readonly auth: AuthStore,
    private readonly leases: LeaseTable,
    private readonly user: string,
    private readonly mutant: AuthCheckMutant | undefined,
  ) {}

  read(key: string, end: string | undefined): Refusal | undefined {
    return this.auth.rangeRefusal(this.user, key, end ?? '', 'READ');
  }

  write(key: string, end: string | undefined): Refusal | undefined {
    return this.auth.rangeRefusal(this.user, key, end ?? '', 'WRITE');
  }

  /** etcd's checkLeasePuts: whoever attaches to or revokes a lease may write all its keys. */
  leaseKeys(id: number | undefined): Refusal | undefined {
    if (id === undefined || id === 0 || this.auth.adminRefusal(this.user) === undefined) {
      return undefined;
    }
    for (const k of this.leases.get(id)?.keys ?? []) {
      const r = this.write(k, undefined);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  put(key: string, lease: number | undefined, prevKv: boolean | undefined): Refusal | undefined {
    return (
      this.write(key, undefined) ??
      this.leaseKeys(lease) ??
      (prevKv === true ? this.read(key, undefined) : undefined)
    );
  }

  del(key: string, end: string | undefined, prevKv: boolean | undefined): Refusal | undefined {
    return this.write(key, end) ?? (prevKv === true ? this.read(key, end) : undefined);
  }

  requestOp(op: RequestOp): Refusal | undefined {
    if ('request_range' in op) return this.read(op.request_range.key, op.request_range.range_end);
    if ('request_put' in op) {
      const p = op.request_put;
      return this.put(p.key, p.lease, p.prev_kv);
    }
    if ('request_delete_range' in op) {
      const d = op.request_delete_range;
      return this.del(d.key, d.range_end, d.prev_kv);
    }
    return this.txn(op.request_txn);
  }

  txn(t: TxnReq): Refusal | undefined {
    for (const c of t.compare) {
      const r = this.read(c.key, c.range_end);
      if (r !== undefined) return r;
    }
    if (this.mutant === 'txn-inner-ops-unchecked') return undefined;
    for (const op of [...t.success, ...t.failure]) {
      const r = this.requestOp(op);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  etcd(op: EtcdOp): Refusal | undefined {
    switch (op.f) {
      case 'Range':
        return this.read(op.key, op.range_end);
      case 'Put':
        return this.put(op.key, op.lease, op.prev_kv);
      case 'DeleteRange':
        return this.del(op.key, op.range_end, op.prev_kv);
      case 'Txn':
        return this.txn(op);
      case 'LeaseRevoke':
        return this.leaseKeys(op.ID);
      default:
        return undefined;
    }
  }

  /** The core KV ops (the simulator's workload): a get reads its key, the rest write it. */
  kv(op: { readonly f: string; readonly key: string }): Refusal | undefined {
    if (op.f === 'get') return this.read(op.key, undefined);
    return (
      this.write(op.key, undefined) ?? (op.f === 'cas' ? this.read(op.key, undefined) : undefined)
    );
  }
}

/**
 * The request inside `op` (unwrapped from its user envelope) and its user, or etcd's refusal.
 * A request with no envelope runs as no user: refused with "user name is empty" wherever auth
 * is enabled and a permission is needed, as etcd refuses a request without a token.
 */
export function checkAccess(
  auth: AuthStore,
  leases: LeaseTable,
  wrapped: Json,
  mutant?: AuthCheckMutant,
): Access | Refusal {
  const op = unwrapUser(wrapped);
  const user = op === wrapped ? '' : (wrapped as { user: string }).user;
  if (!auth.enabled && !isAuthOp(op)) return { user, op };
  const c = new Checker(auth, leases, user, mutant);
  let refused: Refusal | undefined;
  if (isAuthOp(op)) {
    refused = AUTH_ADMIN_OPS.has(op.f) ? auth.adminRefusal(user) : undefined;
  } else if (isKvOp(op)) refused = c.kv(op);
  else refused = c.etcd(op as unknown as EtcdOp);
  return refused ?? { user, op };
}
