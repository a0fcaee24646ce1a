/**
 * ZooKeeper's replicated state: the znode tree and the session table. Every replica holds the
 * same one, changed only by `applyTxn` (txns.ts) in log order; reads here are pure.
 *
 * Prepare (requests.ts) validates a multi's later ops against the effects of its earlier ones,
 * and a leader validates new requests against txns it has proposed but not yet applied, so both
 * work on a `TreeStore`: the state itself, or an `Overlay` that copies a node or session on its
 * first write and leaves the state underneath untouched.
 */

import { OPEN_ACL, type Acl } from './acl.js';

export type ZnodeKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

/** ZooKeeper's Stat, field for field. */
export interface Stat {
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** The owning session of an ephemeral node, else 0 (containers and TTL nodes too: their kind is `kind`). */
  ephemeralOwner: number;
  dataLength: number;
  numChildren: number;
}

export interface Znode {
  /** base64. */
  data: string;
  stat: Stat;
  kind: ZnodeKind;
  /** Milliseconds, for `ttl` nodes. */
  ttl: number;
  children: Set<string>;
  /** Who may do what to this node; replaced whole by setACL, never edited in place. */
  acl: readonly Acl[];
}

export interface Session {
  readonly id: number;
  /** The negotiated timeout, ms. */
  readonly timeout: number;
  /** The leader's clock when the session was created (txn time). */
  readonly createdAt: number;
  /** Paths of the ephemerals it owns. */
  ephemerals: Set<string>;
}

export interface CoordConfig {
  /** ZooKeeper's tickTime, ms: session timeouts are clamped to 2–20 ticks. */
  readonly tickMs: number;
}

export const DEFAULT_TICK_MS = 2000;

/** Read and write access to a tree: the state itself or an overlay on it. */
export interface TreeStore {
  readonly config: CoordConfig;
  node(path: string): Znode | undefined;
  /** The node at `path`, writable (an overlay copies it first). Undefined when absent. */
  editNode(path: string): Znode | undefined;
  putNode(path: string, node: Znode): void;
  removeNode(path: string): void;
  session(id: number): Session | undefined;
  editSession(id: number): Session | undefined;
  putSession(session: Session): void;
  removeSession(id: number): void;
  nextSessionId(): number;
  setNextSessionId(id: number): void;
  lastZxid(): number;
  setLastZxid(zxid: number): void;
}

export class CoordState implements TreeStore {
  readonly nodes = new Map<string, Znode>();
  readonly sessions = new Map<number, Session>();
  private nextSession = 1;
  private zxid = 0;

  constructor(readonly config: CoordConfig = { tickMs: DEFAULT_TICK_MS }) {
    if (!Number.isSafeInteger(config.tickMs) || config.tickMs <= 0) {
      throw new RangeError(`tickMs must be a positive integer, got ${config.tickMs}`);
    }
    this.nodes.set('/', emptyNode('persistent', 0, 0, 0, 0, ''));
    // ZooKeeper's own subtree, which clients see under the root.
    this.nodes.set('/zookeeper', emptyNode('persistent', 0, 0, 0, 0, ''));
    this.nodes.get('/')?.children.add('zookeeper');
    const root = this.nodes.get('/');
    if (root !== undefined) root.stat.numChildren = 1;
  }

  node(path: string): Znode | undefined {
    return this.nodes.get(path);
  }
  editNode(path: string): Znode | undefined {
    return this.nodes.get(path);
  }
  putNode(path: string, node: Znode): void {
    this.nodes.set(path, node);
  }
  removeNode(path: string): void {
    this.nodes.delete(path);
  }
  session(id: number): Session | undefined {
    return this.sessions.get(id);
  }
  editSession(id: number): Session | undefined {
    return this.sessions.get(id);
  }
  putSession(session: Session): void {
    this.sessions.set(session.id, session);
  }
  removeSession(id: number): void {
    this.sessions.delete(id);
  }
  nextSessionId(): number {
    return this.nextSession;
  }
  setNextSessionId(id: number): void {
    this.nextSession = id;
  }
  lastZxid(): number {
    return this.zxid;
  }
  setLastZxid(zxid: number): void {
    this.zxid = zxid;
  }
}

