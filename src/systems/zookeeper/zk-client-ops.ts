/**
 * The simulated clients' ZooKeeper operations, as the history records them, and the workload that
 * draws them. Every op carries `seen`, the highest zxid its client has been answered with (from
 * its latest ok result: answers only rise), so that a server behind it refuses to serve it, as a
 * ZooKeeper server refuses a client whose last zxid is ahead of its own.
 *
 * Writes to the shared persistent paths are what the `znode` model checks for linearizability;
 * each client's ephemeral lives at its own path (`/e<client>`), since a session's end removes it
 * with no operation of the history to show for it.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import type { ReadRequest } from '../coordination/reads.js';
import type { WriteRequest } from '../coordination/requests.js';

export const SHARED_PATHS = ['/a', '/b', '/c'] as const;

export type ZkClientOp =
  | { readonly f: 'connect' | 'close' | 'ping'; readonly seen: number }
  | { readonly f: 'getData' | 'exists'; readonly key: string; readonly seen: number }
  | {
      readonly f: 'create' | 'createEphemeral';
      readonly key: string;
      readonly value: string;
      readonly seen: number;
    }
  | {
      readonly f: 'setData';
      readonly key: string;
      readonly value: readonly [string, number];
      readonly seen: number;
    }
  | { readonly f: 'delete'; readonly key: string; readonly value: number; readonly seen: number };

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

/** The op, checked, or undefined when it is none of the above. */
export function parseClientOp(op: Json): ZkClientOp | undefined {
  if (!isObj(op) || !isInt(op.seen) || op.seen < 0) return undefined;
  const { f, key, value } = op;
  switch (f) {
    case 'connect':
    case 'close':
    case 'ping':
      return op as ZkClientOp;
    case 'getData':
    case 'exists':
      return isStr(key) ? (op as ZkClientOp) : undefined;
    case 'create':
    case 'createEphemeral':
      return isStr(key) && isStr(value) ? (op as ZkClientOp) : undefined;
    case 'setData':
      return isStr(key) && Array.isArray(value) && isStr(value[0]) && isInt(value[1])
        ? (op as ZkClientOp)
        : undefined;
    case 'delete':
      return isStr(key) && isInt(value) ? (op as ZkClientOp) : undefined;
    default:
      return undefined;
  }
}

/** What a server does with an op: answer it from its own state, or propose it through Zab. */
export type Served =
  | { readonly kind: 'read'; readonly req: ReadRequest }
  | { readonly kind: 'ping' }
  | { readonly kind: 'write'; readonly req: WriteRequest };

export function servedAs(op: ZkClientOp, sessionTimeoutMs: number): Served {
  switch (op.f) {
    case 'ping':
      return { kind: 'ping' };
    case 'getData':
    case 'exists':
      return { kind: 'read', req: { type: op.f, path: op.key } };
    case 'connect':
      return { kind: 'write', req: { type: 'createSession', timeout: sessionTimeoutMs } };
    case 'close':
      return { kind: 'write', req: { type: 'closeSession' } };
    case 'create':
    case 'createEphemeral':
      return {
        kind: 'write',
        req: {
          type: 'create',
          path: op.key,
          data: op.value,
          mode: op.f === 'create' ? 'persistent' : 'ephemeral',
        },
      };
    case 'setData':
      return {
        kind: 'write',
        req: { type: 'setData', path: op.key, data: op.value[0], version: op.value[1] },
      };
    case 'delete':
      return { kind: 'write', req: { type: 'delete', path: op.key, version: op.value } };
  }
}

/** The zxid of an answer, when it carries one. */
export function zxidOf(result: Json | undefined): number | undefined {
  return isObj(result) && isInt(result.zxid) ? result.zxid : undefined;
}

/** Base64 text (a multiple of 4 of [A-Za-z0-9]) unique to this client's `issued`-th op. */
function dataFor(process: number, issued: number): string {
  const s = `p${process}n${issued}`;
  return s.padEnd(Math.ceil(s.length / 4) * 4, 'A');
}

/**
 * Client `process`'s `issued`-th op: a connect first, then reads, writes with and without
 * versions on the shared paths, pings, its own ephemeral, and now and then a close and a new
 * connect, so sessions end both ways and ephemerals must go with them.
 */
export function nextZkOp(random: Random, process: number, issued: number, lastOk?: Json): Json {
  const seen = zxidOf(lastOk) ?? 0;
  if (issued === 0) return { f: 'connect', seen };
  const key = random.pick(SHARED_PATHS);
  const version = random.chance(0.5) ? -1 : random.int(4);
  const data = dataFor(process, issued);
  const u = random.next();
  if (u < 0.3) return { f: 'getData', key, seen };
  if (u < 0.35) return { f: 'exists', key, seen };
  if (u < 0.55) return { f: 'setData', key, value: [data, version], seen };
  if (u < 0.65) return { f: 'create', key, value: data, seen };
  if (u < 0.72) return { f: 'delete', key, value: version, seen };
  if (u < 0.8) return { f: 'createEphemeral', key: `/e${process}`, value: data, seen };
  if (u < 0.9) return { f: 'ping', seen };
  if (u < 0.97) return { f: 'connect', seen };
  return { f: 'close', seen };
}
