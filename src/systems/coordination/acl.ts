/**
 * ZooKeeper's access control (Programmer's Guide, "ZooKeeper access control using ACLs"): each
 * znode holds a list of (permissions, scheme:id) entries, and an operation is allowed when some
 * entry grants the permission it needs to an identity the asking connection holds.
 *
 * Schemes: `world` (the one id `anyone`), `digest` (`user:base64(sha1(user:password))`, the id a
 * client's digest auth gives it), `ip` (an IPv4 address or `addr/bits`, matched against the
 * client's address) and `auth` (in a create or setACL only: it stands for every authenticated
 * identity of the asker and is replaced by them before the ACL is stored). Identities are
 * checked by prepare and by the reads of the server that holds the connection, from the
 * identities that connection presented; the stored ACL is what every replica agrees on.
 */
import { ZK_ERR, type ZkErrorCode } from './zk-codes.js';

/** ZooDefs.Perms. */
export const PERMS = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

export interface AclId {
  readonly scheme: string;
  readonly id: string;
}

export interface Acl {
  readonly perms: number;
  readonly id: AclId;
}

/** ZooDefs.Ids.OPEN_ACL_UNSAFE: anyone may do anything (the root's, and the default). */
export const OPEN_ACL: readonly Acl[] = [
  { perms: PERMS.ALL, id: { scheme: 'world', id: 'anyone' } },
];

/** Bounds the entries of one ACL, so a stored ACL stays small (ZooKeeper sets none). */
export const MAX_ACL_ENTRIES = 1024;

/** Whether `id` is a well-formed id of `scheme`, as ZooKeeper's providers judge (isValid). */
function validId(scheme: string, id: string): boolean {
  switch (scheme) {
    case 'digest': {
      // DigestAuthenticationProvider: Java's id.split(":") has two parts (its split drops
      // trailing empty strings, so "user:" has one and "user:hash:" two).
      const parts = id.split(':');
      while (parts.length > 0 && parts.at(-1) === '') parts.pop();
      return parts.length === 2;
    }
    case 'ip':
      return ipPattern(id) !== undefined;
    default:
      return false;
  }
}

/** Schemes whose identities prove who the client is; `auth` expands to these only. */
const AUTHENTICATED_SCHEMES: ReadonlySet<string> = new Set(['digest']);

const sameAcl = (a: Acl, b: Acl): boolean =>
  a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;

/**
 * The ACL a create or setACL stores (PrepRequestProcessor.fixupACL): duplicates dropped, `auth`
 * replaced by the asker's authenticated identities; INVALIDACL for an empty list, an unknown
 * scheme, a malformed id, or `auth` from an asker with no authenticated identity.
 */
export function fixupAcl(
  acl: unknown,
  auth: readonly AclId[],
): { readonly acl: readonly Acl[] } | { readonly code: ZkErrorCode } {
  const invalid = { code: ZK_ERR.INVALIDACL };
  if (!Array.isArray(acl) || acl.length === 0 || acl.length > MAX_ACL_ENTRIES) return invalid;
  const out: Acl[] = [];
  const add = (a: Acl): void => {
    if (!out.some((b) => sameAcl(a, b))) out.push(a);
  };
  for (const a of acl as unknown[]) {
    if (!isAclShape(a)) return invalid;
    const { scheme, id } = a.id;
    if (scheme === 'world' && id === 'anyone') add(a);
    else if (scheme === 'auth') {
      const mine = auth.filter((x) => AUTHENTICATED_SCHEMES.has(x.scheme));
      if (mine.length === 0) return invalid;
      for (const x of mine) add({ perms: a.perms, id: { scheme: x.scheme, id: x.id } });
    } else if (validId(scheme, id)) add(a);
    else return invalid;
  }
  return { acl: out };
}

function isAclShape(a: unknown): a is Acl {
  if (typeof a !== 'object' || a === null) return false;
  const { perms, id } = a as { perms?: unknown; id?: unknown };
  if (typeof perms !== 'number' || !Number.isSafeInteger(perms)) return false;
  if (typeof id !== 'object' || id === null) return false;
  const { scheme, id: name } = id as { scheme?: unknown; id?: unknown };
  return typeof scheme === 'string' && typeof name === 'string';
}

/**
 * ZooKeeperServer.checkACL: whether `acl` grants `perm` to one of `auth`. An empty ACL allows
 * everything (ZooKeeper's rule for nodes stored without one).
 */
export function aclAllows(acl: readonly Acl[], perm: number, auth: readonly AclId[]): boolean {
  if (acl.length === 0) return true;
  for (const a of acl) {
    if ((a.perms & perm) === 0) continue;
    if (a.id.scheme === 'world' && a.id.id === 'anyone') return true;
    for (const who of auth) {
      if (who.scheme === a.id.scheme && idMatches(who.scheme, who.id, a.id.id)) return true;
    }
  }
  return false;
}

function idMatches(scheme: string, mine: string, pattern: string): boolean {
  switch (scheme) {
    case 'digest':
      return mine === pattern;
    case 'ip': {
      const p = ipPattern(pattern);
      const addr = ipv4(mine.startsWith('::ffff:') ? mine.slice('::ffff:'.length) : mine);
      if (p === undefined || addr === undefined) return false;
      // The first `bits` bits agree (IPAuthenticationProvider.matches).
      const mask = p.bits === 0 ? 0 : (0xffffffff << (32 - p.bits)) >>> 0;
      return (addr & mask) >>> 0 === (p.addr & mask) >>> 0;
    }
    default:
      return false;
  }
}

/** An IPv4 address, as a 32-bit unsigned number. */
function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

/** `addr` or `addr/bits` (IPv4 only, as ZooKeeper 3.8's ip provider). */
function ipPattern(text: string): { addr: number; bits: number } | undefined {
  const slash = text.indexOf('/');
  const addr = ipv4(slash < 0 ? text : text.slice(0, slash));
  if (addr === undefined) return undefined;
  if (slash < 0) return { addr, bits: 32 };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  return bits <= 32 ? { addr, bits } : undefined;
}

/**
 * What getACL shows a reader with READ but not ADMIN: digest ids lose their hash
 * (`user:x`), as ZooKeeper does since 3.5, so a password hash is not handed to every reader.
 */
export function redactDigests(acl: readonly Acl[]): readonly Acl[] {
  return acl.map((a) =>
    a.id.scheme === 'digest'
      ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*/, ':x') } }
      : a,
  );
}
