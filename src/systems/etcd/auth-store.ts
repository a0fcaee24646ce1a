/**
 * etcd's auth store as replicated state of the etcd-raft machine: the enabled flag, users (a
 * stored password hash and roles), roles (permissions on key ranges) and the auth revision,
 * which moves on every change. Every member applies the same admin operations in log order, so
 * every member holds the same auth state; it is part of the machine's snapshot.
 *
 * Permissions follow etcd's range_perm_cache.go: a user's READ (resp. WRITE) intervals are the
 * union over its roles; a one-key request is allowed when some interval holds the key, a range
 * request when the union covers the whole range. The `root` role allows everything, and need
 * not exist as a role to be granted (as in etcd).
 */
import * as v from 'valibot';
import type { Json } from '../../core/json.js';
import { AUTH_ERRORS, type AuthOp, type Permission } from './auth-ops.js';

export const ROOT = 'root';

interface User {
  /** The front end's salted hash; '' for a user added with no_password (cannot authenticate). */
  readonly hash: string;
  /** Sorted. */
  readonly roles: readonly string[];
}

/** An interval of keys: `hi` null = unbounded; `point` = the one key `lo`. */
interface Span {
  readonly lo: string;
  readonly hi: string | null;
}

export interface AuthSnapshot {
  readonly enabled: boolean;
  readonly revision: number;
  /** [name, hash, roles], sorted by name. */
  readonly users: readonly (readonly [string, string, readonly string[]])[];
  /** [name, permissions], sorted by name. */
  readonly roles: readonly (readonly [string, readonly Permission[]])[];
}

const permission = v.strictObject({
  permType: v.picklist(['READ', 'WRITE', 'READWRITE']),
  key: v.string(),
  range_end: v.string(),
});

/** The snapshot field's shape (checked with the rest of a snapshot a peer sent). */
export const authSnapshotSchema = v.strictObject({
  enabled: v.boolean(),
  revision: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  users: v.array(v.tuple([v.string(), v.string(), v.array(v.string())])),
  roles: v.array(v.tuple([v.string(), v.array(permission)])),
});

type Err = { readonly error: string };
const err = (e: { readonly text: string }): Err => ({ error: e.text });

/** The smallest key after every key that starts with `k`… plus one byte: `k + '\0'`. */
const afterKey = (k: string): string => k + '\0';

function spanOf(key: string, rangeEnd: string): Span {
  if (rangeEnd === '') return { lo: key, hi: afterKey(key) };
  if (rangeEnd === '\0') return { lo: key, hi: null };
  return { lo: key, hi: rangeEnd };
}

/** Is [lo, hi) covered by the union of `spans`? */
function covered(spans: readonly Span[], want: Span): boolean {
  let at = want.lo;
  const sorted = [...spans].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  for (const s of sorted) {
    if (s.lo > at) break;
    if (s.hi === null) return true;
    if (s.hi > at) at = s.hi;
    if (want.hi !== null && at >= want.hi) return true;
  }
  return want.hi !== null && at >= want.hi;
}

/** etcd's isValidPermissionRange: a key, and an end that is '', '\0' or after the key. */
function validPermissionRange(key: string, rangeEnd: string): boolean {
  if (key === '') return false;
  return rangeEnd === '' || rangeEnd === '\0' || key < rangeEnd;
}

/** A token assigned by an applied Authenticate, for the member's front end. */
export interface AssignedToken {
  readonly token: string;
  readonly user: string;
  readonly hash: string;
  /** The auth revision it was assigned at. */
  readonly revision: number;
}

export class AuthStore {
  /**
   * Hears each token an applied Authenticate assigns (set by the front end). Tokens are not
   * replicated state: like etcd's simple tokens they live in each member's memory, with a TTL.
   */
  onToken: ((t: AssignedToken) => void) | undefined;
  private enabledFlag = false;
  private rev = 1;
  private users = new Map<string, User>();
  private roles = new Map<string, Permission[]>();

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** etcd's auth revision: starts at 1, moves on every change of the auth state. */
  get revision(): number {
    return this.rev;
  }

  /** The stored hash of a user (undefined when there is no such user). */
  hashOf(name: string): string | undefined {
    return this.users.get(name)?.hash;
  }

  hasRole(user: string, role: string): boolean {
    return this.users.get(user)?.roles.includes(role) ?? false;
  }

  isRoot(user: string): boolean {
    return this.hasRole(user, ROOT);
  }

