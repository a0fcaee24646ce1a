/**
 * A bounded produce load against a fresh truthkit Kafka cluster, for profiling the brokers: the
 * bench's own cluster (`cluster up --system kafka`, its real-time params) and its own producer
 * (kafkajs, acks=all, 100-byte records, a closed loop of `--in-flight` sends over 6 partitions
 * replicated 3 times), `--records` records, then `cluster down` (SIGTERM: a `--cpu-prof` node
 * writes its profile on the way out). Prints records/s, ack p50/p99 and the brokers' CPU time
 * per record. With `--cpu-prof DIR` each node process writes a CPU profile into DIR as it exits
 * (cpu-profile-preload.ts, through NODE_OPTIONS, which `cluster up` passes on to its nodes).
 *
 * With `--failover S` it instead produces for S seconds, kill -9s the leader of partition 0 at
 * S/3 and prints the failover gap (bench/kafka/stats.ts) and what the nodes logged after the
 * kill, each line timed from the kill (what the gap consists of).
 *
 *   node dist/bench/kafka/produce-probe.js [--records 5000] [--in-flight 64] [--cpu-prof DIR]
 *     [--failover S] [--param name=value]…
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs } from '../cluster/processes.js';
import { closedLoop, startClock } from './closed-loop.js';
import { failoverGapMs, produceFigures } from './stats.js';
import { PARTITIONS, type RunningTarget } from './target.js';
import { startTruthkitKafka } from './truthkit-kafka.js';

function usage(message: string): never {
  console.error(`produce-probe: ${message}`);
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

const records = count('--records', 5000);
const inFlight = count('--in-flight', 64);
const profDir = flag('--cpu-prof');
const failoverS = flag('--failover') === undefined ? undefined : count('--failover', 9);
const params: string[] = [];
process.argv.forEach((a, i) => {
  if (a !== '--param') return;
  const v = process.argv[i + 1];
  if (v === undefined || !v.includes('=')) usage('--param wants name=value');
  params.push(v);
});
if (profDir !== undefined) {
  // Node refuses --cpu-prof in NODE_OPTIONS: the preload starts the same profiler instead.
  const preload = new URL('./cpu-profile-preload.js', import.meta.url).href;
  process.env.NODE_OPTIONS = `--import ${preload}`;
  process.env.TRUTHKIT_CPU_PROF_DIR = resolve(profDir);
}

const BIN = fileURLToPath(new URL('../../../bin/truthkit.js', import.meta.url));

/** Peer messages and socket writes, WAL fsyncs, and Kafka requests of every node so far. */
function nodeCounters(
  dir: string,
): Record<'peerSent' | 'peerWrites' | 'fsyncs' | 'kafkaRequests' | 'fences', number> {
  const r = spawnSync(process.execPath, [BIN, 'cluster', 'status', '--dir', dir, '--json'], {
    encoding: 'utf8',
  });
  const sum = { peerSent: 0, peerWrites: 0, fsyncs: 0, kafkaRequests: 0, fences: 0 };
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.trim() === '') continue;
    const s = JSON.parse(line) as {
      status?: {
        peers?: { sent?: number; writes?: number };
        wal?: { fsyncs?: number };
        kafka?: { requests?: number };
        metrics?: Record<string, { count?: number }>;
      };
    };
    sum.peerSent += s.status?.peers?.sent ?? 0;
    sum.peerWrites += s.status?.peers?.writes ?? 0;
    sum.fsyncs += s.status?.wal?.fsyncs ?? 0;
    sum.kafkaRequests += s.status?.kafka?.requests ?? 0;
    // Fences proposed by whichever node was the controller (live brokers fenced, if any).
    sum.fences += s.status?.metrics?.['controller-fence']?.count ?? 0;
  }
  return sum;
}

