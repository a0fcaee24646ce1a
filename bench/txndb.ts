/**
 * `npm run bench:txndb`: the transactional database, two ways, on this machine.
 *
 * 1. Simulated and checked end to end: `spanner` and `cockroach` under `--nemesis all`, seeds
 *    1…SEEDS, each run simulated and then judged by the transactional checker (and, for
 *    cockroach, the stale-read judge). Prints transactions per second of wall time, with the
 *    simulation's and the checker's share.
 * 2. A real three-node cockroach cluster (processes on loopback, fsynced logs): the bank of
 *    `truthkit txn bank` — interactive transfers, retried on `retry` — for SECONDS, at two
 *    contention levels (8 and 256 accounts). Prints transfers/s, p50 and p99 (begin to commit,
 *    retries included), the retries, and the audit.
 *
 *   npm run bench:txndb [-- --seeds N] [-- --seconds S] [-- --clients N] [-- --sim-only|--cluster-only]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { judgeSession } from '../src/sim/checked-run.js';
import { Session } from '../src/sim/run.js';
import { clusterDown, clusterEndpoints, clusterUp } from '../src/runtime/cluster.js';
import { cockroachSystem, spannerSystem } from '../src/systems/txndb/txndb.js';
import { runBank } from '../src/cli/commands/txn-bank.js';

interface Flags {
  readonly seeds: number;
  readonly seconds: number;
  readonly clients: number;
  readonly sim: boolean;
  readonly cluster: boolean;
}

function flags(argv: readonly string[]): Flags {
  const num = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return dflt;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} wants a positive number`);
    return n;
  };
  return {
    seeds: num('--seeds', 5),
    seconds: num('--seconds', 10),
    clients: num('--clients', 4),
    sim: !argv.includes('--cluster-only'),
    cluster: !argv.includes('--sim-only'),
  };
}

function simulated(seeds: number): void {
  console.log(`simulated, checked end to end (--nemesis all, seeds 1-${seeds}, 1000 ops each):`);
  for (const system of [spannerSystem, cockroachSystem]) {
    let txns = 0;
    let simMs = 0;
    let checkMs = 0;
    const verdicts: string[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const t0 = performance.now();
      const session = new Session({ system, seed, nemesis: 'all' });
      session.runToEnd();
      const t1 = performance.now();
      const { verdict } = judgeSession(session);
      const t2 = performance.now();
      simMs += t1 - t0;
      checkMs += t2 - t1;
      txns += session.result().history.length;
      verdicts.push(verdict);
    }
    const wall = (simMs + checkMs) / 1000;
    const valid = verdicts.filter((v) => v === 'valid').length;
    console.log(
      `  ${system.name.padEnd(9)} ${txns} txns in ${wall.toFixed(1)} s: ` +
        `${(txns / wall).toFixed(0)} txns/s (simulating ${(simMs / 1000).toFixed(1)} s, ` +
        `checking ${(checkMs / 1000).toFixed(1)} s); ${valid}/${seeds} valid`,
    );
  }
}

async function cluster(seconds: number, clients: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-bench-txndb-'));
  try {
    // Ranges split at 64 keys here: the default (3) is sized for simulated runs of a few hundred
    // operations, and opening 256 accounts in one transaction across ~85 fresh ranges timed out.
    await clusterUp({ dir, nodes: 3, system: 'cockroach', params: { 'split-size': '64' } });
    console.log(`real cluster: 3 cockroach nodes on loopback, ${clients} clients, ${seconds} s:`);
    for (const accounts of [8, 256]) {
      const r = await runBank({ endpoints: clusterEndpoints(dir), accounts, clients, seconds });
      const retried = Object.entries(r.retries)
        .map(([why, n]) => `${why} ${n}`)
        .join(', ');
      console.log(
        `  ${String(accounts).padStart(3)} accounts: ${r.perSecond.toFixed(1)} transfers/s ` +
          `(${r.committed}), p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms; ` +
          `retries: ${retried === '' ? 'none' : retried}; audit: ` +
          `${r.violation === null ? `total ${r.totalAfter} conserved` : `VIOLATED: ${r.violation}`}`,
      );
    }
  } finally {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(argv: readonly string[] = []): Promise<void> {
  const f = flags(argv);
  // Shared machines: the figures mean little without the load they ran beside.
  console.log(
    `load average at the start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (f.sim) simulated(f.seeds);
  if (f.cluster) await cluster(f.seconds, f.clients);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(process.argv.slice(2));
}
