/**
 * etcd's Auth API as operations of the etcd-raft machine: the admin operations (users, roles,
 * permissions, enable/disable), their error texts, and the envelope that names the user a
 * client request runs as.
 *
 * Passwords never enter the log: the front end hashes a password (with its own random salt)
 * before it proposes AuthUserAdd / AuthUserChangePassword, as etcd hashes with bcrypt before
 * proposing, so the machine only stores an opaque `hash` and stays deterministic.
 */
import type { Json } from '../../core/json.js';

/** etcd's auth errors and their gRPC codes (api/v3rpc/rpctypes/error.go). */
export const AUTH_ERRORS = {
  rootUserNotExist: {
    text: 'etcdserver: root user does not exist',
    code: 'FAILED_PRECONDITION',
  },
  rootRoleNotExist: {
    text: 'etcdserver: root user does not have root role',
    code: 'FAILED_PRECONDITION',
  },
  userAlreadyExist: { text: 'etcdserver: user name already exists', code: 'FAILED_PRECONDITION' },
  userEmpty: { text: 'etcdserver: user name is empty', code: 'INVALID_ARGUMENT' },
  userNotFound: { text: 'etcdserver: user name not found', code: 'FAILED_PRECONDITION' },
  roleAlreadyExist: { text: 'etcdserver: role name already exists', code: 'FAILED_PRECONDITION' },
  roleNotFound: { text: 'etcdserver: role name not found', code: 'FAILED_PRECONDITION' },
  roleEmpty: { text: 'etcdserver: role name is empty', code: 'INVALID_ARGUMENT' },
  authFailed: {
    text: 'etcdserver: authentication failed, invalid user ID or password',
    code: 'INVALID_ARGUMENT',
  },
  permissionDenied: { text: 'etcdserver: permission denied', code: 'PERMISSION_DENIED' },
  roleNotGranted: {
    text: 'etcdserver: role is not granted to the user',
    code: 'FAILED_PRECONDITION',
  },
  permissionNotGranted: {
    text: 'etcdserver: permission is not granted to the role',
    code: 'FAILED_PRECONDITION',
  },
  authNotEnabled: {
    text: 'etcdserver: authentication is not enabled',
    code: 'FAILED_PRECONDITION',
  },
  invalidAuthToken: { text: 'etcdserver: invalid auth token', code: 'UNAUTHENTICATED' },
  invalidAuthMgmt: { text: 'etcdserver: invalid auth management', code: 'INVALID_ARGUMENT' },
} as const;

export type PermType = 'READ' | 'WRITE' | 'READWRITE';

/** authpb.Permission: `range_end` '' = the one key, '\0' = every key ≥ key. */
export interface Permission {
  readonly permType: PermType;
  readonly key: string;
  readonly range_end: string;
}

export type AuthOp =
  | { readonly f: 'AuthEnable' }
  | { readonly f: 'AuthDisable' }
  | { readonly f: 'AuthStatus' }
  /** `hash` is the front end's salted hash; absent with no_password. */
  | { readonly f: 'AuthUserAdd'; readonly name: string; readonly hash?: string }
  | { readonly f: 'AuthUserGet'; readonly name: string }
  | { readonly f: 'AuthUserList' }
  | { readonly f: 'AuthUserDelete'; readonly name: string }
  | { readonly f: 'AuthUserChangePassword'; readonly name: string; readonly hash: string }
  | { readonly f: 'AuthUserGrantRole'; readonly user: string; readonly role: string }
  | { readonly f: 'AuthUserRevokeRole'; readonly name: string; readonly role: string }
  | { readonly f: 'AuthRoleAdd'; readonly name: string }
  | { readonly f: 'AuthRoleGet'; readonly role: string }
  | { readonly f: 'AuthRoleList' }
  | { readonly f: 'AuthRoleDelete'; readonly role: string }
  | { readonly f: 'AuthRoleGrantPermission'; readonly name: string; readonly perm: Permission }
  | {
      readonly f: 'AuthRoleRevokePermission';
      readonly role: string;
      readonly key: string;
      readonly range_end: string;
    }
  /**
   * The stored hash of a user, for the front end's Authenticate (a linearizable read, as etcd
   * reads before it checks a password). Never answered to a client.
   */
  | { readonly f: 'AuthUserHash'; readonly name: string }
  /**
   * Authenticate's second half, as etcd's InternalAuthenticateRequest: a token the front end
   * made after checking the password against `hash`. Applied on every member, so each member's
   * front end learns the token (etcd's simple tokens are assigned at apply on every member);
   * refused if the user's hash is no longer `hash` (the password changed in between).
   */
  | {
      readonly f: 'AuthAssignToken';
      readonly name: string;
      readonly hash: string;
      readonly token: string;
    };

