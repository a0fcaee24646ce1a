/**
 * Watches: server-local, never replicated. Each server keeps the watches its own clients set
 * and, as it applies each txn, queues the notifications the txn triggers for those clients; a
 * server delivers a session's queued notifications before the reply to any later request of that
 * session, which gives ZooKeeper's ordering guarantee: a client sees the event before it sees
 * any state that follows the change.
 *
 * Which watch fires on which txn follows ZooKeeper's DataTree and WatchManager:
 *  - create p:   NodeCreated at p (data/exists watches on p), NodeChildrenChanged at parent(p);
 *  - delete p:   NodeDeleted at p (data/exists and child watches on p), NodeChildrenChanged at parent(p);
 *  - setData p:  NodeDataChanged at p;
 *  - persistent watches on p fire for every event at p; persistent-recursive watches on p fire
 *    for events at p and below, except NodeChildrenChanged;
 *  - a one-shot watch is removed when it fires; one notification per session per event.
 */
import type { TreeStore } from './data-tree.js';
import type { Txn, TxnOp } from './txns.js';
import type { WatchEventType } from './zk-codes.js';
import { parentOf } from './znode-paths.js';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly path: string;
  /** The txn that caused it (ZooKeeper sends it as the notification header's zxid). */
  readonly zxid: number;
}

/** The events a committed txn triggers, in the order its ops ran. */
export function txnEvents(txn: Txn): WatchEvent[] {
  const out: WatchEvent[] = [];
  const ops = txn.body.type === 'multi' ? txn.body.ops : [txn.body];
  const ev = (type: WatchEventType, path: string): void => {
    out.push({ type, path, zxid: txn.zxid });
  };
  const one = (op: TxnOp): void => {
    switch (op.type) {
      case 'create':
        ev('NodeCreated', op.path);
        ev('NodeChildrenChanged', parentOf(op.path));
        return;
      case 'delete':
        ev('NodeDeleted', op.path);
        ev('NodeChildrenChanged', parentOf(op.path));
        return;
      case 'setData':
        ev('NodeDataChanged', op.path);
        return;
      case 'closeSession':
        for (const p of op.ephemerals) {
          ev('NodeDeleted', p);
          ev('NodeChildrenChanged', parentOf(p));
        }
        return;
      // ZooKeeper's setACL triggers no watch.
      case 'setACL':
      case 'check':
      case 'createSession':
        return;
    }
  };
  for (const op of ops) one(op);
  return out;
}

export type OneShotKind = 'data' | 'exist' | 'child';
export type PersistentMode = 'persistent' | 'persistentRecursive';

/** The watches a client re-sends on reconnect (ZooKeeper's SetWatches2). */
export interface WatchSet {
  readonly data: readonly string[];
  readonly exist: readonly string[];
  readonly child: readonly string[];
  readonly persistent: readonly string[];
  readonly persistentRecursive: readonly string[];
}

/**
 * Deliberately broken rule, which a test must catch: `one-shot-stays`: a one-shot watch is not
 * removed when it fires, so the client is told twice for one registration.
 */
export type WatchMutant = 'one-shot-stays';

type Kind = OneShotKind | PersistentMode;

export class WatchManager {
  /** path → kind → sessions. */
  private readonly byPath = new Map<string, Map<Kind, Set<number>>>();
  private readonly pending = new Map<number, WatchEvent[]>();
  private recursiveCount = 0;

  constructor(private readonly mutant?: WatchMutant) {}

  add(session: number, path: string, kind: Kind): void {
    let kinds = this.byPath.get(path);
    if (kinds === undefined) this.byPath.set(path, (kinds = new Map()));
    let sessions = kinds.get(kind);
    if (sessions === undefined) kinds.set(kind, (sessions = new Set()));
    if (!sessions.has(session) && kind === 'persistentRecursive') this.recursiveCount++;
    sessions.add(session);
  }

