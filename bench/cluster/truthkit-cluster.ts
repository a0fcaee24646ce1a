/**
 * truthkit's side: a 3-node `etcd-raft` cluster started by the same code as `truthkit cluster
 * up`, as separate processes with fsync'd write-ahead logs, serving etcd's v3 gRPC API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDown, clusterUp } from '../../src/runtime/cluster.js';
import type { RunningCluster } from './processes.js';
import { waitForEndpoints } from './processes.js';

export async function startTruthkit(dir: string): Promise<RunningCluster> {
  const file = await clusterUp({ dir, nodes: 3, system: 'etcd-raft' });
  const endpoints = file.nodes.map((n) => {
    if (n.etcd === undefined) throw new Error(`node ${n.id} has no etcd endpoint`);
    return n.etcd;
  });
  const running = await waitForEndpoints('truthkit', endpoints, []).catch(async (e: unknown) => {
    await clusterDown(dir);
    throw e;
  });
  const pids = file.nodes.map((n) => Number(readFileSync(join(dir, n.id, 'pid'), 'utf8')));
  return { ...running, pids, stop: () => clusterDown(dir).then(() => undefined) };
}
