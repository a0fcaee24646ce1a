/**
 * The judge's watch rules, from the history alone. A registration is an ok `watch` op: the
 * server, its incarnation (`inc`), the zxid of the state it read and the kind it registered.
 * Notifications are the `events` an answer carries, delivered before that answer's result.
 *
 *  - **At most once per registration.** A notification must match a registration of the same
 *    server incarnation made before its txn (zxid below it): a one-shot one not yet spent, or a
 *    persistent one. A one-shot registration is spent by the first notification that matches it.
 *    A watch op whose outcome is unknown may have registered: a one-shot one may absorb one
 *    notification, a persistent one any number.
 *  - **Ordering (and delivery).** Once the registering server answers the client from a state
 *    that holds a change the registration watches, the notification must have come with that
 *    answer or before: ZooKeeper's "a client sees the event before any state that follows the
 *    change". This is the part of "fires when the change happened while the session lived" that
 *    a history can check: a notification rides on an answer, so one that never came is only a
 *    fault once an answer shows the change.
 *
 * What is checkable under faults, and so what the ordering rule skips:
 *  - only changes the history knows: ok writes (their zxid is in the answer); a write with an
 *    unknown outcome, and the ephemerals a session's end removes, may fire a watch earlier, which
 *    only ever lets a notification come sooner;
 *  - only while the client stays with the registering server's incarnation (watches are
 *    server-local; the sim's client re-sends none on reconnect): from the first op answered by
 *    another server, or not answered (it may have reached any), or answered by a restart of it,
 *    the registration is no longer checked for delivery;
 *  - only answers that name the incarnation (`inc`), and not SESSIONEXPIRED ones;
 *  - only while the session lives: a connect answered with another session, a close, or a
 *    SESSIONEXPIRED answer ends every registration (every server that answers later has applied
 *    the session's end, since the client's zxid is past it, so none can still notify it).
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { parentOf } from '../coordination/znode-paths.js';

const OK = 0;
const SESSIONEXPIRED = -112;

type EventType = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';
const EVENT_TYPES: readonly unknown[] = [
  'NodeCreated',
  'NodeDeleted',
  'NodeDataChanged',
  'NodeChildrenChanged',
];
const isEventType = (x: unknown): x is EventType => EVENT_TYPES.includes(x);

interface Change {
  readonly type: EventType;
  readonly path: string;
  readonly zxid: number;
  readonly op: number;
}

interface Registration {
  readonly op: number;
  readonly path: string;
  readonly kind: string;
  readonly node: string;
  readonly inc: number;
  readonly zxid: number;
  armed: boolean;
  checkable: boolean;
  /** Persistent: the index of the next known change to look for. */
  next: number;
  /** Persistent: notifications told and not yet matched to a known change, by change. */
  readonly notified: Map<string, number>;
  /** One-shot: the first known change it watches (undefined: none known). */
  readonly due: Change | undefined;
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (r: Json | undefined, name: string): number | undefined => {
  const v = isObj(r) ? r[name] : undefined;
  return typeof v === 'number' ? v : undefined;
};

/** The one-shot kinds an event fires (ZooKeeper's WatchManager, coordination/watches.ts). */
function firesOneShot(type: EventType, kind: string): boolean {
  if (type === 'NodeChildrenChanged') return kind === 'child';
  if (kind === 'data' || kind === 'exist') return true;
  return kind === 'child' && type === 'NodeDeleted';
}

function firesPersistent(
  g: { path: string; kind: string },
  e: { type: EventType; path: string },
): boolean {
  if (g.kind === 'persistent') return e.path === g.path;
  if (g.kind !== 'persistentRecursive' || e.type === 'NodeChildrenChanged') return false;
  return g.path === '/' ? true : e.path === g.path || e.path.startsWith(`${g.path}/`);
}

const watches = (g: Registration, c: Change): boolean =>
  g.kind === 'persistent' || g.kind === 'persistentRecursive'
    ? firesPersistent(g, c)
    : c.path === g.path && firesOneShot(c.type, g.kind);

