/**
 * `npm run bench:cluster`: 3-node truthkit (`etcd-raft`) beside a 3-member etcd from Debian, on
 * loopback, on this machine, in the same run, both driven by the same unchanged `etcd3` client:
 * 20,000 puts with 64 in flight (16-byte keys, 100-byte values), then 20,000 gets. fsync is on
 * for both. Prints ops/s, p50 and p99 for each and truthkit's ratios to etcd.
 *
 *   npm run bench:cluster [-- --ops N] [-- --json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureEtcdInstalled, etcdVersion, startEtcd } from './cluster/etcd-reference.js';
import { runLoad, type LoadSpec, type PhaseResult } from './cluster/load.js';
import type { RunningCluster } from './cluster/processes.js';
import { startTruthkit } from './cluster/truthkit-cluster.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const spec: LoadSpec = {
  ops: Number(flag('--ops') ?? 20_000),
  inFlight: Number(flag('--in-flight') ?? 64),
  keyBytes: 16,
  valueBytes: 100,
};
const json = process.argv.includes('--json');

async function measure(
  name: string,
  start: (dir: string) => Promise<RunningCluster>,
): Promise<{ put: PhaseResult; get: PhaseResult }> {
  const dir = mkdtempSync(join(tmpdir(), `truthkit-bench-${name}-`));
  const cluster = await start(dir);
  try {
    return await runLoad(cluster.endpoints, spec);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(name: string, phase: string, r: PhaseResult): string {
  return (
    `${name.padEnd(9)} ${phase.padEnd(4)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s` +
    `   p50 ${r.p50Ms.toFixed(2).padStart(6)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms` +
    (r.errors > 0 ? `   (${r.errors} errors)` : '')
  );
}

ensureEtcdInstalled();
if (!json) {
  console.log(
    `bench:cluster — 3 nodes on loopback, ${spec.ops} puts then ${spec.ops} gets, ` +
      `${spec.inFlight} in flight, ${spec.keyBytes}-byte keys, ${spec.valueBytes}-byte values, ` +
      `fsync on; etcd ${etcdVersion()}, Node ${process.version}`,
  );
}
// etcd first, then truthkit: each cluster has the machine to itself while it is measured.
const etcd = await measure('etcd', startEtcd);
const truthkit = await measure('truthkit', startTruthkit);
const ratios = {
  putThroughput: truthkit.put.opsPerSec / etcd.put.opsPerSec,
  putP99: truthkit.put.p99Ms / etcd.put.p99Ms,
  getThroughput: truthkit.get.opsPerSec / etcd.get.opsPerSec,
  getP99: truthkit.get.p99Ms / etcd.get.p99Ms,
};
if (json) {
  console.log(JSON.stringify({ spec, etcdVersion: etcdVersion(), etcd, truthkit, ratios }));
} else {
  for (const [name, r] of [
    ['etcd', etcd],
    ['truthkit', truthkit],
  ] as const) {
    console.log(line(name, 'put', r.put));
    console.log(line(name, 'get', r.get));
  }
  console.log(
    `truthkit / etcd: put throughput ${ratios.putThroughput.toFixed(2)}×, p99 ${ratios.putP99.toFixed(2)}×; ` +
      `get throughput ${ratios.getThroughput.toFixed(2)}×, p99 ${ratios.getP99.toFixed(2)}× ` +
      `(throughput > 1 and p99 < 1 mean truthkit is ahead)`,
  );
}