  /**
   * etcd's IsAdminPermitted: when auth is enabled, only an existing user with the root role.
   * Returns the refusal, or undefined.
   */
  adminRefusal(user: string): Err | undefined {
    if (!this.enabledFlag) return undefined;
    if (user === '') return err(AUTH_ERRORS.userEmpty);
    if (!this.users.has(user)) return err(AUTH_ERRORS.userNotFound);
    return this.isRoot(user) ? undefined : err(AUTH_ERRORS.permissionDenied);
  }

  /**
   * etcd's isOpPermitted: may `user` read (or write) [key, rangeEnd) (rangeEnd as in Range)?
   * Returns the refusal, or undefined.
   */
  rangeRefusal(
    user: string,
    key: string,
    rangeEnd: string,
    type: 'READ' | 'WRITE',
  ): Err | undefined {
    if (!this.enabledFlag) return undefined;
    if (user === '') return err(AUTH_ERRORS.userEmpty);
    const u = this.users.get(user);
    if (u === undefined) return err(AUTH_ERRORS.permissionDenied);
    if (u.roles.includes(ROOT)) return undefined;
    const spans: Span[] = [];
    for (const r of u.roles) {
      for (const p of this.roles.get(r) ?? []) {
        if (p.permType === 'READWRITE' || p.permType === type) {
          spans.push(spanOf(p.key, p.range_end));
        }
      }
    }
    return covered(spans, spanOf(key, rangeEnd)) ? undefined : err(AUTH_ERRORS.permissionDenied);
  }