/** The changes each ok write of the history made, in zxid order. */
export function knownChanges(history: readonly HistoryOp[]): Change[] {
  const out: Change[] = [];
  const add = (type: EventType, path: string, zxid: number, op: number): void => {
    out.push({ type, path, zxid, op });
    if (type === 'NodeCreated' || type === 'NodeDeleted') {
      out.push({ type: 'NodeChildrenChanged', path: parentOf(path), zxid, op });
    }
  };
  for (const op of history) {
    if (op.outcome !== 'ok' || num(op.result, 'code') !== OK) continue;
    const z = num(op.result, 'zxid');
    if (z === undefined) continue;
    const key = op.key;
    switch (op.f) {
      case 'create':
      case 'createEphemeral':
      case 'createAs':
        if (key !== undefined) add('NodeCreated', key, z, op.id);
        break;
      case 'setData':
        if (key !== undefined) add('NodeDataChanged', key, z, op.id);
        break;
      case 'delete':
      case 'unlock':
        if (key !== undefined) add('NodeDeleted', key, z, op.id);
        break;
      case 'createSeq': {
        const path = isObj(op.result) ? op.result.path : undefined;
        if (typeof path === 'string') add('NodeCreated', path, z, op.id);
        break;
      }
      case 'multi':
        for (const sub of Array.isArray(op.value) ? op.value : []) {
          if (!isObj(sub) || typeof sub.path !== 'string') continue;
          if (sub.type === 'create') add('NodeCreated', sub.path, z, op.id);
          else if (sub.type === 'setData') add('NodeDataChanged', sub.path, z, op.id);
          else if (sub.type === 'delete') add('NodeDeleted', sub.path, z, op.id);
        }
        break;
    }
  }
  return out.sort((a, b) => a.zxid - b.zxid);
}

export interface WatchVerdict {
  readonly problem?: string;
  readonly registrations: number;
  readonly notifications: number;
  /** Answers at which some registration's delivery was checked. */
  readonly checks: number;
}

/** An answer's notifications, or undefined when its `events` is not a list of them. */
function readEvents(
  result: Json | undefined,
): { type: EventType; path: string; zxid: number }[] | undefined {
  const events = isObj(result) ? result.events : undefined;
  if (events === undefined) return [];
  if (!Array.isArray(events)) return undefined;
  const out: { type: EventType; path: string; zxid: number }[] = [];
  for (const e of events) {
    if (!isObj(e) || !isEventType(e.type) || typeof e.path !== 'string') return undefined;
    if (typeof e.zxid !== 'number') return undefined;
    out.push({ type: e.type, path: e.path, zxid: e.zxid });
  }
  return out;
}

