/**
 * truthkit's side, started through its own CLI as a user would start it: `truthkit cluster up
 * --system kafka --nodes 3`, which prints `kafka HOST:PORT` on each node's line and a
 * `bootstrap servers: …` line; driven through kafkajs (kafkajs-load.ts) and stopped with
 * `cluster down`. Whether the system exists is found by trying: `cluster up` exits 2 (a usage
 * error) for a system it does not know, and the bench then prints truthkit's rows as not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killNode } from '../../src/runtime/cluster.js';
import { stopOnExit } from '../zookeeper/servers.js';
import { kafkajsSide, type KafkajsOptions } from './kafkajs-load.js';
import type { RunningTarget } from './target.js';

const BIN = fileURLToPath(new URL('../../../bin/truthkit.js', import.meta.url));

/** What `cluster up --system kafka` printed that the bench needs. */
export interface ClusterUpOutput {
  readonly bootstrap: readonly string[];
  /** Node id (`n1` …) by the Kafka address its line gives. */
  readonly nodeByAddress: ReadonlyMap<string, string>;
}

/** Reads `cluster up`'s output; undefined when it has no `bootstrap servers:` line. */
export function parseClusterUp(stdout: string): ClusterUpOutput | undefined {
  const bootstrap = /^bootstrap servers: (\S+)$/m.exec(stdout)?.[1]?.split(',');
  if (bootstrap === undefined) return undefined;
  const nodeByAddress = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(n\d+) \S+.*\skafka (\S+)/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) nodeByAddress.set(m[2], m[1]);
  }
  return { bootstrap, nodeByAddress };
}

/**
 * The node whose line gave `address`; on loopback a broker may advertise another name for the
 * same host (`localhost`), so a port alone that is unique among the lines names it too.
 */
export function nodeAt(
  nodeByAddress: ReadonlyMap<string, string>,
  address: string,
): string | undefined {
  const exact = nodeByAddress.get(address);
  if (exact !== undefined) return exact;
  const port = address.slice(address.lastIndexOf(':'));
  const same = [...nodeByAddress].filter(([a]) => a.endsWith(port));
  return same.length === 1 ? same[0]?.[1] : undefined;
}

/**
 * The kafka system's defaults are the simulator's scale; these are the real cluster's settings
 * for the bench. Followers long-poll (replica.fetch.wait.max.ms = 500, Kafka's default): polling
 * every few ms cost the brokers most of their CPU and bounded acks=all by the idle pause. The
 * broker session is 500 ms, ten of the brokers' 50 ms heartbeats (Kafka: 9 s, 4.5 of its 2 s
 * heartbeats), which bounds the failover gap (detection is most of it: docs/kafka.md); with
 * followers polling, 500 ms fenced live brokers on this loaded machine, with long polls
 * produce-probe saw none in 10,000 records at load average 25. The ISR lag time stays 2 s: a
 * dead broker leaves the ISR when it is fenced, not by lag.
 */
const REAL_TIME_PARAMS = [
  '--param',
  'session-timeout=500',
  '--param',
  'lag-time=2000',
  '--param',
  'fetch-idle=2',
  '--param',
  'fetch-wait=500',
];

export type TruthkitStart = { readonly running: RunningTarget } | { readonly unavailable: string };

export async function startTruthkitKafka(
  dir: string,
  o: Omit<KafkajsOptions, 'bootstrap'> & {
    /** More `--param name=value` for `cluster up`, after (so overriding) the real-time ones. */
    readonly params?: readonly string[];
  },
): Promise<TruthkitStart> {
  const down = (): void => {
    spawnSync(process.execPath, [BIN, 'cluster', 'down', '--dir', dir], { stdio: 'ignore' });
  };
  // The nodes are detached: were the bench to crash, they would outlive it.
  const stop = stopOnExit(down, async () => down());
  const up = spawnSync(
    process.execPath,
    [
      BIN,
      'cluster',
      'up',
      '--system',
      'kafka',
      '--nodes',
      '3',
      '--dir',
      dir,
      ...REAL_TIME_PARAMS,
      ...(o.params ?? []).flatMap((p) => ['--param', p]),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const said = (up.stderr ?? '').trim().split('\n')[0] ?? '';
  if (up.status === 2) {
    await stop();
    return { unavailable: said };
  }
  if (up.status !== 0) {
    await stop();
    throw new Error(`truthkit cluster up --system kafka: exit ${up.status}: ${said}`);
  }
  const printed = parseClusterUp(up.stdout ?? '');
  if (printed === undefined) {
    await stop();
    return { unavailable: 'it printed no `bootstrap servers:` line' };
  }
  const pidOf = (id: string): number[] => {
    const f = join(dir, id, 'pid');
    return existsSync(f) ? [Number(readFileSync(f, 'utf8'))] : [];
  };
  const ids = [...printed.nodeByAddress.values()];
  let side;
  try {
    side = await kafkajsSide({ ...o, bootstrap: printed.bootstrap });
  } catch (e) {
    await stop();
    throw e;
  }
  const kafka = side;
  return {
    running: {
      description:
        `truthkit, 3 brokers (cluster up --system kafka), replication factor 3, acks=all` +
        `${o.idempotent ? ', idempotent producer' : ''}; fsync: the broker's own policy`,
      pids: () => ids.flatMap(pidOf),
      createTopic: (topic) => kafka.createTopic(topic),
      producer: (topic) => kafka.producer(topic),
      consume: (topic, onRecord, timeoutMs) => kafka.consume(topic, onRecord, timeoutMs),
      async killLeader(topic, now) {
        const leaders = await kafka.leaders(topic);
        const victim = leaders.find((l) => l.partition === 0);
        if (victim === undefined)
          throw new Error(`${topic}: Metadata names no leader of partition 0`);
        const node = nodeAt(printed.nodeByAddress, victim.address);
        if (node === undefined) {
          throw new Error(
            `${topic}: partition 0's leader ${victim.address} is on no node line of cluster up`,
          );
        }
        const atMs = now();
        if (!(await killNode(dir, node))) throw new Error(`${node} was not running`);
        const led = leaders.filter((l) => l.brokerId === victim.brokerId).map((l) => l.partition);
        return {
          atMs,
          node,
          partitions: led,
          note: `leader of partition 0: broker ${victim.brokerId} (${node}), leading partitions ${led.join(',')}`,
        };
      },
      stop: async () => {
        await kafka.close().catch(() => undefined);
        await stop();
      },
    },
  };
}
