/**
 * The load every system gets, through the same unchanged node-zookeeper-client:
 *
 * 1. create: `ops` persistent-sequential znodes under one parent, `inFlight` at a time;
 * 2. getData of each of them, as many in flight;
 * 3. setData of each (any version), as many in flight;
 * 4. lock: `contenders` clients, each with its own session, run the lock recipe
 *    (src/recipes/lock.ts, over `WireZkClient`) on one lock, acquire then release, until
 *    `lockCycles` cycles are done. A cycle's latency runs from the call to acquire to the
 *    release's answer. A holder holds for one turn of the event loop; the bench counts two
 *    holders at once as an overlap (it must stay 0).
 *
 * Phases 1–3 share one session, as one application's client would. Every phase stops taking
 * new work at its deadline and reports what was done by then; one that is still not done a
 * while after is abandoned with an error, so a hung server cannot hang the bench.
 */
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import { ZkLock } from '../../src/recipes/lock.js';
import { ensurePath, SequentialQueue } from '../../src/recipes/sequential-queue.js';
import type { ZkClient } from '../../src/recipes/zk-client.js';
import { percentile } from '../../src/sim/stats.js';
import { WireZkClient } from './wire-client.js';

export interface ZkLoadSpec {
  readonly ops: number;
  readonly inFlight: number;
  readonly valueBytes: number;
  readonly lockCycles: number;
  readonly contenders: number;
  /** Each phase takes no new work after this long. */
  readonly phaseTimeoutMs: number;
  /** The overlap count's own check: a lock that breaks a rule (see `LockMutant`). */
  readonly lockMutant?: LockMutant;
}

/**
 * `skip-wait`: a contender takes the lock as soon as its node exists, without waiting to be the
 * lowest — the recipe's one rule removed, so the overlap count must see two holders.
 */
export const LOCK_MUTANTS = ['skip-wait'] as const;
export type LockMutant = (typeof LOCK_MUTANTS)[number];

interface BenchLock {
  acquire(): Promise<unknown>;
  release(): Promise<void>;
}

function skipWaitLock(client: ZkClient, dir: string, guid: string): BenchLock {
  const queue = new SequentialQueue(client, dir, 'lock', guid);
  let held: string | undefined;
  return {
    acquire: async () => {
      await ensurePath(client, dir);
      held = (await queue.enqueue('')).path;
    },
    release: async () => {
      if (held !== undefined) await client.delete(held, -1);
      held = undefined;
    },
  };
}

export interface PhaseResult {
  /** Operations (lock: acquire/release cycles) that succeeded. */
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time per operation of all the servers together, and of this client process. */
  readonly serverCpuMsPerOp: number;
  readonly clientCpuMsPerOp: number;
}

export const PHASES = ['create', 'getData', 'setData', 'lock'] as const;
export type PhaseName = (typeof PHASES)[number];

/** A record with one `f(phase)` per phase. */
export function perPhase<T>(f: (phase: PhaseName) => T): Record<PhaseName, T> {
  return { create: f('create'), getData: f('getData'), setData: f('setData'), lock: f('lock') };
}

export interface PassResult {
  readonly phases: Record<PhaseName, PhaseResult>;
  /** Times the lock phase saw two holders at once. */
  readonly lockOverlaps: number;
}

/** How long past its deadline a phase may take to finish its work in flight. */
const GRACE_MS = 30_000;