export function judgeWatches(history: readonly HistoryOp[]): WatchVerdict {
  const changes = knownChanges(history);
  const byClient = new Map<number, HistoryOp[]>();
  for (const op of history) {
    let list = byClient.get(op.process);
    if (list === undefined) byClient.set(op.process, (list = []));
    list.push(op);
  }
  let registrations = 0;
  let notifications = 0;
  let checks = 0;
  const firstAfter = (zxid: number): number => {
    let lo = 0;
    let hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((changes[mid] as Change).zxid <= zxid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const [process, ops] of byClient) {
    ops.sort((a, b) => a.invoke - b.invoke || a.id - b.id);
    let live: Registration[] = [];
    /** Watch ops with unknown outcome: each may have registered. */
    let maybe: { path: string; kind: string }[] = [];
    let session: number | undefined;
    const spentBy = new Map<string, number>();
    for (const op of ops) {
      if (op.outcome !== 'ok') {
        for (const g of live) g.checkable = false;
        // It may have made a new session: which one the client is on is no longer known.
        if (op.f === 'connect' && op.outcome === 'unknown') session = undefined;
        if (op.outcome === 'unknown' && op.f === 'watch' && typeof op.key === 'string') {
          maybe.push({ path: op.key, kind: String(op.value) });
        }
        continue;
      }
      const node = op.node ?? '?';
      const inc = num(op.result, 'inc');
      const zxid = num(op.result, 'zxid') ?? 0;
      for (const g of live)
        if (g.node !== node || (inc !== undefined && g.inc !== inc)) g.checkable = false;
      // Notifications first: they came before the answer's result.
      const events = readEvents(op.result);
      if (events === undefined) {
        return {
          problem: `op ${op.id}'s answer carries malformed notifications`,
          registrations,
          notifications,
          checks,
        };
      }
      for (const e of events) {
        notifications++;
        const from = live.filter((g) => g.node === node && g.inc === inc && g.zxid < e.zxid);
        const spent = from.filter(
          (g) =>
            g.armed &&
            g.kind !== 'persistent' &&
            g.kind !== 'persistentRecursive' &&
            g.path === e.path &&
            firesOneShot(e.type, g.kind),
        );
        // A spent registration leaves the live list (so a long run stays linear); the op that
        // made it is kept for the message should the watch fire again.
        for (const g of spent) {
          g.armed = false;
          spentBy.set(`${node} ${g.path}`, g.op);
        }
        if (spent.length > 0) live = live.filter((g) => g.armed);
        const persistent = from.filter((g) => g.armed && firesPersistent(g, e));
        for (const g of persistent) {
          const key = `${e.zxid} ${e.type} ${e.path}`;
          g.notified.set(key, (g.notified.get(key) ?? 0) + 1);
        }
        if (spent.length > 0 || persistent.length > 0) continue;
        const m = maybe.findIndex(
          (w) => (w.path === e.path && firesOneShot(e.type, w.kind)) || firesPersistent(w, e),
        );
        if (m >= 0) {
          // A one-shot registration fires once; a persistent one may fire any number of times.
          const w = maybe[m] as { kind: string };
          if (w.kind !== 'persistent' && w.kind !== 'persistentRecursive') maybe.splice(m, 1);
          continue;
        }
        const fired = spentBy.get(`${node} ${e.path}`);
        return {
          problem:
            `watch delivered twice: client ${process} was told ${e.type} ${e.path} (zxid ${e.zxid}) ` +
            `with op ${op.id}'s answer at ${node}, but ` +
            (fired !== undefined
              ? `its registration (op ${fired}) had already fired`
              : 'no registration of it was live there'),
          registrations,
          notifications,
          checks,
        };
      }
      const code = num(op.result, 'code');
      // The session ended or changed: no server that answers from now on holds its watches.
      // (A connect whose earlier answer was lost may name the session the watches are on.)
      const ended =
        code === SESSIONEXPIRED ||
        (op.f === 'close' && code === OK) ||
        (op.f === 'connect' &&
          code === OK &&
          session !== undefined &&
          num(op.result, 'session') !== session);
      if (op.f === 'connect' && code === OK) {
        if (session === undefined) for (const g of live) g.checkable = false;
        session = num(op.result, 'session');
      }
      if ((op.f === 'close' && code === OK) || code === SESSIONEXPIRED) session = undefined;
      if (ended) {
        live = [];
        maybe = [];
        spentBy.clear();
        continue;
      }
      // Ordering: this answer's state holds every change up to its zxid.
      if (inc !== undefined) {
        for (const g of live) {
          if (!g.checkable || !g.armed) continue;
          checks++;
          if (g.kind === 'persistent' || g.kind === 'persistentRecursive') {
            while (g.next < changes.length && (changes[g.next] as Change).zxid <= zxid) {
              const c = changes[g.next++] as Change;
              const key = `${c.zxid} ${c.type} ${c.path}`;
              const told = g.notified.get(key) ?? 0;
              if (told > 1) g.notified.set(key, told - 1);
              else g.notified.delete(key);
              if (watches(g, c) && told === 0) {
                return {
                  problem: orderProblem(process, g, c, op, zxid),
                  registrations,
                  notifications,
                  checks,
                };
              }
            }
          } else if (g.due !== undefined && g.due.zxid <= zxid) {
            return {
              problem: orderProblem(process, g, g.due, op, zxid),
              registrations,
              notifications,
              checks,
            };
          }
        }
      }
      const kind = isObj(op.result) ? op.result.watch : undefined;
      if (
        op.f === 'watch' &&
        code === OK &&
        typeof kind === 'string' &&
        inc !== undefined &&
        typeof op.key === 'string'
      ) {
        registrations++;
        const start = firstAfter(zxid);
        let due: Change | undefined;
        const g: Registration = {
          op: op.id,
          path: op.key,
          kind,
          node,
          inc,
          zxid,
          armed: true,
          checkable: true,
          next: start,
          notified: new Map(),
          due: undefined,
        };
        if (kind !== 'persistent' && kind !== 'persistentRecursive') {
          for (let i = start; i < changes.length && due === undefined; i++) {
            if (watches(g, changes[i] as Change)) due = changes[i];
          }
        }
        live.push({ ...g, due });
      }
    }
  }
  return { registrations, notifications, checks };
}

function orderProblem(
  process: number,
  g: Registration,
  c: Change,
  op: HistoryOp,
  zxid: number,
): string {
  return (
    `watch ordering: client ${process}'s ${g.kind} watch on ${g.path} (op ${g.op} at ${g.node}, ` +
    `zxid ${g.zxid}) was not told of ${c.type} ${c.path} (op ${c.op}, zxid ${c.zxid}) before ` +
    `op ${op.id} (${op.f}) was answered from zxid ${zxid}`
  );
}
