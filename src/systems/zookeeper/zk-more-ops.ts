/**
 * The simulated clients' ops beyond zk-client-ops.ts's: children, watches, multi, sync,
 * sequential creates, the lock recipe's own delete, and two that are not ZooKeeper's: `fence`,
 * an act on the protected resource (zk-resource.ts) with a lock's fencing token, and `pause`, a
 * client's stop-the-world pause (a GC pause) that the sim's clients, which have no timers of
 * their own, spend as an op the server answers only once the pause is over and which it counts
 * as no sign of life from the session.
 *
 * None of their `f`s is a write the `znode` model checks: their paths (`/m…`, `/lock/…`, `/q…`,
 * `/k…`, `/t…`) are disjoint from the model's shared paths, since a multi or a sequential create changes nodes
 * the model would not see change.
 */
import type { Json } from '../../core/json.js';
import type { ReadRequest } from '../coordination/reads.js';
import type { OpRequest, WriteRequest } from '../coordination/requests.js';
import type { OneShotKind, PersistentMode } from '../coordination/watches.js';

export type WatchKind = OneShotKind | PersistentMode;
export const WATCH_KINDS: readonly WatchKind[] = [
  'data',
  'exist',
  'child',
  'persistent',
  'persistentRecursive',
];

export type SeqMode = 'persistentSequential' | 'ephemeralSequential';

export type MoreOp =
  | { readonly f: 'getChildren'; readonly key: string; readonly seen: number }
  | { readonly f: 'watch'; readonly key: string; readonly value: WatchKind; readonly seen: number }
  | { readonly f: 'multi'; readonly value: readonly OpRequest[]; readonly seen: number }
  | { readonly f: 'sync'; readonly seen: number }
  | {
      readonly f: 'createSeq';
      readonly key: string;
      readonly value: readonly [string, SeqMode];
      readonly seen: number;
    }
  /** A container, or a TTL node (`ttl` ms; 0 for a container). */
  | {
      readonly f: 'createAs';
      readonly key: string;
      readonly value: readonly [string, 'container' | 'persistentWithTtl', number];
      readonly seen: number;
    }
  | { readonly f: 'unlock'; readonly key: string; readonly seen: number }
  | { readonly f: 'fence'; readonly value: number; readonly seen: number }
  /** `value`: the pause's length in session timeouts (the server knows the timeout). */
  | { readonly f: 'pause'; readonly value: number; readonly seen: number };

export const MORE_FS = new Set([
  'getChildren',
  'watch',
  'multi',
  'sync',
  'createSeq',
  'createAs',
  'unlock',
  'fence',
  'pause',
]);

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

/** Most ops a simulated multi holds; the workload draws at most 3. */
const MAX_MULTI = 16;

function isOpRequest(x: unknown): x is OpRequest {
  if (!isObj(x) || !isStr(x.path)) return false;
  switch (x.type) {
    case 'create':
      return isStr(x.data) && x.mode === 'persistent';
    case 'delete':
    case 'check':
      return isInt(x.version);
    case 'setData':
      return isStr(x.data) && isInt(x.version);
    default:
      return false;
  }
}

/** The op, checked, or undefined when it is none of these. */
export function parseMoreOp(op: Json): MoreOp | undefined {
  if (!isObj(op) || !isInt(op.seen) || op.seen < 0) return undefined;
  const { f, key, value } = op;
  switch (f) {
    case 'getChildren':
    case 'unlock':
      return isStr(key) ? (op as MoreOp) : undefined;
    case 'watch':
      return isStr(key) && (WATCH_KINDS as readonly unknown[]).includes(value)
        ? (op as MoreOp)
        : undefined;
    case 'multi':
      return Array.isArray(value) && value.length <= MAX_MULTI && value.every(isOpRequest)
        ? (op as MoreOp)
        : undefined;
    case 'sync':
      return op as MoreOp;
    case 'createSeq':
      return isStr(key) &&
        Array.isArray(value) &&
        isStr(value[0]) &&
        (value[1] === 'persistentSequential' || value[1] === 'ephemeralSequential')
        ? (op as MoreOp)
        : undefined;
    case 'createAs':
      return isStr(key) &&
        Array.isArray(value) &&
        isStr(value[0]) &&
        (value[1] === 'container' || value[1] === 'persistentWithTtl') &&
        isInt(value[2])
        ? (op as MoreOp)
        : undefined;
    case 'fence':
      return isInt(value) && value >= 0 ? (op as MoreOp) : undefined;
    case 'pause':
      return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 10
        ? (op as MoreOp)
        : undefined;
    default:
      return undefined;
  }
}

/** What a server does with one of these ops. */
export type MoreServed =
  | { readonly kind: 'read'; readonly req: ReadRequest }
  | { readonly kind: 'watch'; readonly path: string; readonly watch: WatchKind }
  | { readonly kind: 'write'; readonly req: WriteRequest }
  | { readonly kind: 'sync' }
  | { readonly kind: 'fence'; readonly token: number }
  | { readonly kind: 'pause'; readonly timeouts: number };

/**
 * `sync` goes through the log as a check of `/` at any version: it changes nothing, and its
 * answer comes once the server has applied everything the leader ordered before it, which is
 * what ZooKeeper's sync promises (ZooKeeper does not log it; here it takes a zxid of its own).
 */
export const SYNC_REQUEST: WriteRequest = { type: 'check', path: '/', version: -1 };

export function moreServedAs(op: MoreOp): MoreServed {
  switch (op.f) {
    case 'getChildren':
      return { kind: 'read', req: { type: 'getChildren', path: op.key } };
    case 'watch':
      return { kind: 'watch', path: op.key, watch: op.value };
    case 'multi':
      return { kind: 'write', req: { type: 'multi', ops: op.value } };
    case 'sync':
      return { kind: 'sync' };
    case 'createSeq':
      return {
        kind: 'write',
        req: { type: 'create', path: op.key, data: op.value[0], mode: op.value[1] },
      };
    case 'createAs': {
      const [data, mode, ttl] = op.value;
      return {
        kind: 'write',
        req: { type: 'create', path: op.key, data, mode, ...(mode === 'container' ? {} : { ttl }) },
      };
    }
    case 'unlock':
      return { kind: 'write', req: { type: 'delete', path: op.key, version: -1 } };
    case 'fence':
      return { kind: 'fence', token: op.value };
    case 'pause':
      return { kind: 'pause', timeouts: op.value };
  }
}
