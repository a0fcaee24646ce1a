/**
 * The etcd front end's half of Auth: the gRPC Auth service, password hashing, and etcd's
 * *simple tokens*: a random string handed out by Authenticate, valid for a TTL that each use
 * renews (etcd's --auth-token-ttl, 300 s by default), kept in memory — not in the replicated
 * state nor the snapshot. As in etcd, Authenticate puts the new token through the log and every
 * member's front end learns it when its machine applies it, so a client may use its token at
 * any member (clientv3 balances calls over every endpoint it was given); each member keeps its
 * own TTL.
 *
 * The replicated half is the machine's (src/systems/etcd/auth-store.ts): users, roles, the
 * enabled flag, and the permission check of every request at apply time. Here a request's
 * token is turned into the user it runs as, which travels with the request in its envelope
 * (auth-ops.ts). Passwords are hashed here, with scrypt and a random salt, before an
 * AuthUserAdd / AuthUserChangePassword enters the log, so the log and the machine hold only
 * the hash (etcd does the same with bcrypt). Authenticate reads the stored hash with a
 * linearizable read (etcd reads linearizably before checking a password too), checks the
 * password here, and proposes the token with the hash it checked against; the machine refuses
 * the token if the password changed in between.
 *
 * A token stops working when it expires, when its user is deleted, or when the user's password
 * changes (etcd invalidates a user's tokens on both): a token records the user's hash, and is
 * judged against this member's applied auth state on every use.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { status as Status, type Metadata } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import type { Json } from '../../core/json.js';
import { checkAccess } from '../../systems/etcd/auth-check.js';
import type { AuthOp, PermType } from '../../systems/etcd/auth-ops.js';
import type { AssignedToken } from '../../systems/etcd/auth-store.js';
import { EtcdMachine } from '../../systems/etcd/etcd-machine.js';
import { EtcdFault, fault, faultOfText, toStatus, type HeaderFields } from './codec.js';
import { malformedOf } from './proto.js';

type Msg = Record<string, unknown>;

/** etcd's default --auth-token-ttl. */
export const DEFAULT_TOKEN_TTL_MS = 300_000;

/** scrypt's cost (2^14, r 8, p 1: about 50 ms, like etcd's bcrypt cost 10). */
const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function scryptAsync(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r }, (e, key) =>
      e ? reject(e) : resolve(key),
    );
  });
}

/** A password's stored form: `scrypt$N$r$p$salt$key` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Does `password` match a stored hash? A hash in any other form matches nothing. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Only the cost this code writes: a stored hash must not choose how much work a login costs.
  if (N !== SCRYPT.N || r !== SCRYPT.r || p !== SCRYPT.p) return false;
  const salt = Buffer.from(parts[4] as string, 'base64');
  const want = Buffer.from(parts[5] as string, 'base64');
  if (want.length !== KEY_BYTES) return false;
  const got = await scryptAsync(password, salt, N, r, p);
  return timingSafeEqual(got, want);
}

/** The etcd-raft machine of a node, for its local auth state (undefined for other systems). */
export function localMachineOf(node: unknown): EtcdMachine | undefined {
  if (typeof node !== 'object' || node === null || !('machine' in node)) return undefined;
  const m = (node as { machine: unknown }).machine;
  return m instanceof EtcdMachine ? m : undefined;
}

interface Token {
  readonly user: string;
  /** The user's hash when the token was issued: a new password (or a new user) ends it. */
  readonly hash: string;
  /** The auth revision the hash was read at. */
  readonly revision: number;
  expires: number;
}

export interface AuthFrontOptions {
  /** This member's etcd-raft machine (looked up per use: the node may restart). */
  readonly machine: () => EtcdMachine | undefined;
  /** Submits an op through the log (or a read index); rejects with the machine's fault. */
  readonly submit: (op: Json, deadline: number) => Promise<Msg>;
  readonly header: () => HeaderFields;
  readonly tokenTtlMs?: number;
  /** Tokens kept at most; the oldest go first (bounds what Authenticate calls can fill). */
  readonly maxTokens?: number;
  readonly now?: () => number;
}

const PERM_TYPE_IN: Record<string, PermType> = {
  Read: 'READ',
  Write: 'WRITE',
  Readwrite: 'READWRITE',
  READ: 'READ',
  WRITE: 'WRITE',
  READWRITE: 'READWRITE',
};
const PERM_TYPE_OUT: Record<PermType, number> = { READ: 0, WRITE: 1, READWRITE: 2 };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bin = (v: unknown): string =>
  Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'string' ? v : '';