/** A client request and the user it runs as (a token the front end verified). */
export interface AsUserOp {
  readonly f: 'etcd-as-user';
  readonly user: string;
  readonly op: Json;
}

type Obj = Readonly<Record<string, Json>>;
const isObj = (x: Json | undefined): x is Obj =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: Json | undefined): boolean => typeof x === 'string';

const PERM_TYPES: readonly string[] = ['READ', 'WRITE', 'READWRITE'];

function isPermission(x: Json | undefined): boolean {
  return (
    isObj(x) &&
    typeof x.permType === 'string' &&
    PERM_TYPES.includes(x.permType) &&
    str(x.key) &&
    str(x.range_end)
  );
}

/** Well-formed AuthOp? */
export function isAuthOp(x: Json): x is AuthOp & Json {
  if (!isObj(x)) return false;
  switch (x.f) {
    case 'AuthEnable':
    case 'AuthDisable':
    case 'AuthStatus':
    case 'AuthUserList':
    case 'AuthRoleList':
      return true;
    case 'AuthUserAdd':
      return str(x.name) && (x.hash === undefined || str(x.hash));
    case 'AuthUserGet':
    case 'AuthUserDelete':
    case 'AuthRoleAdd':
    case 'AuthUserHash':
      return str(x.name);
    case 'AuthUserChangePassword':
      return str(x.name) && str(x.hash);
    case 'AuthAssignToken':
      return str(x.name) && str(x.hash) && str(x.token);
    case 'AuthUserGrantRole':
      return str(x.user) && str(x.role);
    case 'AuthUserRevokeRole':
      return str(x.name) && str(x.role);
    case 'AuthRoleGet':
    case 'AuthRoleDelete':
      return str(x.role);
    case 'AuthRoleGrantPermission':
      return str(x.name) && isPermission(x.perm);
    case 'AuthRoleRevokePermission':
      return str(x.role) && str(x.key) && str(x.range_end);
    default:
      return false;
  }
}

/** An envelope whose inner op passes `inner` (the machine's own validity check). */
export function isAsUserOp(x: Json, inner: (op: Json) => boolean): x is AsUserOp & Json {
  return (
    isObj(x) &&
    x.f === 'etcd-as-user' &&
    typeof x.user === 'string' &&
    x.user !== '' &&
    x.op !== undefined &&
    !(isObj(x.op) && x.op.f === 'etcd-as-user') &&
    inner(x.op)
  );
}

/** The op inside an envelope, or the op itself. */
export function unwrapUser(op: Json): Json {
  return isObj(op) && op.f === 'etcd-as-user' && op.op !== undefined ? op.op : op;
}

/**
 * Operations only the etcd front end may submit: a request in a user's envelope (the front end
 * vouches for the token), a stored password hash, a token. Taken from the plain client port
 * (newline JSON, no authentication) they would walk around etcd's auth, so it refuses them.
 */
export function isFrontEndOnlyOp(op: Json): boolean {
  return (
    isObj(op) && (op.f === 'etcd-as-user' || op.f === 'AuthUserHash' || op.f === 'AuthAssignToken')
  );
}

/** Auth operations that only read the auth state (served after a read index, not logged). */
export const AUTH_READS: ReadonlySet<string> = new Set([
  'AuthStatus',
  'AuthUserGet',
  'AuthUserList',
  'AuthRoleGet',
  'AuthRoleList',
  'AuthUserHash',
]);

/** What needs the root role when auth is enabled (etcd's needAdminPermission). */
export const AUTH_ADMIN_OPS: ReadonlySet<string> = new Set([
  'AuthEnable',
  'AuthDisable',
  'AuthUserAdd',
  'AuthUserDelete',
  'AuthUserChangePassword',
  'AuthUserGrantRole',
  'AuthUserRevokeRole',
  'AuthRoleAdd',
  'AuthRoleGrantPermission',
  'AuthRoleRevokePermission',
  'AuthRoleDelete',
  'AuthUserList',
  'AuthRoleList',
]);
