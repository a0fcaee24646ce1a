/**
 * A store past what one JavaScript string can hold, through a real 3-member etcd-raft cluster
 * on loopback and the unchanged `etcd3` client: puts of 1 MiB values until the store holds
 * SNAP_BENCH_MB MiB (default 1100: past 1 GiB), then a follower killed with SIGKILL and
 * restarted from its write-ahead log (its data checked), then a follower killed while small puts
 * make the others snapshot the whole store (in parts) and compact their logs past it, restarted,
 * and caught up by InstallSnapshot, a part at a time. The bulk load stays below the snapshot
 * interval: a snapshot of a store this size is written into the log in the same group-commit
 * order as everything else, which holds a member's acknowledgements back for as long as the
 * disk takes to write it (seconds), and under the 150–300 ms election timeout that turns into
 * elections (see docs/etcd.md). Reports times and each member's peak RSS (VmHWM). Bounded: a
 * fixed number of puts and a deadline for every wait; the cluster and its directory are removed
 * at the end whatever happens. Run alone with `node dist/bench/snapshot-stream.js`, or from
 * bench/run.ts via `run()` (it writes gigabytes: SNAP_BENCH_MB=0 skips it there).
 */
import { Etcd3 } from 'etcd3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Json } from '../src/core/json.js';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  killNode,
  readClusterFile,
  runningPid,
  spawnNode,
  waitReady,
} from '../src/runtime/cluster.js';

const MIB = 1024 * 1024;
/** A value of 1 MiB, under etcd's 1.5 MiB request limit. */
const VALUE_BYTES = MIB;
const IN_FLIGHT = 4;
/** Entries between snapshots: more than the bulk load, so the snapshots come in phase 3. */
const SNAPSHOT_EVERY = Number(process.env.SNAP_BENCH_EVERY ?? '1536');
const WAIT_MS = 10 * 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Key i's value in round `round`: recognisable, so a read checks the bytes, not just a length. */
function valueFor(i: number, round: number): string {
  const head = `v${round}/${i}/`;
  return head + String.fromCharCode(97 + ((i + round) % 26)).repeat(VALUE_BYTES - head.length);
}

const keyFor = (i: number): string => `big/${String(i).padStart(6, '0')}`;

interface NodeView {
  readonly role?: string;
  readonly applied?: number;
  readonly commit?: number;
  readonly snapshotIndex?: number;
  readonly lastIndex?: number;
  readonly bytes?: number;
  readonly term?: number;
}

