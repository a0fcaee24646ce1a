/**
 * The zookeeper system's workload: even clients draw zk-client-ops.ts's reads and writes and,
 * now and then, the ops of zk-more-ops.ts (watches, children, multi, sync, sequential creates,
 * a container and TTL nodes);
 * odd clients run the lock recipe (zk-lock-client.ts) and act on the protected resource.
 *
 * A lock client has state beyond what its last answer says. The workload gives nextOp only the
 * client's own random stream, and that stream is one object per client per run, so the state is
 * kept against it: the same seed builds the same states.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import type { OpRequest } from '../coordination/requests.js';
import { nextZkOp, zxidOf } from './zk-client-ops.js';
import { LockClient } from './zk-lock-client.js';
import { WATCH_KINDS } from './zk-more-ops.js';

/** Paths the multis write, apart from the `znode` model's. */
export const MULTI_PATHS = ['/m0', '/m1'] as const;
/** The container node: sequential children come and go under it. */
const CONTAINER = '/k';
/** Where one-shot watches go: the model's shared paths, the multis', the container, the root. */
const WATCHED = ['/a', '/b', '/c', '/m0', '/m1', CONTAINER, '/'] as const;

const lockClients = new WeakMap<Random, LockClient>();

function dataFor(process: number, issued: number): string {
  const s = `m${process}n${issued}`;
  return s.padEnd(Math.ceil(s.length / 4) * 4, 'A');
}

function multiOp(random: Random, data: string): OpRequest {
  const path = random.pick(MULTI_PATHS);
  const version = random.chance(0.5) ? -1 : random.int(3);
  const u = random.next();
  if (u < 0.3) return { type: 'create', path, data, mode: 'persistent' };
  if (u < 0.7) return { type: 'setData', path, data, version };
  if (u < 0.85) return { type: 'check', path, version };
  return { type: 'delete', path, version };
}

/** One of the ops beyond zk-client-ops.ts's, for a client that is not a lock client. */
function nextMoreOp(random: Random, process: number, issued: number, seen: number): Json {
  const u = random.next();
  if (u < 0.3) {
    const value = random.pick(WATCH_KINDS);
    const key = value === 'persistentRecursive' ? '/' : random.pick(WATCHED);
    return { f: 'watch', key, value, seen };
  }
  if (u < 0.4) return { f: 'getChildren', key: random.pick(['/', '/lock', CONTAINER]), seen };
  if (u < 0.65) {
    const n = 1 + random.int(3);
    const ops: Json[] = [];
    for (let i = 0; i < n; i++)
      ops.push(multiOp(random, dataFor(process, issued)) as unknown as Json);
    return { f: 'multi', value: ops, seen };
  }
  if (u < 0.75) return { f: 'sync', seen };
  const data = dataFor(process, issued);
  if (u < 0.87) {
    // Ephemeral under the container, so that it empties as sessions end and the leader's sweep
    // deletes it; either kind at the root.
    if (random.chance(0.5)) {
      return {
        f: 'createSeq',
        key: `${CONTAINER}/c${process}-`,
        value: [data, 'ephemeralSequential'],
        seen,
      };
    }
    const mode = random.chance(0.5) ? 'persistentSequential' : 'ephemeralSequential';
    return { f: 'createSeq', key: `/q${process}-`, value: [data, mode], seen };
  }
  if (u < 0.94) return { f: 'createAs', key: CONTAINER, value: [data, 'container', 0], seen };
  const ttl = 50 + random.int(250);
  return { f: 'createAs', key: `/t${process}`, value: [data, 'persistentWithTtl', ttl], seen };
}

export function nextZkWorkloadOp(
  random: Random,
  process: number,
  issued: number,
  lastOk?: Json,
): Json {
  if (process % 2 === 1) {
    let client = lockClients.get(random);
    if (client === undefined || issued === 0) {
      client = new LockClient(process);
      lockClients.set(random, client);
    }
    return client.next(random, lastOk);
  }
  if (issued > 0 && random.chance(0.3)) {
    return nextMoreOp(random, process, issued, zxidOf(lastOk) ?? 0);
  }
  return nextZkOp(random, process, issued, lastOk);
}