/** The Auth service's methods (rpc.proto's service Auth). */
export const AUTH_METHODS = [
  'AuthEnable',
  'AuthDisable',
  'AuthStatus',
  'Authenticate',
  'UserAdd',
  'UserGet',
  'UserList',
  'UserDelete',
  'UserChangePassword',
  'UserGrantRole',
  'UserRevokeRole',
  'RoleAdd',
  'RoleGet',
  'RoleList',
  'RoleDelete',
  'RoleGrantPermission',
  'RoleRevokePermission',
] as const;

export class AuthFront {
  private readonly tokens = new Map<string, Token>();
  private readonly ttlMs: number;
  private readonly maxTokens: number;
  private readonly now: () => number;
  private issued = 0;
  /** The machine whose applied tokens this front end hears (machine()). */
  private attached: EtcdMachine | undefined;
  private attachTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: AuthFrontOptions) {
    this.ttlMs = o.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.maxTokens = o.maxTokens ?? 100_000;
    this.now = o.now ?? Date.now;
    // The node (and its machine) is made after the front end starts: listen as soon as it is.
    this.attachTimer = setInterval(() => {
      if (this.machine() !== undefined) this.stopAttaching();
    }, 50);
    this.attachTimer.unref();
  }

  close(): void {
    this.stopAttaching();
    if (this.attached !== undefined) this.attached.auth.onToken = undefined;
    this.tokens.clear();
  }

  private stopAttaching(): void {
    if (this.attachTimer !== null) clearInterval(this.attachTimer);
    this.attachTimer = null;
  }

  /** The local machine, listening to the tokens it assigns. */
  private machine(): EtcdMachine | undefined {
    const m = this.o.machine();
    if (m !== undefined && m !== this.attached) {
      this.attached = m;
      m.auth.onToken = (t) => this.remember(t);
    }
    return m;
  }

  private remember(t: AssignedToken): void {
    this.sweep();
    this.tokens.set(t.token, {
      user: t.user,
      hash: t.hash,
      revision: t.revision,
      expires: this.now() + this.ttlMs,
    });
  }

  get tokenCount(): number {
    return this.tokens.size;
  }

  /**
   * The user a call runs as: undefined when auth is off here (a token is then ignored, as etcd
   * ignores it) or the call carries no token (the machine then refuses what needs a user).
   * Throws "invalid auth token" for a token this member did not issue, or that expired or was
   * invalidated.
   */
  userOf(metadata: Metadata): string | undefined {
    const m = this.machine();
    if (m === undefined || !m.auth.enabled) return undefined;
    const given = metadata.get('token')[0];
    if (given === undefined) return undefined;
    const key = typeof given === 'string' ? given : given.toString('utf8');
    const t = this.tokens.get(key);
    const now = this.now();
    if (t === undefined || t.expires <= now) {
      this.tokens.delete(key);
      throw fault('invalidAuthToken');
    }
    if (m.auth.revision >= t.revision && m.auth.hashOf(t.user) !== t.hash) {
      this.tokens.delete(key);
      throw fault('invalidAuthToken');
    }
    t.expires = now + this.ttlMs;
    return t.user;
  }

  /** A request in the envelope that names its user (as is, with no user). */
  as(user: string | undefined, op: Json): Json {
    return user === undefined ? op : { f: 'etcd-as-user', user, op };
  }

  /**
   * For what this member answers from its own store (serializable Ranges, watches): the
   * machine's own check, against the local auth state. Throws etcd's refusal.
   */
  checkLocal(user: string | undefined, op: Json): void {
    const m = this.machine();
    if (m === undefined) return;
    const r = checkAccess(m.auth, m.leases, this.as(user, op));
    if ('error' in r) throw faultOfText(r.error);
  }

  /** May the stream's caller watch [key, end)? (etcd's isWatchPermitted: no on a bad token.) */
  watchPermitted(metadata: Metadata, key: string, end: string): boolean {
    try {
      const user = this.userOf(metadata);
      this.checkLocal(user, { f: 'Range', key, ...(end !== '' ? { range_end: end } : {}) });
      return true;
    } catch {
      return false;
    }
  }

  /** The Auth service's handlers. */
  handlers(
    deadlineOf: (call: grpc.ServerUnaryCall<Msg, Msg>) => number,
  ): grpc.UntypedServiceImplementation {
    const out: grpc.UntypedServiceImplementation = {};
    for (const method of AUTH_METHODS) {
      out[method] = ((call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
        const malformed = malformedOf(call.request);
        if (malformed !== undefined) return cb(toStatus(malformed));
        this.serve(method, call.request, call.metadata, deadlineOf(call)).then(
          (res) => cb(null, res),
          (e: unknown) => cb(toStatus(e)),
        );
      }) as grpc.handleUnaryCall<Msg, Msg>;
    }
    return out;
  }

  private async serve(
    method: string,
    req: Msg,
    metadata: Metadata,
    deadline: number,
  ): Promise<Msg> {
    if (method === 'Authenticate')
      return this.authenticate(str(req.name), str(req.password), deadline);
    const user = this.userOf(metadata);
    const op = await this.opOf(method, req);
    const r = await this.o.submit(this.as(user, op as unknown as Json), deadline);
    return this.response(method, r);
  }

  private async opOf(method: string, m: Msg): Promise<AuthOp> {
    switch (method) {
      case 'AuthEnable':
      case 'AuthDisable':
      case 'AuthStatus':
        return { f: method };
      case 'UserAdd': {
        const name = str(m.name);
        const noPassword = (m.options as Msg | null | undefined)?.no_password === true;
        if (noPassword) return { f: 'AuthUserAdd', name };
        return { f: 'AuthUserAdd', name, hash: await hashPassword(str(m.password)) };
      }
      case 'UserGet':
        return { f: 'AuthUserGet', name: str(m.name) };
      case 'UserList':
        return { f: 'AuthUserList' };
      case 'UserDelete':
        return { f: 'AuthUserDelete', name: str(m.name) };
      case 'UserChangePassword':
        return {
          f: 'AuthUserChangePassword',
          name: str(m.name),
          hash: await hashPassword(str(m.password)),
        };
      case 'UserGrantRole':
        return { f: 'AuthUserGrantRole', user: str(m.user), role: str(m.role) };
      case 'UserRevokeRole':
        return { f: 'AuthUserRevokeRole', name: str(m.name), role: str(m.role) };
      case 'RoleAdd':
        return { f: 'AuthRoleAdd', name: str(m.name) };
      case 'RoleGet':
        return { f: 'AuthRoleGet', role: str(m.role) };
      case 'RoleList':
        return { f: 'AuthRoleList' };
      case 'RoleDelete':
        return { f: 'AuthRoleDelete', role: str(m.role) };
      case 'RoleGrantPermission': {
        const p = (m.perm ?? {}) as Msg;
        const permType = PERM_TYPE_IN[str(p.permType ?? 'Read')];
        if (permType === undefined) {
          throw new EtcdFault(Status.INVALID_ARGUMENT, 'etcdserver: bad permission type');
        }
        return {
          f: 'AuthRoleGrantPermission',
          name: str(m.name),
          perm: { permType, key: bin(p.key), range_end: bin(p.range_end) },
        };
      }
      case 'RoleRevokePermission':
        return {
          f: 'AuthRoleRevokePermission',
          role: str(m.role),
          key: bin(m.key),
          range_end: bin(m.range_end),
        };
      default:
        throw new EtcdFault(Status.UNIMPLEMENTED, `unknown method ${method}`);
    }
  }

  private response(method: string, r: Msg): Msg {
    const revision =
      typeof (r.header as Msg | undefined)?.revision === 'number' ? (r.header as Msg).revision : 0;
    const header = { ...this.o.header(), revision };
    switch (method) {
      case 'AuthStatus':
        return { header, enabled: r.enabled === true, authRevision: r.authRevision };
      case 'UserGet':
        return { header, roles: r.roles };
      case 'UserList':
        return { header, users: r.users };
      case 'RoleList':
        return { header, roles: r.roles };
      case 'RoleGet':
        return {
          header,
          perm: (r.perm as { permType: PermType; key: string; range_end: string }[]).map((p) => ({
            permType: PERM_TYPE_OUT[p.permType],
            key: Buffer.from(p.key, 'latin1'),
            range_end: Buffer.from(p.range_end, 'latin1'),
          })),
        };
      default:
        return { header };
    }
  }

  /**
   * etcd's Authenticate with simple tokens: a linearizable read of the user's stored hash, the
   * password checked against it here, and a fresh random token proposed through the log, which
   * every member's front end learns as it applies it (remember()).
   */
  private async authenticate(name: string, password: string, deadline: number): Promise<Msg> {
    this.machine();
    const r = await this.o.submit({ f: 'AuthUserHash', name }, deadline);
    const hash = str(r.hash);
    if (!(await passwordMatches(password, hash))) throw fault('authFailed');
    // etcd's simple token: random letters, a dot, and a counter.
    const token = `${randomBytes(12).toString('base64url')}.${++this.issued}`;
    const a = await this.o.submit({ f: 'AuthAssignToken', name, hash, token }, deadline);
    const revision = (a.header as Msg | undefined)?.revision ?? 0;
    return { header: { ...this.o.header(), revision }, token };
  }

  /** Drops expired tokens, then the oldest while over the cap. */
  private sweep(): void {
    const now = this.now();
    for (const [k, t] of this.tokens) if (t.expires <= now) this.tokens.delete(k);
    while (this.tokens.size >= this.maxTokens) {
      const oldest = this.tokens.keys().next().value;
      if (oldest === undefined) break;
      this.tokens.delete(oldest);
    }
  }
}
