/**
 * etcd's auth in the etcd-raft machine: admin operations, the permission check of every kind of
 * request at apply time (ranges, prefixes, from-key, root, Txn compares and inner ops, leases),
 * the auth state in the snapshot, and the mutant that skips a Txn's inner ops.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { checkAccess } from '../../../src/systems/etcd/auth-check.js';
import { AUTH_ERRORS } from '../../../src/systems/etcd/auth-ops.js';
import { EtcdMachine } from '../../../src/systems/etcd/etcd-machine.js';

const DENIED = AUTH_ERRORS.permissionDenied.text;
const EMPTY = AUTH_ERRORS.userEmpty.text;

class Harness {
  readonly m = new EtcdMachine();
  private seq = 0;

  /** Applies `op` as a logged command, as `user` ('' = no envelope). */
  run(op: Json, user = ''): Record<string, Json> {
    const wrapped = user === '' ? op : { f: 'etcd-as-user', user, op };
    assert.ok(this.m.valid(wrapped), `valid: ${JSON.stringify(wrapped)}`);
    const r = this.m.isRead(wrapped)
      ? this.m.read(wrapped)
      : this.m.apply({ client: 'c', seq: ++this.seq, op: wrapped });
    return r as Record<string, Json>;
  }

  ok(op: Json, user = ''): Record<string, Json> {
    const r = this.run(op, user);
    assert.equal(r.error, undefined, `${JSON.stringify(op)} as ${user}: ${String(r.error)}`);
    return r;
  }

  refused(op: Json, user: string, text: string): void {
    assert.equal(this.run(op, user).error, text, `${JSON.stringify(op)} as '${user}'`);
  }
}

/** root (root role) and `u` with role `r` holding the given permissions; auth enabled. */
function setup(perms: readonly { permType: string; key: string; range_end: string }[]): Harness {
  const h = new Harness();
  h.ok({ f: 'AuthUserAdd', name: 'root', hash: 'h-root' });
  h.ok({ f: 'AuthUserAdd', name: 'u', hash: 'h-u' });
  h.ok({ f: 'AuthRoleAdd', name: 'r' });
  for (const perm of perms) h.ok({ f: 'AuthRoleGrantPermission', name: 'r', perm });
  h.ok({ f: 'AuthUserGrantRole', user: 'u', role: 'r' });
  h.refused({ f: 'AuthEnable' }, '', AUTH_ERRORS.rootRoleNotExist.text);
  h.ok({ f: 'AuthUserGrantRole', user: 'root', role: 'root' });
  h.ok({ f: 'AuthEnable' });
  return h;
}

const put = (key: string, extra: Record<string, Json> = {}): Json => ({
  f: 'Put',
  key,
  value: 'v',
  ...extra,
});
const get = (key: string, range_end?: string): Json =>
  range_end === undefined ? { f: 'Range', key } : { f: 'Range', key, range_end };
const txn = (compare: Json[], success: Json[], failure: Json[] = []): Json => ({
  f: 'Txn',
  compare,
  success,
  failure,
});