  /**
   * Applies an admin operation (the admin check is the caller's: see auth-check.ts). `revision`
   * is the store's, for the response header. Refusals change nothing.
   */
  apply(op: AuthOp, user: string, revision: number): Json {
    const header = { revision };
    const ok = (): Json => ({ header });
    switch (op.f) {
      case 'AuthEnable': {
        if (this.enabledFlag) return ok();
        const root = this.users.get(ROOT);
        if (root === undefined) return err(AUTH_ERRORS.rootUserNotExist);
        if (!root.roles.includes(ROOT)) return err(AUTH_ERRORS.rootRoleNotExist);
        this.enabledFlag = true;
        this.rev++;
        return ok();
      }
      case 'AuthDisable':
        if (this.enabledFlag) {
          this.enabledFlag = false;
          this.rev++;
        }
        return ok();
      case 'AuthStatus':
        return { header, enabled: this.enabledFlag, authRevision: this.rev };
      case 'AuthUserAdd': {
        if (op.name === '') return err(AUTH_ERRORS.userEmpty);
        if (this.users.has(op.name)) return err(AUTH_ERRORS.userAlreadyExist);
        this.users.set(op.name, { hash: op.hash ?? '', roles: [] });
        this.rev++;
        return ok();
      }
      case 'AuthUserGet': {
        const u = this.users.get(op.name);
        if (u === undefined) return err(AUTH_ERRORS.userNotFound);
        // etcd lets a user read itself without the root role.
        if (op.name !== user) {
          const refused = this.adminRefusal(user);
          if (refused !== undefined) return refused;
        }
        return { header, roles: [...u.roles] };
      }
      case 'AuthUserList':
        return { header, users: [...this.users.keys()].sort() };
      case 'AuthUserDelete': {
        if (this.enabledFlag && op.name === ROOT) return err(AUTH_ERRORS.invalidAuthMgmt);
        if (!this.users.delete(op.name)) return err(AUTH_ERRORS.userNotFound);
        this.rev++;
        return ok();
      }
      case 'AuthUserChangePassword': {
        const u = this.users.get(op.name);
        if (u === undefined) return err(AUTH_ERRORS.userNotFound);
        this.users.set(op.name, { ...u, hash: op.hash });
        this.rev++;
        return ok();
      }
      case 'AuthUserGrantRole': {
        const u = this.users.get(op.user);
        if (u === undefined) return err(AUTH_ERRORS.userNotFound);
        if (op.role !== ROOT && !this.roles.has(op.role)) return err(AUTH_ERRORS.roleNotFound);
        if (u.roles.includes(op.role)) return ok();
        this.users.set(op.user, { ...u, roles: [...u.roles, op.role].sort() });
        this.rev++;
        return ok();
      }
      case 'AuthUserRevokeRole': {
        if (this.enabledFlag && op.name === ROOT && op.role === ROOT) {
          return err(AUTH_ERRORS.invalidAuthMgmt);
        }
        const u = this.users.get(op.name);
        if (u === undefined) return err(AUTH_ERRORS.userNotFound);
        if (!u.roles.includes(op.role)) return err(AUTH_ERRORS.roleNotGranted);
        this.users.set(op.name, { ...u, roles: u.roles.filter((r) => r !== op.role) });
        this.rev++;
        return ok();
      }
      case 'AuthRoleAdd': {
        if (op.name === '') return err(AUTH_ERRORS.roleEmpty);
        if (this.roles.has(op.name)) return err(AUTH_ERRORS.roleAlreadyExist);
        this.roles.set(op.name, []);
        this.rev++;
        return ok();
      }
      case 'AuthRoleGet': {
        const perms = this.roles.get(op.role);
        if (perms === undefined) return err(AUTH_ERRORS.roleNotFound);
        if (!this.hasRole(user, op.role)) {
          const refused = this.adminRefusal(user);
          if (refused !== undefined) return refused;
        }
        return { header, perm: perms.map((p) => ({ ...p })) };
      }
      case 'AuthRoleList':
        return { header, roles: [...this.roles.keys()].sort() };
      case 'AuthRoleDelete': {
        if (this.enabledFlag && op.role === ROOT) return err(AUTH_ERRORS.invalidAuthMgmt);
        if (!this.roles.delete(op.role)) return err(AUTH_ERRORS.roleNotFound);
        // A deleted role is revoked from every user that had it (etcd does the same).
        for (const [name, u] of [...this.users]) {
          if (u.roles.includes(op.role)) {
            this.users.set(name, { ...u, roles: u.roles.filter((r) => r !== op.role) });
          }
        }
        this.rev++;
        return ok();
      }
      case 'AuthRoleGrantPermission': {
        const perms = this.roles.get(op.name);
        if (perms === undefined) return err(AUTH_ERRORS.roleNotFound);
        const p = op.perm;
        if (!validPermissionRange(p.key, p.range_end)) return err(AUTH_ERRORS.invalidAuthMgmt);
        const same = perms.findIndex((q) => q.key === p.key && q.range_end === p.range_end);
        const next = same >= 0 ? perms.filter((_, i) => i !== same) : [...perms];
        next.push({ permType: p.permType, key: p.key, range_end: p.range_end });
        next.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        this.roles.set(op.name, next);
        this.rev++;
        return ok();
      }
      case 'AuthRoleRevokePermission': {
        const perms = this.roles.get(op.role);
        if (perms === undefined) return err(AUTH_ERRORS.roleNotFound);
        const at = perms.findIndex((q) => q.key === op.key && q.range_end === op.range_end);
        if (at < 0) return err(AUTH_ERRORS.permissionNotGranted);
        this.roles.set(
          op.role,
          perms.filter((_, i) => i !== at),
        );
        this.rev++;
        return ok();
      }
      case 'AuthAssignToken': {
        if (!this.enabledFlag) return err(AUTH_ERRORS.authNotEnabled);
        if (this.users.get(op.name)?.hash !== op.hash) return err(AUTH_ERRORS.authFailed);
        this.onToken?.({ token: op.token, user: op.name, hash: op.hash, revision: this.rev });
        return { header, token: op.token };
      }
      case 'AuthUserHash': {
        // etcd refuses Authenticate while auth is off (clients then go on without a token).
        if (!this.enabledFlag) return err(AUTH_ERRORS.authNotEnabled);
        const hash = this.users.get(op.name)?.hash;
        if (hash === undefined || hash === '') return err(AUTH_ERRORS.authFailed);
        return { header, hash, authRevision: this.rev };
      }
    }
  }

  snapshot(): AuthSnapshot {
    const byName = (a: readonly [string, ...unknown[]], b: readonly [string, ...unknown[]]) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
    return {
      enabled: this.enabledFlag,
      revision: this.rev,
      users: [...this.users].map(([n, u]) => [n, u.hash, [...u.roles]] as const).sort(byName),
      roles: [...this.roles].map(([n, ps]) => [n, ps.map((p) => ({ ...p }))] as const).sort(byName),
    };
  }

  /** Restores a snapshot's auth field; a snapshot without one (older) is no auth at all. */
  restore(s: AuthSnapshot | undefined): void {
    this.enabledFlag = s?.enabled ?? false;
    this.rev = s?.revision ?? 1;
    this.users = new Map(
      (s?.users ?? []).map(([n, hash, roles]) => [n, { hash, roles: [...roles].sort() }]),
    );
    this.roles = new Map((s?.roles ?? []).map(([n, ps]) => [n, ps.map((p) => ({ ...p }))]));
  }

  /** For the summary: how many users and roles, and whether enforcement is on. */
  summary(): Record<string, Json> {
    return { enabled: this.enabledFlag, users: this.users.size, roles: this.roles.size };
  }
}
