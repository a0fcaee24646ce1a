/**
 * `npm run bench:kafka`: truthkit's Kafka (3 brokers, `cluster up --system kafka`) beside NATS
 * JetStream R3 (Debian's nats-server: 3 servers on loopback in one cluster), on this machine, in
 * the same run. One topic of 6 partitions replicated 3 times (JetStream: a file-stored stream of
 * 6 subjects, 3 replicas), 100-byte records, each produced alone and acked by the quorum
 * (Kafka: acks=all through kafkajs; JetStream: the stream's publish ack through `nats`), the
 * same number in flight for both (bench/kafka/closed-loop.ts); then read back by a consumer
 * group (a durable pull consumer). Prints records/s and ack p50/p99 of producing, records/s of
 * reading, the servers' CPU per record, the failover gap when a partition's leader is killed
 * under load, and truthkit's ratio to each JetStream row. Every acknowledged record must be read
 * back: one that is not is a lost write, and the run fails.
 *
 * Rows: `jetstream` (nats-server's default fsync: acked in a quorum's page cache), and
 * `jetstream-sync` (`sync_interval: always`: acked on disk), run only where the installed
 * nats-server takes that setting; `truthkit`, run only where `cluster up --system kafka` exists.
 *
 * Warm-up as bench:cluster does it: each freshly started system produces and reads a cold pass,
 * then a warm pass on a new topic; the warm figures are the result, the cold beside them. Then
 * the failover pass (bench/kafka/passes.ts). Systems run one at a time, alone on the machine,
 * in rounds whose order reverses every round; every figure is the median over rounds.
 *
 *   npm run bench:kafka [-- --records N] [-- --in-flight N] [-- --rounds N] [-- --json]
 *     [-- --systems jetstream,jetstream-sync,truthkit] [-- --idempotent] [-- --no-failover]
 *     [-- --kill-at-s N] [-- --after-kill-s N] [-- --ack-timeout-ms N] [-- --phase-timeout-s N]
 *     [-- --consume-timeout-s N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  natsServerMissing,
  natsServerVersion,
  startJetStream,
  syncRefused,
  type SyncPolicy,
} from './kafka/jetstream.js';
import {
  runFailover,
  runPass,
  type FailoverResult,
  type FailoverSpec,
  type PassResult,
  type PassSpec,
} from './kafka/passes.js';
import { median } from './kafka/stats.js';
import type { RunningTarget } from './kafka/target.js';
import { startTruthkitKafka } from './kafka/truthkit-kafka.js';

function usage(message: string): never {
  console.error(`bench:kafka: ${message}`);
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
  jetstream: 'NATS JetStream R3, default fsync',
  'jetstream-sync': 'NATS JetStream R3, sync_interval: always',
  truthkit: 'truthkit Kafka, 3 brokers',
} as const;
type SystemName = keyof typeof SYSTEMS;
const isSystem = (s: string): s is SystemName => Object.hasOwn(SYSTEMS, s);
const REFERENCES: readonly SystemName[] = ['jetstream', 'jetstream-sync'];

const systems: SystemName[] = (flag('--systems') ?? 'jetstream,jetstream-sync,truthkit')
  .split(',')
  .map((s) =>
    isSystem(s) ? s : usage(`--systems: unknown system ${s} (${Object.keys(SYSTEMS).join(', ')})`),
  );
if (new Set(systems).size !== systems.length) usage('--systems names a system twice');
const ackTimeoutMs = count('--ack-timeout-ms', 2000);
const spec: PassSpec = {
  records: count('--records', 20_000),
  inFlight: count('--in-flight', 64),
  phaseTimeoutMs: count('--phase-timeout-s', 60) * 1000,
  consumeTimeoutMs: count('--consume-timeout-s', 30) * 1000,
  retryDelayMs: 100,
  // The clients' own timeouts act first; this only bounds a send that never settles.
  hardTimeoutMs: ackTimeoutMs + 5000,
};
const failover: FailoverSpec | undefined = process.argv.includes('--no-failover')
  ? undefined
  : { killAtMs: count('--kill-at-s', 3) * 1000, afterKillMs: count('--after-kill-s', 12) * 1000 };
const idempotent = process.argv.includes('--idempotent');
const rounds = count('--rounds', 2);
const json = process.argv.includes('--json');

/** Why a row is not run (decided before the rounds, or by truthkit's first `cluster up`). */
const notRun = new Map<SystemName, string>();
if (systems.some((s) => s !== 'truthkit')) {
  const missing = natsServerMissing();
  if (missing !== undefined) {
    console.error(`bench:kafka: ${missing}`);
    process.exit(1);
  }
}
if (systems.includes('jetstream-sync')) {
  const probe = mkdtempSync(join(tmpdir(), 'truthkit-bench-kafka-probe-'));
  try {
    const refused = syncRefused(probe, 'always');
    if (refused !== undefined) {
      notRun.set(
        'jetstream-sync',
        `not run: nats-server ${natsServerVersion()} refuses sync_interval: always (${refused})`,
      );
    }
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

interface Measured {
  readonly description: string;
  readonly cold: PassResult;
  readonly warm: PassResult;
  readonly failover?: FailoverResult;
}

async function start(name: SystemName, dir: string): Promise<RunningTarget | string> {
  if (name === 'truthkit') {
    const t = await startTruthkitKafka(dir, { ackTimeoutMs, idempotent });
    if ('running' in t) return t.running;
    return (
      'not run: no broker (truthkit cluster up --system kafka is not available yet)' +
      (t.unavailable === '' ? '' : `: ${t.unavailable}`)
    );
  }
  const sync: SyncPolicy = name === 'jetstream-sync' ? 'always' : 'default';
  return startJetStream(dir, { sync, ackTimeoutMs, dedup: idempotent });
}

async function measure(name: SystemName): Promise<Measured | string> {
  const dir = mkdtempSync(join(tmpdir(), `truthkit-bench-kafka-${name}-`));
  try {
    const target = await start(name, dir);
    if (typeof target === 'string') return target;
    try {
      const cold = await runPass(target, 'bench-cold', spec);
      const warm = await runPass(target, 'bench-warm', spec);
      const f =
        failover === undefined
          ? undefined
          : await runFailover(target, 'bench-failover', spec, failover);
      return { description: target.description, cold, warm, ...(f ? { failover: f } : {}) };
    } finally {
      await target.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load0 = loadavg();
if (!json) {
  console.log(
    `bench:kafka — 3 servers on loopback; a topic of 6 partitions (JetStream: a stream of 6 ` +
      `subjects), replication 3, acks=all, 100-byte records; ${spec.records} records per pass, ` +
      `${spec.inFlight} in flight; cold then warm pass` +
      (failover === undefined
        ? ''
        : `, then a failover pass (kill -9 of a partition leader at ${failover.killAtMs / 1000} s, ` +
          `load for ${failover.afterKillMs / 1000} s after)`) +
      `; producer idempotence ${idempotent ? 'on' : 'off'}; median of ${rounds} round(s); ` +
      `Node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
  );
}
const runs = new Map<SystemName, Measured[]>(systems.map((s) => [s, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? systems : [...systems].reverse();
  for (const name of order.filter((s) => !notRun.has(s))) {
    // The system is stopped by now; a failure (one that would not start, a hung phase) ends
    // the run with one line.
    const m = await measure(name).catch((e: unknown) => {
      console.error(`bench:kafka: ${name}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
    if (typeof m === 'string') notRun.set(name, m);
    else runs.get(name)?.push(m);
    if (!json) {
      process.stderr.write(
        `  round ${r + 1}/${rounds}: ${name} ${typeof m === 'string' ? 'not run' : 'done'}\n`,
      );
    }
  }
}

/** The median over rounds of each figure (counts of errors and lost records summed). */
function summarizePass(all: readonly PassResult[]) {
  const m = (f: (r: PassResult) => number): number => median(all.map(f));
  return {
    produce: {
      acked: m((r) => r.produce.acked),
      errors: all.reduce((a, r) => a + r.produce.errors, 0),
      recordsPerSec: m((r) => r.produce.recordsPerSec),
      p50Ms: m((r) => r.produce.p50Ms),
      p99Ms: m((r) => r.produce.p99Ms),
      serverCpuMsPerRecord: m((r) => r.produce.serverCpuMsPerRecord),
      clientCpuMsPerRecord: m((r) => r.produce.clientCpuMsPerRecord),
    },
    consume: {
      recordsPerSec: m((r) => r.consume.recordsPerSec),
      firstRecordMs: m((r) => r.consume.firstRecordMs),
      duplicates: all.reduce((a, r) => a + r.consume.duplicates, 0),
    },
    lost: all.reduce((a, r) => a + r.consume.lost.length, 0),
  };
}
type PassSummary = ReturnType<typeof summarizePass>;

function summarizeFailover(all: readonly FailoverResult[]) {
  const m = (f: (r: FailoverResult) => number): number => median(all.map(f));
  return {
    gapMs: m((r) => r.gapMs),
    worstGapMs: Math.max(...all.map((r) => r.gapMs)),
    longestGapMs: m((r) => r.longestGapMs),
    acked: all.reduce((a, r) => a + r.produce.acked, 0),
    errors: all.reduce((a, r) => a + r.produce.errors, 0),
    lost: all.reduce((a, r) => a + r.consume.lost.length, 0),
    duplicates: all.reduce((a, r) => a + r.consume.duplicates, 0),
    kills: all.map((r) => r.killed.note),
  };
}
type FailoverSummary = ReturnType<typeof summarizeFailover>;

interface Row {
  readonly label: string;
  readonly description: string;
  readonly cold: PassSummary;
  readonly warm: PassSummary;
  readonly failover?: FailoverSummary;
}
const report: Partial<Record<SystemName, Row | { label: string; notRun: string }>> = {};
const rows: Partial<Record<SystemName, Row>> = {};
for (const name of systems) {
  const all = runs.get(name) ?? [];
  const why = notRun.get(name);
  if (why !== undefined || all.length === 0) {
    report[name] = { label: SYSTEMS[name], notRun: why ?? 'not run' };
    continue;
  }
  const failovers = all.flatMap((x) => (x.failover === undefined ? [] : [x.failover]));
  const row: Row = {
    label: SYSTEMS[name],
    description: all[0]?.description ?? '',
    cold: summarizePass(all.map((x) => x.cold)),
    warm: summarizePass(all.map((x) => x.warm)),
    ...(failovers.length > 0 ? { failover: summarizeFailover(failovers) } : {}),
  };
  rows[name] = row;
  report[name] = row;
}

/** truthkit's figure over a reference's, per pass: > 1 ahead for rates, < 1 ahead for times. */
const ratios: Record<string, Record<'warm' | 'cold', Record<string, number>>> = {};
const tk = rows.truthkit;
if (tk !== undefined) {
  for (const ref of REFERENCES) {
    const r = rows[ref];
    if (r === undefined) continue;
    const per = (which: 'warm' | 'cold'): Record<string, number> => ({
      produce: tk[which].produce.recordsPerSec / r[which].produce.recordsPerSec,
      p50: tk[which].produce.p50Ms / r[which].produce.p50Ms,
      p99: tk[which].produce.p99Ms / r[which].produce.p99Ms,
      consume: tk[which].consume.recordsPerSec / r[which].consume.recordsPerSec,
      serverCpu: tk[which].produce.serverCpuMsPerRecord / r[which].produce.serverCpuMsPerRecord,
    });
    ratios[ref] = { warm: per('warm'), cold: per('cold') };
  }
}

const GOAL_RATIO = 2;
const GOAL_GAP_MS = 1000;
const load1 = loadavg();
if (json) {
  console.log(
    JSON.stringify({
      spec,
      failover,
      idempotent,
      rounds,
      environment: { node: process.version, loadAverageBefore: load0, loadAverageAfter: load1 },
      systems: report,
      ratios,
    }),
  );
} else {
  const fmt = (n: number, digits: number, width: number): string =>
    n.toFixed(digits).padStart(width);
  const secs = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '∞');
  for (const which of ['warm', 'cold'] as const) {
    console.log(`\n${which} pass:`);
    for (const name of systems) {
      const row = report[name];
      if (row === undefined) continue;
      if ('notRun' in row) {
        console.log(`  ${row.label} — ${which === 'warm' ? row.notRun : 'not run (above)'}`);
        continue;
      }
      const x = row[which];
      console.log(`  ${row.description}`);
      console.log(
        `    produce ${fmt(x.produce.recordsPerSec, 0, 7)} records/s   ack p50 ${fmt(x.produce.p50Ms, 2, 7)} ms` +
          `   p99 ${fmt(x.produce.p99Ms, 2, 8)} ms   CPU/record ${x.produce.serverCpuMsPerRecord.toFixed(3)} ms servers, ` +
          `${x.produce.clientCpuMsPerRecord.toFixed(3)} client` +
          (x.produce.errors > 0 ? `   (${x.produce.errors} send errors)` : '') +
          (x.produce.acked < spec.records ? '   (cut at the phase timeout)' : ''),
      );
      console.log(
        `    consume ${fmt(x.consume.recordsPerSec, 0, 7)} records/s   first record after ` +
          `${fmt(x.consume.firstRecordMs, 0, 5)} ms` +
          (x.consume.duplicates > 0 ? `   (${x.consume.duplicates} duplicates)` : '') +
          (x.lost > 0 ? `   ${x.lost} acknowledged record(s) NOT READ BACK` : ''),
      );
    }
  }
  if (failover !== undefined) {
    console.log('\nfailover (kill -9 of a partition leader under load):');
    for (const name of systems) {
      const row = report[name];
      if (row === undefined) continue;
      if ('notRun' in row) {
        console.log(`  ${row.label} — not run (above)`);
        continue;
      }
      const f = row.failover;
      if (f === undefined) continue;
      const goal =
        name === 'truthkit'
          ? `; goal ≤ ${GOAL_GAP_MS / 1000} s: ${f.worstGapMs <= GOAL_GAP_MS ? 'met' : 'not met'}`
          : '';
      console.log(
        `  ${row.label}: gap ${secs(f.gapMs)} (median; worst ${secs(f.worstGapMs)}${goal}), longest ` +
          `gap between any two acks ${secs(f.longestGapMs)}; ${f.acked} acked, ${f.errors} send ` +
          `errors, ${f.duplicates} duplicates read, ${f.lost} acknowledged not read back`,
      );
      for (const k of f.kills) console.log(`    killed: ${k}`);
    }
  }
  for (const [ref, r] of Object.entries(ratios)) {
    for (const which of ['warm', 'cold'] as const) {
      const q = r[which];
      const v = (k: string): string => (q[k] ?? NaN).toFixed(2);
      console.log(
        `truthkit / ${ref}, ${which}: produce ${v('produce')}× (goal ≥ ${GOAL_RATIO}×), ` +
          `p50 ${v('p50')}×, p99 ${v('p99')}×, consume ${v('consume')}×, CPU/record ${v('serverCpu')}×`,
      );
    }
  }
  if (Object.keys(ratios).length > 0) {
    console.log('(produce and consume > 1, p50/p99 < 1 and CPU/record < 1 mean truthkit is ahead)');
  }
  console.log(`load average after: ${load1.map((l) => l.toFixed(2)).join(' ')}`);
}
// An acknowledged record that no consumer reads is a lost write, not a slow one: the run fails.
for (const [name, row] of Object.entries(rows)) {
  const lost = row.cold.lost + row.warm.lost + (row.failover?.lost ?? 0);
  if (lost > 0) {
    console.error(
      `bench:kafka: ${name}: ${lost} acknowledged record(s) not read back within ` +
        `${spec.consumeTimeoutMs / 1000} s (lost, or a consumer that stalled)`,
    );
    process.exitCode = 1;
  }
}
