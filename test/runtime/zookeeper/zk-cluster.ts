/**
 * A real zookeeper cluster for the wire tests: `cluster up --system zookeeper` in a temp dir on
 * loopback, its connect string, which node leads, and node-zookeeper-client sessions on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import {
  clusterDown,
  clusterUp,
  readClusterFile,
  runningPid,
  type ClusterFile,
} from '../../../src/runtime/cluster.js';
import { fetchStatus, parseAddress } from '../../../src/runtime/kv-client.js';
import { waitFor } from '../wait-for.js';

export type Client = ReturnType<typeof zookeeper.createClient>;

export interface ZkCluster {
  readonly dir: string;
  readonly file: ClusterFile;
  readonly connectString: string;
  /** Node id → its ZooKeeper port. */
  zkPort(id: string): number;
}

export async function upZk(
  t: { after: (fn: () => Promise<void> | void) => void },
  o: { nodes?: number; params?: Record<string, string>; mutant?: string } = {},
): Promise<ZkCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-zk-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const file = await clusterUp({
    dir,
    nodes: o.nodes ?? 3,
    system: 'zookeeper',
    ...(o.params !== undefined ? { params: o.params } : {}),
    ...(o.mutant !== undefined ? { mutant: o.mutant } : {}),
  });
  const zk = new Map(file.nodes.map((n) => [n.id, n.zk]));
  if ([...zk.values()].some((a) => a === undefined)) throw new Error('a node has no zk port');
  // A server outside Zab's broadcast phase drops its clients, as ZooKeeper's do; a one-shot
  // client such as zkCli.sh then fails its only request with ConnectionLoss. Tests start from
  // a cluster whose every server serves.
  await allServing(dir);
  return {
    dir,
    file,
    connectString: [...zk.values()].join(','),
    zkPort: (id) => parseAddress(zk.get(id) ?? '').port,
  };
}

async function allServing(dir: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    'every zookeeper server in broadcast',
    async () => {
      for (const n of readClusterFile(dir).nodes) {
        const s = (await fetchStatus(parseAddress(n.client), 500)) as {
          node?: { phase?: string };
        } | null;
        if (s?.node?.phase !== 'broadcast') return undefined;
      }
      return true;
    },
    timeoutMs,
  );
}

/** The node that leads in broadcast, as the running nodes report (waits for one). */
export async function leaderOf(c: ZkCluster, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    'a zookeeper leader in broadcast',
    async () => {
      for (const n of readClusterFile(c.dir).nodes) {
        if (runningPid(c.dir, n.id) === undefined) continue;
        const s = (await fetchStatus(parseAddress(n.client), 500)) as {
          node?: { state?: string; phase?: string };
        } | null;
        if (s?.node?.state === 'leading' && s.node.phase === 'broadcast') return n.id;
      }
      return undefined;
    },
    timeoutMs,
  );
}

/** A connected node-zookeeper-client session (no retries: connection loss reaches the caller). */
export async function session(connectString: string, sessionTimeout = 30_000): Promise<Client> {
  const c = zookeeper.createClient(connectString, { sessionTimeout, spinDelay: 50, retries: 0 });
  const connected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
  c.connect();
  await connected;
  return c;
}

export function call<T>(f: (cb: (e: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));
}

export const CONNECTION_LOSS = -4;
export const isConnectionLoss = (e: unknown): boolean =>
  (e as { code?: unknown } | null)?.code === CONNECTION_LOSS;