async function views(dir: string): Promise<Map<string, NodeView>> {
  const out = new Map<string, NodeView>();
  for (const s of await clusterStatus(dir)) {
    const node = (s.status as { node?: NodeView } | null)?.node;
    if (node !== undefined) out.set(s.id, node);
  }
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + WAIT_MS;
  while (performance.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const leaderOf = (dir: string): Promise<string> =>
  until('a leader', async () => {
    for (const [id, v] of await views(dir)) if (v.role === 'leader') return id;
    return undefined;
  });

/** Peak resident set of a running member (VmHWM), in MiB. */
function peakRssMiB(dir: string, id: string): number | undefined {
  const pid = runningPid(dir, id);
  if (pid === undefined) return undefined;
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? undefined : Math.round(Number(m[1]) / 1024);
}

/** Calls the client gave up on and that were tried again (a put is idempotent here). */
let retries = 0;

async function putAll(
  client: Etcd3,
  keys: readonly number[],
  round: number,
  value: (i: number, round: number) => string = valueFor,
  key: (i: number) => string = keyFor,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const i = keys[next++] as number;
      for (let attempt = 1; ; attempt++) {
        try {
          await client.put(key(i)).value(value(i, round));
          break;
        } catch (e) {
          if (attempt === 20) throw e;
          retries++;
          await sleep(Math.min(1000, 200 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return (performance.now() - t0) / 1000;
}

/** Reads `keys` from one member alone; throws on the first value that is not `round`'s. */
async function checkAt(endpoint: string, keys: readonly number[], round: (i: number) => number) {
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  try {
    for (const i of keys) {
      const got = await client.get(keyFor(i)).string();
      if (got !== valueFor(i, round(i))) {
        throw new Error(`${endpoint}: ${keyFor(i)} is ${got === null ? 'missing' : 'wrong'}`);
      }
    }
  } finally {
    client.close();
  }
}

/** Restarts `id` from its data and waits until it has applied the leader's commit index. */
async function restartAndCatchUp(dir: string, id: string, leader: string) {
  const t0 = performance.now();
  spawnNode(dir, id, 'existing');
  await waitReady(dir, id, WAIT_MS);
  const ready = (performance.now() - t0) / 1000;
  const target = (await views(dir)).get(leader)?.commit ?? 0;
  const caught = await until(`${id} to apply ${target}`, async () => {
    const v = (await views(dir)).get(id);
    return v !== undefined && (v.applied ?? 0) >= target ? v : undefined;
  });
  return { readySec: ready, caughtUpSec: (performance.now() - t0) / 1000, view: caught };
}

export async function run(): Promise<void> {
  const mb = Number(process.env.SNAP_BENCH_MB ?? '1100');
  if (!Number.isSafeInteger(mb) || mb < 0) throw new Error('SNAP_BENCH_MB wants a whole number');
  if (mb === 0) {
    console.log('snapshot-stream: skipped (SNAP_BENCH_MB=0)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-snapbench-'));
  const figures: Record<string, Json> = {};
  try {
    await clusterUp({
      dir,
      nodes: 3,
      system: 'etcd-raft',
      params: {
        'snapshot-every': String(SNAPSHOT_EVERY),
        // Older versions compacted away, so the overwrites of phase 3 keep the store near size.
        retain: '64',
        'chunk-size': String(MIB),
      },
    });
    const c = readClusterFile(dir);
    const endpointOf = (id: string): string => c.nodes.find((n) => n.id === id)?.etcd as string;
    const client = new Etcd3({ hosts: c.nodes.map((n) => `http://${n.etcd as string}`) });
    const all = Array.from({ length: mb }, (_, i) => i);
    try {
      // 1. The store past 1 GiB.
      let leader = await leaderOf(dir);
      const loadSec = await putAll(client, all, 0);
      const v1 = (await views(dir)).get(leader);
      figures.load = {
        puts: mb,
        seconds: +loadSec.toFixed(1),
        mibPerSec: +(mb / loadSec).toFixed(1),
        storeMiB: Math.round((v1?.bytes ?? 0) / MIB),
        leaderSnapshotIndex: v1?.snapshotIndex ?? 0,
      };
      console.log('load', figures.load);

      // 2. A follower killed and restarted from its write-ahead log: its data is all there.
      const follower = c.nodes.map((n) => n.id).find((id) => id !== leader) as string;
      const sample = all.filter((i) => i % 97 === 0 || i === mb - 1);
      await killNode(dir, follower);
      const restart = await restartAndCatchUp(dir, follower, leader);
      await checkAt(endpointOf(follower), sample, () => 0);
      figures.restart = {
        node: follower,
        readySec: +restart.readySec.toFixed(1),
        caughtUpSec: +restart.caughtUpSec.toFixed(1),
        checkedKeys: sample.length,
      };
      console.log('restart', figures.restart);

      // 3. A follower left behind by a snapshot and a compaction, caught up by InstallSnapshot.
      leader = await leaderOf(dir);
      const lagger = c.nodes.map((n) => n.id).find((id) => id !== leader) as string;
      const before = (await views(dir)).get(lagger)?.lastIndex ?? 0;
      await killNode(dir, lagger);
      // Big values overwritten (so the follower's copy is stale), then small puts until the
      // live members have passed a snapshot point and compacted their logs.
      const over = all.slice(0, Math.min(mb, 64));
      let overSec = await putAll(client, over, 1);
      // Each member snapshots at its own phase of the period, up to half a period late
      // (raft-node.ts maybeSnapshot): enough puts for whichever member leads to pass its point.
      const ticks = Array.from({ length: SNAPSHOT_EVERY + SNAPSHOT_EVERY / 2 + 64 }, (_, i) => i);
      overSec += await putAll(
        client,
        ticks,
        1,
        (i) => `tick ${i}`,
        (i) => `tick/${i % 100}`,
      );
      leader = await leaderOf(dir);
      const lv = await until('a snapshot past the follower', async () => {
        const v = (await views(dir)).get(leader);
        return (v?.snapshotIndex ?? 0) > before ? v : undefined;
      });
      const catchUp = await restartAndCatchUp(dir, lagger, leader);
      const round = (i: number): number => (i < over.length ? 1 : 0);
      await checkAt(endpointOf(lagger), [...sample, over.length - 1], round);
      figures.snapshotCatchUp = {
        node: lagger,
        followerLastIndexBefore: before,
        leaderSnapshotIndex: lv?.snapshotIndex ?? 0,
        overwrites: over.length,
        smallPuts: ticks.length,
        overwriteSec: +overSec.toFixed(1),
        readySec: +catchUp.readySec.toFixed(1),
        caughtUpSec: +catchUp.caughtUpSec.toFixed(1),
        followerSnapshotIndexAfter: catchUp.view.snapshotIndex ?? 0,
      };
      console.log('snapshot catch-up', figures.snapshotCatchUp);
      const rss: Record<string, Json> = {};
      for (const n of c.nodes) rss[n.id] = peakRssMiB(dir, n.id) ?? null;
      figures.peakRssMiB = rss;
      console.log('peak RSS (MiB, since each process started)', rss);
      // Each election moves the term: how often the members' acknowledgements stalled past an
      // election timeout over the whole run.
      let term = 0;
      for (const v of (await views(dir)).values()) term = Math.max(term, v.term ?? 0);
      figures.finalTerm = term;
      console.log('final term', term);
    } finally {
      client.close();
    }
  } catch (e) {
    // What the members said is gone with the directory: their last lines go to the output.
    for (const id of ['n1', 'n2', 'n3']) {
      try {
        const lines = readFileSync(join(dir, id, 'node.log'), 'utf8')
          .trim()
          .split('\n');
        console.log(`--- ${id}/node.log (last lines)\n${lines.slice(-15).join('\n')}`);
      } catch {
        // no log
      }
    }
    throw e;
  } finally {
    await clusterDown(dir).catch(() => []);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'snapshot-stream', mb, retries, ...figures }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
