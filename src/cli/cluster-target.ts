/**
 * Which nodes a client command talks to: `--endpoints host:port,…` when given, else the cluster
 * `truthkit cluster up` started in `--dir`. Shared by `kv` and `txn`; either failure is one
 * usage line.
 */
import { clusterEndpoints, ClusterError } from '../runtime/cluster.js';
import { parseEndpoints, type Endpoint } from '../runtime/kv-client.js';
import { UsageError } from './usage-error.js';

export interface ClusterTargetFlags {
  readonly dir: string;
  readonly endpoints?: string;
}

export function targetEndpoints(flags: ClusterTargetFlags): Endpoint[] {
  if (flags.endpoints !== undefined) {
    try {
      return parseEndpoints(flags.endpoints);
    } catch (e) {
      throw new UsageError(`--endpoints: ${(e as Error).message}`);
    }
  }
  try {
    return clusterEndpoints(flags.dir);
  } catch (e) {
    if (e instanceof ClusterError) throw new UsageError(`${e.message}, or pass --endpoints`);
    throw e;
  }
}
