/**
 * The reference: NATS JetStream from Debian's `nats-server`, 3 servers on loopback in one
 * cluster, each with JetStream on and its own store dir, driven by the `nats` npm client. A
 * "topic" is a stream of `PARTITIONS` subjects (`<topic>.0` …), file storage, 3 replicas: the
 * stream is one Raft group, so one leader orders all six subjects (Kafka has one per partition).
 * `js.publish` resolves with the stream's ack, sent once the stream's Raft group has committed
 * the message (a quorum wrote it).
 *
 * fsync: nothing in the config but `sync_interval` (policy `always`, for the "acked on disk"
 * row) is ours; with it unset, nats-server does not fsync before it acks — a message is acked
 * in a quorum's OS page cache and reaches the disk on a background sync (v2.9.10's source: the
 * stream's blocks every 2 min, its Raft log every 5 min; later releases made the first one
 * `sync_interval`). Debian's 2.9.10 does not know `sync_interval`: `syncRefused` asks the
 * installed server (`nats-server -t`) rather than assuming a version.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import { freePorts } from '../../src/runtime/cluster.js';
import { stopAll } from '../cluster/processes.js';
import { killAll, stopOnExit, tailOf } from '../zookeeper/servers.js';
import { COMMIT_EVERY, PARTITIONS, REPLICAS, type OnRecord, type RunningTarget } from './target.js';

export const NATS_SERVER = 'nats-server';
export const SYNC_POLICIES = ['default', 'always'] as const;
export type SyncPolicy = (typeof SYNC_POLICIES)[number];

/** Why nats-server cannot run here, or undefined when it can. */
export function natsServerMissing(): string | undefined {
  const r = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    return `${NATS_SERVER} is not installed (apt-get install nats-server)`;
  }
  return undefined;
}

/** `v2.9.10`, from `nats-server --version`. */
export function natsServerVersion(): string {
  const r = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
  return /v\d+\.\d+\.\d+\S*/.exec(r.stdout ?? '')?.[0] ?? 'unknown version';
}

function jetstreamBlock(storeDir: string, policy: SyncPolicy): string {
  const sync = policy === 'always' ? ['  sync_interval: always'] : [];
  return ['jetstream {', `  store_dir: ${JSON.stringify(storeDir)}`, ...sync, '}'].join('\n');
}

/**
 * Why the installed nats-server refuses `policy` (its own one-line complaint), or undefined when
 * it takes it: `nats-server -t` checks a config without starting.
 */