  /** Whether `session` has a watch of `kind` on `path`. */
  has(session: number, path: string, kind: Kind): boolean {
    return this.byPath.get(path)?.get(kind)?.has(session) ?? false;
  }

  /** How many (path, kind, session) registrations are held: what `mntr` reports. */
  count(): number {
    let n = 0;
    for (const kinds of this.byPath.values()) for (const s of kinds.values()) n += s.size;
    return n;
  }

  /** Drops every watch and queued notification of a session (closed, expired, or moved away). */
  removeSession(session: number): void {
    for (const [path, kinds] of this.byPath) {
      for (const [kind, sessions] of kinds) {
        if (sessions.delete(session) && kind === 'persistentRecursive') this.recursiveCount--;
        if (sessions.size === 0) kinds.delete(kind);
      }
      if (kinds.size === 0) this.byPath.delete(path);
    }
    this.pending.delete(session);
  }

  /** Queues the notifications a committed txn's events trigger. */
  trigger(events: readonly WatchEvent[]): void {
    for (const e of events) {
      const to = new Set<number>();
      const kinds = this.byPath.get(e.path);
      const fire = (kind: Kind, oneShot: boolean): void => {
        const sessions = kinds?.get(kind);
        if (sessions === undefined) return;
        for (const s of sessions) to.add(s);
        if (oneShot && this.mutant !== 'one-shot-stays') kinds?.delete(kind);
      };
      if (e.type === 'NodeChildrenChanged') {
        fire('child', true);
      } else {
        fire('data', true);
        fire('exist', true);
        if (e.type === 'NodeDeleted') fire('child', true);
      }
      fire('persistent', false);
      if (e.type !== 'NodeChildrenChanged') fire('persistentRecursive', false);
      if (e.type !== 'NodeChildrenChanged' && this.recursiveCount > 0) {
        for (let p = e.path; p !== '/';) {
          p = parentOf(p);
          for (const s of this.byPath.get(p)?.get('persistentRecursive') ?? []) to.add(s);
        }
      }
      if (kinds !== undefined && kinds.size === 0) this.byPath.delete(e.path);
      for (const s of [...to].sort((a, b) => a - b)) this.queue(s, e);
    }
  }

  /** The notifications to deliver to `session` before its next reply, oldest first; clears them. */
  take(session: number): WatchEvent[] {
    const q = this.pending.get(session) ?? [];
    this.pending.delete(session);
    return q;
  }

  /**
   * SetWatches on reconnect: the client names its watches and the last zxid it saw; what
   * changed since fires at once (and the one-shot watch is spent), the rest are registered.
   */
  setWatches(tree: TreeStore, session: number, relativeZxid: number, watches: WatchSet): void {
    const now = (type: WatchEventType, path: string, zxid: number): void =>
      this.queue(session, { type, path, zxid });
    const last = tree.lastZxid();
    for (const path of watches.data) {
      const n = tree.node(path);
      if (n === undefined) now('NodeDeleted', path, last);
      else if (n.stat.mzxid > relativeZxid) now('NodeDataChanged', path, n.stat.mzxid);
      else this.add(session, path, 'data');
    }
    for (const path of watches.exist) {
      const n = tree.node(path);
      if (n !== undefined) now('NodeCreated', path, n.stat.czxid);
      else this.add(session, path, 'exist');
    }
    for (const path of watches.child) {
      const n = tree.node(path);
      if (n === undefined) now('NodeDeleted', path, last);
      else if (n.stat.pzxid > relativeZxid) now('NodeChildrenChanged', path, n.stat.pzxid);
      else this.add(session, path, 'child');
    }
    for (const path of watches.persistent) this.add(session, path, 'persistent');
    for (const path of watches.persistentRecursive) this.add(session, path, 'persistentRecursive');
  }

  private queue(session: number, e: WatchEvent): void {
    const q = this.pending.get(session);
    if (q === undefined) this.pending.set(session, [e]);
    else q.push(e);
  }
}