describe('etcd auth in the machine', () => {
  test('enable needs root with the root role; disabled auth checks nothing', () => {
    const h = new Harness();
    h.refused({ f: 'AuthEnable' }, '', AUTH_ERRORS.rootUserNotExist.text);
    h.ok(put('x'));
    h.ok({ f: 'AuthUserAdd', name: 'root', hash: 'h' });
    h.refused({ f: 'AuthEnable' }, '', AUTH_ERRORS.rootRoleNotExist.text);
    h.ok({ f: 'AuthUserGrantRole', user: 'root', role: 'root' });
    h.ok({ f: 'AuthEnable' });
    assert.equal(h.ok({ f: 'AuthStatus' }).enabled, true);
    h.refused(put('x'), '', EMPTY);
    h.refused({ f: 'AuthDisable' }, '', EMPTY);
    h.ok({ f: 'AuthDisable' }, 'root');
    h.ok(put('x'));
  });

  test('READ on a prefix: reads inside allowed, writes and reads outside denied', () => {
    const h = setup([{ permType: 'READ', key: 'a/', range_end: 'a0' }]);
    h.ok(put('a/x'), 'root');
    assert.equal((h.ok(get('a/x'), 'u').kvs as Json[]).length, 1);
    h.ok(get('a/', 'a0'), 'u');
    h.ok(get('a/x', 'a/z'), 'u');
    h.refused(get('a/', 'b'), 'u', DENIED); // reaches past the prefix
    h.refused(get('b'), 'u', DENIED);
    h.refused(put('a/x'), 'u', DENIED);
    h.refused({ f: 'DeleteRange', key: 'a/x' }, 'u', DENIED);
    h.refused(get('a/x'), '', EMPTY);
    h.refused(get('a/x'), 'nobody', DENIED);
  });

  test('a one-key permission allows that key only; from-key reaches every later key', () => {
    const h = setup([
      { permType: 'READWRITE', key: 'k', range_end: '' },
      { permType: 'WRITE', key: 'm', range_end: '\0' },
    ]);
    h.ok(put('k'), 'u');
    h.ok(get('k'), 'u');
    h.refused(put('k2'), 'u', DENIED);
    h.refused(get('k', 'k\0\0'), 'u', DENIED); // [k, k\0\0) holds k\0 too
    h.ok(put('zzz'), 'u');
    h.ok({ f: 'DeleteRange', key: 'm', range_end: '\0' }, 'u');
    h.refused({ f: 'DeleteRange', key: 'l', range_end: '\0' }, 'u', DENIED);
    // prev_kv needs READ as well
    h.refused(put('zzz', { prev_kv: true }), 'u', DENIED);
  });

  test('adjacent permissions from two roles cover a range together', () => {
    const h = setup([{ permType: 'READ', key: 'a', range_end: 'c' }]);
    h.refused(get('a', 'e'), 'u', DENIED);
    h.ok({ f: 'AuthRoleAdd', name: 'r2' }, 'root');
    h.ok(
      {
        f: 'AuthRoleGrantPermission',
        name: 'r2',
        perm: { permType: 'READ', key: 'c', range_end: 'e' },
      },
      'root',
    );
    h.ok({ f: 'AuthUserGrantRole', user: 'u', role: 'r2' }, 'root');
    h.ok(get('a', 'e'), 'u');
    // and revoking the role's permission takes effect at the next entry
    h.ok({ f: 'AuthRoleRevokePermission', role: 'r2', key: 'c', range_end: 'e' }, 'root');
    h.refused(get('a', 'e'), 'u', DENIED);
  });

  test('Txn: compares need READ, every inner op of both branches is checked, nested too', () => {
    const h = setup([{ permType: 'READWRITE', key: 'a/', range_end: 'a0' }]);
    const cmp = (key: string): Json => ({ result: 'EQUAL', target: 'VERSION', key, operand: 0 });
    h.ok(txn([cmp('a/x')], [{ request_put: { key: 'a/x', value: '1' } }]), 'u');
    h.refused(txn([cmp('b')], []), 'u', DENIED);
    h.refused(txn([], [], [{ request_put: { key: 'b', value: '1' } }]), 'u', DENIED);
    const nested = {
      request_txn: { compare: [], success: [{ request_range: { key: 'b' } }], failure: [] },
    };
    h.refused(txn([], [nested]), 'u', DENIED);
    const before = h.m.store.revision;
    h.refused(
      txn(
        [],
        [{ request_put: { key: 'a/y', value: '1' } }, { request_delete_range: { key: 'z' } }],
      ),
      'u',
      DENIED,
    );
    assert.equal(h.m.store.revision, before, 'a refused txn changes nothing');
  });

  test('the mutant that skips Txn inner ops is caught', () => {
    const h = setup([{ permType: 'READ', key: 'a/', range_end: 'a0' }]);
    const op = {
      f: 'etcd-as-user',
      user: 'u',
      op: txn([], [{ request_put: { key: 'a/x', value: '1' } }]),
    };
    const good = checkAccess(h.m.auth, h.m.leases, op);
    const bad = checkAccess(h.m.auth, h.m.leases, op, 'txn-inner-ops-unchecked');
    assert.deepEqual(good, { error: DENIED });
    assert.notDeepEqual(bad, good, 'the mutant lets the put through, and this test sees it');
  });

  test('leases: attaching to or revoking a lease needs WRITE on every key it holds', () => {
    const h = setup([{ permType: 'READWRITE', key: 'a/', range_end: 'a0' }]);
    const lease = h.ok({ f: 'LeaseGrant', TTL: 60 }, 'root').ID as number;
    h.ok(put('secret', { lease }), 'root');
    h.refused(put('a/x', { lease }), 'u', DENIED);
    h.refused({ f: 'LeaseRevoke', ID: lease }, 'u', DENIED);
    h.ok({ f: 'LeaseRevoke', ID: lease }, 'root');
    const own = h.ok({ f: 'LeaseGrant', TTL: 60 }, 'u').ID as number;
    h.ok(put('a/x', { lease: own }), 'u');
    h.ok({ f: 'LeaseRevoke', ID: own }, 'u');
  });

  test('admin ops need root; a user may read itself and its roles', () => {
    const h = setup([]);
    h.refused({ f: 'AuthUserList' }, 'u', DENIED);
    h.refused({ f: 'AuthUserAdd', name: 'x', hash: 'h' }, 'u', DENIED);
    h.refused({ f: 'AuthUserAdd', name: 'x', hash: 'h' }, 'ghost', AUTH_ERRORS.userNotFound.text);
    assert.deepEqual(h.ok({ f: 'AuthUserGet', name: 'u' }, 'u').roles, ['r']);
    h.refused({ f: 'AuthUserGet', name: 'root' }, 'u', DENIED);
    h.ok({ f: 'AuthRoleGet', role: 'r' }, 'u');
    assert.deepEqual(h.ok({ f: 'AuthUserList' }, 'root').users, ['root', 'u']);
    h.refused({ f: 'AuthUserDelete', name: 'root' }, 'root', AUTH_ERRORS.invalidAuthMgmt.text);
    h.refused({ f: 'AuthRoleDelete', role: 'root' }, 'root', AUTH_ERRORS.invalidAuthMgmt.text);
    h.refused(
      { f: 'AuthUserRevokeRole', name: 'root', role: 'root' },
      'root',
      AUTH_ERRORS.invalidAuthMgmt.text,
    );
    h.refused(
      { f: 'AuthUserRevokeRole', name: 'u', role: 'zz' },
      'root',
      AUTH_ERRORS.roleNotGranted.text,
    );
    h.refused({ f: 'AuthRoleAdd', name: 'r' }, 'root', AUTH_ERRORS.roleAlreadyExist.text);
    h.refused(
      { f: 'AuthUserAdd', name: 'u', hash: 'h' },
      'root',
      AUTH_ERRORS.userAlreadyExist.text,
    );
    h.refused(
      {
        f: 'AuthRoleGrantPermission',
        name: 'r',
        perm: { permType: 'READ', key: 'b', range_end: 'a' },
      },
      'root',
      AUTH_ERRORS.invalidAuthMgmt.text,
    );
    // deleting a role takes it from its users
    h.ok({ f: 'AuthRoleDelete', role: 'r' }, 'root');
    assert.deepEqual(h.ok({ f: 'AuthUserGet', name: 'u' }, 'root').roles, []);
  });

  test('the auth state is in the snapshot, and a snapshot without it restores no auth', () => {
    const h = setup([{ permType: 'READ', key: 'a/', range_end: 'a0' }]);
    const snap = h.m.snapshot();
    assert.equal(h.m.snapshotProblem(snap), undefined);
    const m2 = new EtcdMachine();
    m2.restore(snap);
    assert.deepEqual(m2.auth.snapshot(), h.m.auth.snapshot());
    assert.equal(m2.auth.enabled, true);
    assert.deepEqual(
      checkAccess(m2.auth, m2.leases, { f: 'etcd-as-user', user: 'u', op: put('a/x') }),
      { error: DENIED },
    );
    const old = { ...(snap as Record<string, Json>) };
    delete old.auth;
    assert.equal(h.m.snapshotProblem(old), undefined);
    m2.restore(old);
    assert.equal(m2.auth.enabled, false);
    const bad = { ...(snap as Record<string, Json>), auth: { enabled: 'yes' } };
    assert.match(h.m.snapshotProblem(bad) ?? '', /auth/);
  });

  test('envelopes: no nesting, no empty user, no internal ops inside', () => {
    const m = new EtcdMachine();
    assert.equal(m.valid({ f: 'etcd-as-user', user: '', op: get('a') }), false);
    assert.equal(
      m.valid({
        f: 'etcd-as-user',
        user: 'u',
        op: { f: 'etcd-as-user', user: 'root', op: get('a') },
      }),
      false,
    );
    assert.equal(
      m.valid({ f: 'etcd-as-user', user: 'u', op: { f: 'etcd-expire-lease', ID: 1, grant: 1 } }),
      false,
    );
    assert.equal(m.isRead({ f: 'etcd-as-user', user: 'u', op: get('a') }), true);
    assert.equal(m.isRead({ f: 'etcd-as-user', user: 'u', op: put('a') }), false);
  });
});
