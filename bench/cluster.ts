/**
 * `npm run bench:cluster`: 3-node truthkit (`etcd-raft`) beside a 3-member etcd from Debian, on
 * loopback, on this machine, in the same run, both driven by the same unchanged `etcd3` client:
 * 20,000 puts with 64 in flight (16-byte keys, 100-byte values), then 20,000 gets. fsync is on
 * for both. Prints ops/s, p50 and p99 for each and truthkit's ratios to etcd, and the CPU time
 * per operation of the three members together (from /proc) and of the client: unlike ops/s it
 * hardly moves with the machine's speed from run to run, so it is the figure to compare changes by.
 *
 * Each fresh cluster gets the load twice: the first pass is the one the numbers were specified
 * for (a cold cluster: for truthkit that includes V8 compiling its hot code, which Go's etcd
 * does not have), the second runs the same load again on new keys (warm, the steady state a
 * long-running service sees). The two systems are measured one at a time, each alone on the
 * machine, in rounds ordered etcd, truthkit, truthkit, etcd, … (ABBA, so a drift in the
 * machine's speed during the run falls on both alike); every figure is the median over rounds.
 *
 *   npm run bench:cluster [-- --ops N] [-- --in-flight N] [-- --rounds N] [-- --json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureEtcdInstalled, etcdVersion, startEtcd } from './cluster/etcd-reference.js';
import { runLoad, type LoadSpec, type PhaseResult } from './cluster/load.js';
import { cpuMs, type RunningCluster } from './cluster/processes.js';
import { startTruthkit } from './cluster/truthkit-cluster.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function count(name: string, fallback: number): number {
  const v = Number(flag(name) ?? fallback);
  if (!Number.isSafeInteger(v) || v < 1) {
    console.error(`bench:cluster: ${name} wants a positive integer`);
    process.exit(2);
  }
  return v;
}

const spec: LoadSpec = {
  ops: count('--ops', 20_000),
  inFlight: count('--in-flight', 64),
  keyBytes: 16,
  valueBytes: 100,
};
const rounds = count('--rounds', 2);
const json = process.argv.includes('--json');

/** The middle value (the mean of the middle two for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

type Pass = { put: PhaseResult; get: PhaseResult };
type Passes = { cold: Pass; warm: Pass };
const systems = { etcd: startEtcd, truthkit: startTruthkit } as const;
type SystemName = keyof typeof systems;

async function measure(
  name: SystemName,
  start: (dir: string) => Promise<RunningCluster>,
): Promise<Passes> {
  const dir = mkdtempSync(join(tmpdir(), `truthkit-bench-${name}-`));
  const cluster = await start(dir);
  try {
    const serverCpu = (): number => cpuMs(cluster.pids);
    const cold = await runLoad(cluster.endpoints, spec, 0, serverCpu);
    const warm = await runLoad(cluster.endpoints, spec, spec.ops, serverCpu);
    return { cold, warm };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of each figure over the rounds (errors summed). */
function summarize(results: readonly PhaseResult[]): PhaseResult {
  const m = (f: (r: PhaseResult) => number): number => median(results.map(f));
  return {
    ops: m((r) => r.ops),
    errors: results.reduce((a, r) => a + r.errors, 0),
    seconds: m((r) => r.seconds),
    opsPerSec: m((r) => r.opsPerSec),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    serverCpuMsPerOp: m((r) => r.serverCpuMsPerOp),
    clientCpuMsPerOp: m((r) => r.clientCpuMsPerOp),
  };
}

function line(name: string, phase: string, r: PhaseResult): string {
  return (
    `${name.padEnd(9)} ${phase.padEnd(9)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s` +
    `   p50 ${r.p50Ms.toFixed(2).padStart(6)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms` +
    `   CPU/op ${r.serverCpuMsPerOp.toFixed(3)} ms members, ${r.clientCpuMsPerOp.toFixed(3)} client` +
    (r.errors > 0 ? `   (${r.errors} errors)` : '')
  );
}

ensureEtcdInstalled();
if (!json) {
  console.log(
    `bench:cluster — 3 nodes on loopback, ${spec.ops} puts then ${spec.ops} gets, ` +
      `${spec.inFlight} in flight, ${spec.keyBytes}-byte keys, ${spec.valueBytes}-byte values, ` +
      `fsync on; cold and warm pass; median of ${rounds} round(s), ABBA order; ` +
      `etcd ${etcdVersion()}, Node ${process.version}`,
  );
}
const runs: Record<SystemName, Passes[]> = { etcd: [], truthkit: [] };
for (let r = 0; r < rounds; r++) {
  const order: SystemName[] = r % 2 === 0 ? ['etcd', 'truthkit'] : ['truthkit', 'etcd'];
  for (const name of order) {
    runs[name].push(await measure(name, systems[name]));
    if (!json) process.stderr.write(`  round ${r + 1}/${rounds}: ${name} done\n`);
  }
}
const result = (name: SystemName, pass: 'cold' | 'warm'): Pass => ({
  put: summarize(runs[name].map((p) => p[pass].put)),
  get: summarize(runs[name].map((p) => p[pass].get)),
});
const report = {
  etcd: { cold: result('etcd', 'cold'), warm: result('etcd', 'warm') },
  truthkit: { cold: result('truthkit', 'cold'), warm: result('truthkit', 'warm') },
};
const ratios = (pass: 'cold' | 'warm') => {
  const t = report.truthkit[pass];
  const e = report.etcd[pass];
  return {
    putThroughput: t.put.opsPerSec / e.put.opsPerSec,
    putP99: t.put.p99Ms / e.put.p99Ms,
    putCpu: t.put.serverCpuMsPerOp / e.put.serverCpuMsPerOp,
    getThroughput: t.get.opsPerSec / e.get.opsPerSec,
    getP99: t.get.p99Ms / e.get.p99Ms,
    getCpu: t.get.serverCpuMsPerOp / e.get.serverCpuMsPerOp,
  };
};
const all = { cold: ratios('cold'), warm: ratios('warm') };
if (json) {
  console.log(JSON.stringify({ spec, rounds, etcdVersion: etcdVersion(), ...report, ratios: all }));
} else {
  for (const pass of ['cold', 'warm'] as const) {
    for (const name of ['etcd', 'truthkit'] as const) {
      console.log(line(name, `${pass} put`, report[name][pass].put));
      console.log(line(name, `${pass} get`, report[name][pass].get));
    }
  }
  for (const pass of ['cold', 'warm'] as const) {
    const q = all[pass];
    console.log(
      `truthkit / etcd, ${pass}: put throughput ${q.putThroughput.toFixed(2)}×, ` +
        `p99 ${q.putP99.toFixed(2)}×, CPU/op ${q.putCpu.toFixed(2)}×; ` +
        `get throughput ${q.getThroughput.toFixed(2)}×, p99 ${q.getP99.toFixed(2)}×, ` +
        `CPU/op ${q.getCpu.toFixed(2)}×`,
    );
  }
  console.log('(throughput > 1, p99 < 1 and CPU/op < 1 mean truthkit is ahead)');
}