export function emptyNode(
  kind: ZnodeKind,
  zxid: number,
  time: number,
  owner: number,
  ttl: number,
  data: string,
  dataLength = 0,
  acl: readonly Acl[] = OPEN_ACL,
): Znode {
  return {
    data,
    kind,
    ttl,
    acl,
    children: new Set(),
    stat: {
      czxid: zxid,
      mzxid: zxid,
      pzxid: zxid,
      ctime: time,
      mtime: time,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: owner,
      dataLength,
      numChildren: 0,
    },
  };
}

const copyNode = (n: Znode): Znode => ({
  ...n,
  stat: { ...n.stat },
  children: new Set(n.children),
});
const copySession = (s: Session): Session => ({ ...s, ephemerals: new Set(s.ephemerals) });

/** Writes kept aside over a base store; the base is never changed. */
export class Overlay implements TreeStore {
  private readonly nodes = new Map<string, Znode | null>();
  private readonly sessions = new Map<number, Session | null>();
  private nextSession: number;
  private zxid: number;

  constructor(private readonly base: TreeStore) {
    this.nextSession = base.nextSessionId();
    this.zxid = base.lastZxid();
  }
  get config(): CoordConfig {
    return this.base.config;
  }
  node(path: string): Znode | undefined {
    const mine = this.nodes.get(path);
    return mine === null ? undefined : (mine ?? this.base.node(path));
  }
  editNode(path: string): Znode | undefined {
    const mine = this.nodes.get(path);
    if (mine !== undefined) return mine ?? undefined;
    const base = this.base.node(path);
    if (base === undefined) return undefined;
    const copy = copyNode(base);
    this.nodes.set(path, copy);
    return copy;
  }
  putNode(path: string, node: Znode): void {
    this.nodes.set(path, node);
  }
  removeNode(path: string): void {
    this.nodes.set(path, null);
  }
  session(id: number): Session | undefined {
    const mine = this.sessions.get(id);
    return mine === null ? undefined : (mine ?? this.base.session(id));
  }
  editSession(id: number): Session | undefined {
    const mine = this.sessions.get(id);
    if (mine !== undefined) return mine ?? undefined;
    const base = this.base.session(id);
    if (base === undefined) return undefined;
    const copy = copySession(base);
    this.sessions.set(id, copy);
    return copy;
  }
  putSession(session: Session): void {
    this.sessions.set(session.id, session);
  }
  removeSession(id: number): void {
    this.sessions.set(id, null);
  }
  nextSessionId(): number {
    return this.nextSession;
  }
  setNextSessionId(id: number): void {
    this.nextSession = id;
  }
  lastZxid(): number {
    return this.zxid;
  }
  setLastZxid(zxid: number): void {
    this.zxid = zxid;
  }
}

// ---- Reads (served by the connected replica from its own state). ----

/** Children names in a stable order (ZooKeeper returns a hash set's order; any order is allowed). */
export function sortedChildren(node: Znode): string[] {
  return [...node.children].sort();
}

/** getAllChildrenNumber: every node below `path` (not `path` itself). */
export function allChildrenNumber(tree: TreeStore, path: string): number | undefined {
  const start = tree.node(path);
  if (start === undefined) return undefined;
  let count = 0;
  const stack: [string, Znode][] = [[path, start]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [p, n] = item;
    for (const c of n.children) {
      const cp = p === '/' ? `/${c}` : `${p}/${c}`;
      const child = tree.node(cp);
      if (child === undefined) throw new Error(`tree invariant: ${cp} listed but absent`);
      count++;
      stack.push([cp, child]);
    }
  }
  return count;
}
