/**
 * `npm run bench:zookeeper`: truthkit's ZooKeeper beside Apache ZooKeeper (Debian's jars: 3
 * servers on loopback, and 1 standalone as a side row), on this machine, in the same run, all
 * driven by the same unchanged node-zookeeper-client: creates of sequential znodes with 64 in
 * flight, getData, setData, and the lock recipe with 32 contenders (bench/zookeeper/load.ts).
 * Prints ops/s, p50 and p99 per figure, the servers' and the client's CPU time per operation
 * (from /proc), and truthkit's ratio to each ZooKeeper per figure.
 *
 * Warm-up as bench:cluster does it: each freshly started service gets the load twice, a cold
 * pass then a warm pass on new znodes; the warm figures are the result (a long-running
 * service's steady state; the JVM's JIT and V8's both compile during the cold one), the cold
 * ones are printed beside them. Services run one at a time, alone on the machine, in rounds
 * whose order reverses every round (A B C, C B A, …); every figure is the median over rounds.
 *
 *   npm run bench:zookeeper [-- --ops N] [-- --lock-cycles N] [-- --rounds N] [-- --json]
 *     [-- --systems zookeeper,zookeeper-1,truthkit] [-- --truthkit serve|cluster]
 *     [-- --in-flight N] [-- --contenders N] [-- --phase-timeout-s N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  debianZookeeperVersion,
  startApacheZooKeeper,
  zookeeperMissing,
} from './zookeeper/apache-zookeeper.js';
import { cpuMs } from './cluster/processes.js';
import {
  LOCK_MUTANTS,
  PHASES,
  perPhase,
  runZkLoad,
  type PassResult,
  type PhaseName,
  type PhaseResult,
  type LockMutant,
  type ZkLoadSpec,
} from './zookeeper/load.js';
import { connectString, type RunningZooKeeper } from './zookeeper/servers.js';
import {
  startTruthkitZooKeeper,
  TRUTHKIT_MODES,
  type TruthkitMode,
} from './zookeeper/truthkit-zookeeper.js';

function usage(message: string): never {
  console.error(`bench:zookeeper: ${message}`);
  process.exit(2);
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined) usage(`${name} wants a value`);
  return v;
}

function count(name: string, fallback: number): number {
  const v = Number(flag(name) ?? fallback);
  if (!Number.isSafeInteger(v) || v < 1) usage(`${name} wants a positive integer`);
  return v;
}

const SYSTEMS = {
  zookeeper: 'Apache ZooKeeper, 3 servers',
  'zookeeper-1': 'Apache ZooKeeper, 1 server (standalone)',
  truthkit: 'truthkit',
} as const;
type SystemName = keyof typeof SYSTEMS;
const isSystem = (s: string): s is SystemName => Object.hasOwn(SYSTEMS, s);

const systems: SystemName[] = (flag('--systems') ?? 'zookeeper,zookeeper-1,truthkit')
  .split(',')
  .map((s) =>
    isSystem(s) ? s : usage(`--systems: unknown system ${s} (${Object.keys(SYSTEMS).join(', ')})`),
  );
if (new Set(systems).size !== systems.length) usage('--systems names a system twice');
const truthkitFlag = flag('--truthkit') ?? 'cluster';
const isMode = (s: string): s is TruthkitMode => (TRUTHKIT_MODES as readonly string[]).includes(s);
const truthkitMode: TruthkitMode = isMode(truthkitFlag)
  ? truthkitFlag
  : usage(`--truthkit wants ${TRUTHKIT_MODES.join(' or ')}`);
const mutantFlag = flag('--lock-mutant');
const isLockMutant = (s: string): s is LockMutant =>
  (LOCK_MUTANTS as readonly string[]).includes(s);
const lockMutant: LockMutant | undefined =
  mutantFlag === undefined || isLockMutant(mutantFlag)
    ? mutantFlag
    : usage(`--lock-mutant wants ${LOCK_MUTANTS.join(' or ')}`);
const spec: ZkLoadSpec = {
  ops: count('--ops', 10_000),
  inFlight: count('--in-flight', 64),
  valueBytes: 100,
  lockCycles: count('--lock-cycles', 2_000),
  contenders: count('--contenders', 32),
  phaseTimeoutMs: count('--phase-timeout-s', 60) * 1000,
  lockMutant,
};
const rounds = count('--rounds', 2);
const json = process.argv.includes('--json');

const wantsApache = systems.some((s) => s !== 'truthkit');
const missing = wantsApache ? zookeeperMissing() : undefined;
if (missing !== undefined) {
  console.log(`bench:zookeeper: skipped: Apache ZooKeeper cannot run here: ${missing}`);
  process.exit(0);
}

const truthkitLabel =
  truthkitMode === 'serve'
    ? 'truthkit, 1 server (zk serve: in memory, no fsync)'
    : 'truthkit, 3 nodes (cluster up --system zookeeper)';
const label = (s: SystemName): string => (s === 'truthkit' ? truthkitLabel : SYSTEMS[s]);

function start(name: SystemName, dir: string): Promise<RunningZooKeeper> {
  if (name === 'truthkit') return startTruthkitZooKeeper(truthkitMode, dir);
  return startApacheZooKeeper(dir, name === 'zookeeper' ? 3 : 1);
}

type Passes = { cold: PassResult; warm: PassResult; version: string };

async function measure(name: SystemName): Promise<Passes> {
  const dir = mkdtempSync(join(tmpdir(), `truthkit-bench-zk-${name}-`));
  try {
    const zk = await start(name, dir);
    try {
      const serverCpu = (): number => cpuMs(zk.pids);
      const cold = await runZkLoad(connectString(zk), spec, 'cold', serverCpu);
      const warm = await runZkLoad(connectString(zk), spec, 'warm', serverCpu);
      return { cold, warm, version: zk.version };
    } finally {
      await zk.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The middle value (the mean of the middle two for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const hi = s[mid];
  const lo = s[mid - 1];
  if (hi === undefined) return NaN;
  return s.length % 2 === 1 || lo === undefined ? hi : (lo + hi) / 2;
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

const load0 = loadavg();
if (!json) {
  console.log(
    `bench:zookeeper — ${spec.ops} sequential creates, getData, setData (${spec.inFlight} in flight, ` +
      `${spec.valueBytes}-byte data), ${spec.lockCycles} lock cycles (${spec.contenders} contenders); ` +
      `cold and warm pass; median of ${rounds} round(s); Node ${process.version}, ` +
      `load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
  );
}
const runs = new Map<SystemName, Passes[]>(systems.map((s) => [s, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? systems : [...systems].reverse();
  for (const name of order) {
    // The system is stopped by now; a failure (one that would not start, a hung phase) ends
    // the run with one line.
    const passes = await measure(name).catch((e: unknown) => {
      console.error(`bench:zookeeper: ${name}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
    runs.get(name)?.push(passes);
    if (!json) process.stderr.write(`  round ${r + 1}/${rounds}: ${name} done\n`);
  }
}

type Report = {
  label: string;
  version: string;
  lockOverlaps: number;
  cold: Record<PhaseName, PhaseResult>;
  warm: Record<PhaseName, PhaseResult>;
};
const pass = (all: readonly Passes[], which: 'cold' | 'warm'): Record<PhaseName, PhaseResult> =>
  perPhase((p) => summarize(all.map((x) => x[which].phases[p])));
const report: Partial<Record<SystemName, Report>> = {};
for (const [name, all] of runs) {
  report[name] = {
    label: label(name),
    version: all[0]?.version ?? '',
    lockOverlaps: all.reduce((a, x) => a + x.cold.lockOverlaps + x.warm.lockOverlaps, 0),
    cold: pass(all, 'cold'),
    warm: pass(all, 'warm'),
  };
}
const reportOf = (s: SystemName): Report => {
  const r = report[s];
  if (r === undefined) throw new Error(`no figures for ${s}`);
  return r;
};

/** truthkit's figure over the reference's: throughput, p50, p99 and server CPU per op. */
type Ratio = { throughput: number; p50: number; p99: number; serverCpu: number };
const ratios: Partial<Record<SystemName, Record<'cold' | 'warm', Record<PhaseName, Ratio>>>> = {};
const tk = report.truthkit;
if (tk !== undefined) {
  for (const ref of systems.filter((s) => s !== 'truthkit')) {
    const r = reportOf(ref);
    const per = (which: 'cold' | 'warm'): Record<PhaseName, Ratio> =>
      perPhase((p) => {
        const t = tk[which][p];
        const z = r[which][p];
        return {
          throughput: t.opsPerSec / z.opsPerSec,
          p50: t.p50Ms / z.p50Ms,
          p99: t.p99Ms / z.p99Ms,
          serverCpu: t.serverCpuMsPerOp / z.serverCpuMsPerOp,
        };
      });
    ratios[ref] = { cold: per('cold'), warm: per('warm') };
  }
}