/** Each node's log lines from `sinceMs` (epoch ms) on, as `+ms node message`. */
function logSince(dir: string, sinceMs: number): string[] {
  const out: { at: number; line: string }[] = [];
  for (const id of ['n1', 'n2', 'n3']) {
    const f = join(dir, id, 'node.log');
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const l = JSON.parse(line) as { t?: string; msg?: string } & Record<string, unknown>;
      const at = Date.parse(l.t ?? '');
      if (!(at >= sinceMs)) continue;
      const { t: _t, node: _n, msg, ...rest } = l;
      out.push({
        at,
        line: `+${Math.round(at - sinceMs)} ms ${id} ${msg} ${JSON.stringify(rest)}`,
      });
    }
  }
  return out.sort((a, b) => a.at - b.at).map((o) => o.line);
}

async function failover(t: RunningTarget, seconds: number): Promise<void> {
  await t.createTopic('probe');
  const producer = await t.producer('probe');
  const clock = startClock();
  // The loop's clock as the nodes' log lines read it (epoch ms): lines are timed from the kill.
  const epochAtZero = Date.now() - clock();
  const killAtMs = (seconds * 1000) / 3;
  const killing = new Promise<void>((r) => setTimeout(r, killAtMs)).then(() => {
    return t.killLeader('probe', clock);
  });
  killing.catch(() => undefined);
  const loop = await closedLoop(
    {
      inFlight,
      partitions: PARTITIONS,
      stopAtMs: seconds * 1000,
      retryDelayMs: 100,
      hardTimeoutMs: 10_000,
    },
    clock,
    producer.send,
  );
  const killed = await killing;
  await producer.close().catch(() => undefined);
  const gap = failoverGapMs(loop.acks, killed.atMs, killed.partitions, loop.startMs);
  console.log(
    `${killed.note}; failover gap ${Math.round(gap)} ms; ${loop.acks.length} acked, ` +
      `${loop.errors} failed sends; first acks after the kill per partition: ` +
      killed.partitions
        .map((p) => {
          const a = loop.acks.find((x) => x.partition === p && x.atMs > killed.atMs);
          return `${p}: +${a === undefined ? '∞' : Math.round(a.atMs - killed.atMs)} ms`;
        })
        .join(', '),
  );
  for (const l of logSince(dir, epochAtZero + killed.atMs)) console.log(`  ${l}`);
}

const dir = mkdtempSync(join(tmpdir(), 'truthkit-kafka-probe-'));
try {
  const started = await startTruthkitKafka(dir, {
    ackTimeoutMs: 5000,
    idempotent: false,
    params,
  });
  delete process.env.NODE_OPTIONS;
  if ('unavailable' in started) usage(started.unavailable);
  const target = started.running;
  try {
    if (failoverS !== undefined) {
      await failover(target, failoverS);
    } else await produce();
  } finally {
    await target.stop();
  }

  async function produce(): Promise<void> {
    await target.createTopic('probe');
    const producer = await target.producer('probe');
    const counters0 = nodeCounters(dir);
    const cpu0 = cpuMs(target.pids());
    const load0 = loadavg()[0] ?? NaN;
    const loop = await closedLoop(
      {
        inFlight,
        partitions: PARTITIONS,
        count: records,
        stopAtMs: 120_000,
        retryDelayMs: 100,
        hardTimeoutMs: 10_000,
      },
      startClock(),
      producer.send,
    );
    const cpu = cpuMs(target.pids()) - cpu0;
    const counters1 = nodeCounters(dir);
    await producer.close();
    const f = produceFigures(loop.acks, loop.errors, (loop.endMs - loop.startMs) / 1000);
    console.log(
      `${f.acked} acked in ${f.seconds.toFixed(2)} s: ${Math.round(f.recordsPerSec)} records/s, ` +
        `ack p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms, ` +
        `${(cpu / f.acked).toFixed(3)} ms server CPU/record, ${f.errors} errors, ` +
        `${loop.givenUp.length} given up; load average ${load0.toFixed(2)} → ` +
        `${(loadavg()[0] ?? NaN).toFixed(2)}`,
    );
    const perRecord = Object.entries(counters1)
      .filter(([k]) => k !== 'fences')
      .map(
        ([k, v]) => `${k} ${((v - counters0[k as keyof typeof counters0]) / f.acked).toFixed(2)}`,
      );
    console.log(
      `per record, all nodes: ${perRecord.join(', ')}; ` +
        `live brokers fenced during the load: ${counters1.fences - counters0.fences}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