export function syncRefused(dir: string, policy: SyncPolicy): string | undefined {
  if (policy === 'default') return undefined;
  const file = join(dir, `probe-${policy}.conf`);
  writeFileSync(
    file,
    ['listen: 127.0.0.1:-1', jetstreamBlock(join(dir, 'probe'), policy)].join('\n') + '\n',
  );
  const r = spawnSync(NATS_SERVER, ['-t', '-c', file], { encoding: 'utf8' });
  if (r.status === 0) return undefined;
  const said = `${r.stderr ?? ''}\n${r.stdout ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${NATS_SERVER}:`))
    // The probe's temp path says nothing to the reader.
    .map((l) => l.replace(file, 'its config'));
  return said[0] ?? `${NATS_SERVER} -t exited ${r.status}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls `f` until it resolves; rethrows its last error once `deadline` (Date.now()) passes. */
async function retryUntil<T>(deadline: number, f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

export interface JetStreamOptions {
  readonly sync: SyncPolicy;
  /** How long a publish waits for its ack before it fails (and the loop sends it again). */
  readonly ackTimeoutMs: number;
  /** Publish with a `Nats-Msg-Id` (the stream drops a resent duplicate), as kafkajs' idempotence. */
  readonly dedup: boolean;
  readonly startTimeoutMs?: number;
}

/** Starts 3 servers in `dir` and resolves once JetStream has a meta leader. */
export async function startJetStream(dir: string, o: JetStreamOptions): Promise<RunningTarget> {
  const names = ['n1', 'n2', 'n3'];
  const ports = await freePorts(names.length * 2);
  const clientPort = (i: number): number => ports[i] ?? NaN;
  const routePort = (i: number): number => ports[names.length + i] ?? NaN;
  const children = new Map<string, ChildProcess>();
  names.forEach((name, i) => {
    const routes = names
      .map((_, j) => j)
      .filter((j) => j !== i)
      .map((j) => `nats-route://127.0.0.1:${routePort(j)}`);
    const cfg = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${clientPort(i)}`,
      `cluster { name: truthkit-bench, listen: 127.0.0.1:${routePort(i)}, routes: [${routes.join(', ')}] }`,
      jetstreamBlock(join(dir, name), o.sync),
    ];
    const file = join(dir, `${name}.conf`);
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(file, cfg.join('\n') + '\n');
    children.set(name, spawn(NATS_SERVER, ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] }));
  });
  const all = [...children.values()];
  const tail = tailOf(all);
  const stopServers = stopOnExit(killAll(all), () => stopAll(all));
  const servers = names.map((_, i) => `127.0.0.1:${clientPort(i)}`);
  let nc: NatsConnection | undefined;
  try {
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    const alive = (): void => {
      const dead = all.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead !== undefined) throw new Error(`nats-server exited (${dead.exitCode}): ${tail()}`);
    };
    // Every server listed: when the one the client is on dies, it moves to another.
    const conn = await retryUntil(deadline, async () => {
      alive();
      return connect({
        servers,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: 2000,
      });
    });
    nc = conn;
    // Account info is answered once a JetStream meta leader exists.
    const jsm = await retryUntil(deadline, async () => {
      alive();
      const m = await conn.jetstreamManager({ timeout: 2000 });
      await m.getAccountInfo();
      return m;
    });
    return jetStreamTarget(conn, jsm, children, o, async () => {
      await conn.close().catch(() => undefined);
      await stopServers();
    });
  } catch (e) {
    await nc?.close().catch(() => undefined);
    await stopServers();
    throw e;
  }
}

function jetStreamTarget(
  nc: NatsConnection,
  jsm: JetStreamManager,
  children: ReadonlyMap<string, ChildProcess>,
  o: JetStreamOptions,
  stop: () => Promise<void>,
): RunningTarget {
  const js = nc.jetstream({ timeout: o.ackTimeoutMs });
  const fsync =
    o.sync === 'always'
      ? 'sync_interval: always (each write fsync’d before the ack)'
      : 'nats-server’s default (no fsync before the ack: acked in a quorum’s page cache)';
  const subjects = (topic: string): string[] =>
    Array.from({ length: PARTITIONS }, (_, p) => `${topic}.${p}`);
  return {
    description: `NATS JetStream ${natsServerVersion()}, 3 servers, stream R${REPLICAS} file storage; fsync: ${fsync}`,
    pids: () =>
      [...children.values()]
        .filter((c) => c.exitCode === null && c.signalCode === null)
        .map((c) => c.pid ?? -1),
    async createTopic(topic) {
      const deadline = Date.now() + 30_000;
      // Until all 3 servers have joined the meta group, an R3 stream has too few peers.
      await retryUntil(deadline, () =>
        jsm.streams.add({
          name: topic,
          subjects: subjects(topic),
          num_replicas: REPLICAS,
          storage: StorageType.File,
        }),
      );
      await retryUntil(deadline, async () => {
        const info = await jsm.streams.info(topic);
        const current = info.cluster?.replicas?.filter((r) => r.current).length ?? 0;
        if (info.cluster?.leader === undefined || current < REPLICAS - 1) {
          throw new Error(`stream ${topic} has no leader with current replicas yet`);
        }
      });
    },
    async producer(topic) {
      return {
        send: async (id, partition, payload) => {
          await js.publish(`${topic}.${partition}`, payload, {
            timeout: o.ackTimeoutMs,
            ...(o.dedup ? { msgID: `${topic}/${id}` } : {}),
          });
        },
        close: async () => undefined,
      };
    },
    async consume(topic, onRecord: OnRecord, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      // After a kill the meta leader may be gone for a while: consumers are created through it.
      await retryUntil(deadline, () =>
        jsm.consumers.add(topic, {
          durable_name: 'bench',
          ack_policy: AckPolicy.All,
          deliver_policy: DeliverPolicy.All,
          // No cap of its own on what is read ahead of the acks (kafkajs has none).
          max_ack_pending: 100_000,
        }),
      );
      // A pull sent before the consumer's Raft group has a leader is dropped, and the client only
      // pulls again once two idle heartbeats were missed: wait for the leader first (seen after
      // a kill: 100,000 records pending, no pull waiting, nothing read in 30 s).
      await retryUntil(deadline, async () => {
        const info = await jsm.consumers.info(topic, 'bench');
        if (info.cluster?.leader === undefined) throw new Error(`${topic}: consumer has no leader`);
      });
      const consumer = await js.consumers.get(topic, 'bench');
      // Short pulls: a lost one is noticed after 2 × 2 s without a heartbeat, not 2 × 15 s.
      const messages = await consumer.consume({
        max_messages: 1000,
        expires: 4000,
        idle_heartbeat: 2000,
      });
      const timer = setTimeout(() => messages.stop(), Math.max(0, deadline - Date.now()));
      try {
        let n = 0;
        for await (const m of messages) {
          n++;
          const done = onRecord(m.data);
          if (done || n % COMMIT_EVERY === 0) m.ack();
          if (done) break;
        }
      } finally {
        clearTimeout(timer);
        messages.stop();
      }
    },
    async killLeader(topic, now) {
      const info = await jsm.streams.info(topic);
      const leader = info.cluster?.leader;
      const child = leader === undefined ? undefined : children.get(leader);
      if (leader === undefined || child === undefined) {
        throw new Error(`stream ${topic}: no leader among ${[...children.keys()].join(', ')}`);
      }
      const on = nc.info?.server_name ?? 'unknown';
      const atMs = now();
      child.kill('SIGKILL');
      return {
        atMs,
        node: leader,
        partitions: Array.from({ length: PARTITIONS }, (_, p) => p),
        note: `stream leader ${leader}; the client was on ${on}`,
      };
    },
    stop,
  };
}