const load1 = loadavg();
const environment = {
  node: process.version,
  zookeeperDebian: wantsApache ? (debianZookeeperVersion() ?? 'unknown') : undefined,
  loadAverageBefore: load0,
  loadAverageAfter: load1,
};
if (json) {
  console.log(JSON.stringify({ spec, rounds, truthkitMode, environment, systems: report, ratios }));
} else {
  const fmt = (n: number, digits: number, width: number): string =>
    n.toFixed(digits).padStart(width);
  for (const which of ['warm', 'cold'] as const) {
    console.log(`\n${which} pass:`);
    for (const name of systems) {
      const s = reportOf(name);
      console.log(`  ${s.label}${s.version === '' ? '' : ` — ${s.version}`}`);
      for (const p of PHASES) {
        const x = s[which][p];
        console.log(
          `    ${p.padEnd(8)} ${fmt(x.opsPerSec, 0, 7)} ops/s   p50 ${fmt(x.p50Ms, 2, 7)} ms` +
            `   p99 ${fmt(x.p99Ms, 2, 8)} ms   CPU/op ${x.serverCpuMsPerOp.toFixed(3)} ms servers, ` +
            `${x.clientCpuMsPerOp.toFixed(3)} client` +
            (x.errors > 0 ? `   (${x.errors} errors)` : '') +
            (x.ops + x.errors < (p === 'lock' ? spec.lockCycles : spec.ops)
              ? '   (cut at the phase timeout)'
              : ''),
        );
      }
    }
  }
  for (const [ref, r] of Object.entries(ratios)) {
    for (const which of ['warm', 'cold'] as const) {
      const parts = PHASES.map((p) => {
        const q = r[which][p];
        return `${p} ${q.throughput.toFixed(2)}× (p50 ${q.p50.toFixed(2)}×, p99 ${q.p99.toFixed(2)}×, CPU ${q.serverCpu.toFixed(2)}×)`;
      });
      console.log(`truthkit / ${ref}, ${which}: ${parts.join('; ')}`);
    }
  }
  if (Object.keys(ratios).length > 0) {
    console.log('(throughput > 1, p50/p99 < 1 and CPU/op < 1 mean truthkit is ahead)');
  }
  console.log(
    `load average after: ${load1.map((l) => l.toFixed(2)).join(' ')}` +
      (environment.zookeeperDebian === undefined
        ? ''
        : `; Debian zookeeper ${environment.zookeeperDebian}`),
  );
}
// Two holders at once is a broken lock, not a slow one: the run fails.
for (const s of systems.filter((s) => reportOf(s).lockOverlaps > 0)) {
  console.error(
    `bench:zookeeper: ${s}: the lock had two holders at once ${reportOf(s).lockOverlaps} time(s)`,
  );
  process.exitCode = 1;
}