function abandonAfter<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still not done ${ms} ms on`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Runs `call(i, worker)` for i = 0 … count-1 on `workers` loops (worker = 0 … workers-1) until
 * done or `deadlineMs` passes; `call` resolves with how long the operation took (ms), or throws
 * to count an error.
 */
async function phase(
  name: string,
  count: number,
  workers: number,
  deadlineMs: number,
  serverCpuMs: () => number,
  call: (i: number, worker: number) => Promise<number>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const server0 = serverCpuMs();
  const client0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + deadlineMs;
  const worker = async (w: number): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      try {
        latencies.push(await call(i, w));
      } catch {
        errors++;
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  await abandonAfter(deadlineMs + GRACE_MS, `${name} phase`, all);
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(client0);
  const done = Math.max(1, latencies.length + errors);
  return {
    ops: latencies.length,
    errors,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    serverCpuMsPerOp: (serverCpuMs() - server0) / done,
    clientCpuMsPerOp: (client.user + client.system) / 1000 / done,
  };
}

/** Times a callback-style client call; rejects with the client's error. */
function timed(start: (done: (e: unknown) => void) => void): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    start((e) =>
      e ? reject(e instanceof Error ? e : new Error(String(e))) : resolve(performance.now() - t0),
    ),
  );
}

async function lockPhase(
  servers: string,
  dir: string,
  spec: ZkLoadSpec,
  serverCpuMs: () => number,
): Promise<{ result: PhaseResult; overlaps: number }> {
  const clients = await Promise.all(
    Array.from({ length: spec.contenders }, () => WireZkClient.connect(servers)),
  );
  try {
    const locks: BenchLock[] = clients.map((c, i) => {
      const guid = `contender${String(i).padStart(4, '0')}`;
      return spec.lockMutant === 'skip-wait'
        ? skipWaitLock(c, dir, guid)
        : new ZkLock(c, dir, guid);
    });
    let holders = 0;
    let overlaps = 0;
    // Worker w is contender w for the whole phase.
    const result = await phase(
      'lock',
      spec.lockCycles,
      spec.contenders,
      spec.phaseTimeoutMs,
      serverCpuMs,
      async (_, w) => {
        const lock = locks[w];
        if (lock === undefined) throw new RangeError(`no contender ${w}`);
        const t0 = performance.now();
        await lock.acquire();
        // Held for one turn of the event loop, so a second holder, were there one, would
        // overlap it here.
        holders++;
        if (holders > 1) overlaps++;
        await new Promise((r) => setImmediate(r));
        holders--;
        await lock.release();
        return performance.now() - t0;
      },
    );
    return { result, overlaps };
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * One pass of the four phases under `/bench-<label>` (a second pass on the same service uses
 * a new label, so it works on new znodes).
 */
export async function runZkLoad(
  servers: string,
  spec: ZkLoadSpec,
  label: string,
  serverCpuMs: () => number = () => NaN,
): Promise<PassResult> {
  const root = `/bench-${label}`;
  const client = await WireZkClient.connect(servers);
  const value = Buffer.alloc(spec.valueBytes, 'v');
  const changed = Buffer.alloc(spec.valueBytes, 'w');
  const paths: string[] = [];
  try {
    await ensurePath(client, `${root}/c`);
    const raw = client.raw;
    const create = await phase(
      'create',
      spec.ops,
      spec.inFlight,
      spec.phaseTimeoutMs,
      serverCpuMs,
      (i) =>
        timed((done) =>
          raw.create(`${root}/c/n-`, value, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, (e, p) => {
            if (!e) paths[i] = p;
            done(e);
          }),
        ),
    );
    const made = paths.filter((p) => p !== undefined);
    const pathAt = (i: number): string => {
      const p = made[i];
      if (p === undefined) throw new Error(`no created znode #${i}`);
      return p;
    };
    const getData = await phase(
      'getData',
      made.length,
      spec.inFlight,
      spec.phaseTimeoutMs,
      serverCpuMs,
      (i) =>
        timed((done) =>
          raw.getData(pathAt(i), undefined, (e, data) => {
            if (!e && !value.equals(data)) done(new Error(`getData ${pathAt(i)}: wrong data`));
            else done(e);
          }),
        ),
    );
    const setData = await phase(
      'setData',
      made.length,
      spec.inFlight,
      spec.phaseTimeoutMs,
      serverCpuMs,
      (i) => timed((done) => raw.setData(pathAt(i), changed, -1, (e) => done(e))),
    );
    const lock = await lockPhase(servers, `${root}/lock`, spec, serverCpuMs);
    return {
      phases: { create, getData, setData, lock: lock.result },
      lockOverlaps: lock.overlaps,
    };
  } finally {
    client.close();
  }
}
