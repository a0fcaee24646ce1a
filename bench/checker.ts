/**
 * Linearizability checker benchmark, warm and cold, beside Porcupine's recorded times. Run
 * alone with `node dist/bench/checker.js`, or from bench/run.ts via `run()`.
 *
 * Warm: the histories checked in this process, best of 3 passes (the JIT has seen the code).
 * Cold: each measurement in a fresh Node process (bench/checker-cold.ts), which checks its
 * histories once: the median of COLD_RUNS processes for Porcupine's data sets, and one process
 * per history, summed, for the simulator's small histories. Both time the checks alone; reading
 * and parsing the files, and Node's own start-up, are outside (`cold process` gives the whole
 * processes' wall time for scale).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ColdReport } from './checker-cold.js';
import { checkAll, loadFile, loadPorcupineSet, type Loaded } from './checker-sets.js';
import { writeSimHistories } from './checker-sim.js';

/**
 * Porcupine v1.3.0 (Go, with state hashing) on a 2-core machine of this project's kind, in
 * seconds, recorded, not run here (Go's module proxy is out of reach from this machine).
 * `warm`: test/fixtures/porcupine/README.md, "Reference timings". `cold`: issue 22, a fresh
 * process each, measured beside truthkit in one run; its 300 small simulator histories were
 * not the ones this benchmark generates, only of the same sizes.
 */
export const PORCUPINE_REFERENCE_S = {
  etcdAll: { warm: [0.3, 0.7], cold: [0.28, 0.38] },
  c50OkPerKey: { warm: [0.14, 0.44] },
  c10OkUnpartitioned: { warm: [1.8, 4.6] },
  sim300: { cold: [0.17, 0.17] },
} as const;

const WARM_RUNS = 3;
const COLD_RUNS = 5;
const SIM_HISTORIES = 300;
const COLD_SCRIPT = fileURLToPath(new URL('checker-cold.js', import.meta.url));

function bestOf(runs: number, f: () => number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, f());
  return best;
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface ColdRun {
  readonly checkSeconds: number;
  readonly processSeconds: number;
}

/** One fresh process: its own report of the checks, and its whole wall time. */
function cold(args: readonly string[]): ColdRun {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [COLD_SCRIPT, ...args], { encoding: 'utf8' });
  const processSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`checker-cold ${args[0]} ${args[1]}: ${r.stderr.trim()}`);
  const report = JSON.parse(r.stdout) as ColdReport;
  return { checkSeconds: report.checkSeconds, processSeconds };
}

interface Scenario {
  readonly name: string;
  readonly warm: number;
  readonly cold: number;
  readonly coldProcess: number;
  readonly reference: { readonly warm?: readonly number[]; readonly cold?: readonly number[] };
}

const range = (r: readonly number[] | undefined): string =>
  r === undefined ? '—' : r[0] === r[1] ? `${r[0]}` : `${r[0]}–${r[1]}`;

/** Ours over the midpoint of theirs. */
const ratio = (ours: number, r: readonly number[] | undefined): string =>
  r === undefined ? '—' : (ours / (((r[0] as number) + (r[1] as number)) / 2)).toFixed(2);

export async function run(): Promise<void> {
  const scenarios: Scenario[] = [];
  const sets = [
    ['etcd', `all 102 etcd logs (register)`, PORCUPINE_REFERENCE_S.etcdAll],
    ['c50-ok', 'kv c50-ok, per key', PORCUPINE_REFERENCE_S.c50OkPerKey],
    [
      'c10-ok-unpartitioned',
      'kv c10-ok, not partitioned',
      PORCUPINE_REFERENCE_S.c10OkUnpartitioned,
    ],
  ] as const;
  for (const [set, name, reference] of sets) {
    const histories = loadPorcupineSet(set);
    const warm = bestOf(WARM_RUNS, () => checkAll(histories));
    const runs = Array.from({ length: COLD_RUNS }, () => cold(['set', set]));
    scenarios.push({
      name,
      warm,
      cold: median(runs.map((r) => r.checkSeconds)),
      coldProcess: median(runs.map((r) => r.processSeconds)),
      reference,
    });
  }

  const dir = mkdtempSync(join(tmpdir(), 'truthkit-checker-bench-'));
  try {
    const files = writeSimHistories(dir, SIM_HISTORIES);
    const sizes = files.map((f) => f.ops);
    const loaded: Loaded[] = files.map((f) => loadFile(f.path, 'jsonl', {}, f.model));
    const warm = bestOf(WARM_RUNS, () => checkAll(loaded));
    let checkSeconds = 0;
    let processSeconds = 0;
    for (const f of files) {
      const r = cold(['files', f.model, f.path]);
      checkSeconds += r.checkSeconds;
      processSeconds += r.processSeconds;
    }
    scenarios.push({
      name: `${files.length} sim histories (${Math.min(...sizes)}–${Math.max(...sizes)} ops), summed`,
      warm,
      cold: checkSeconds,
      coldProcess: processSeconds,
      reference: PORCUPINE_REFERENCE_S.sim300,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(
    `Linearizability checker, warm (best of ${WARM_RUNS} in one process) and cold (a fresh process: ` +
      `median of ${COLD_RUNS}, or one per sim history), seconds; Porcupine v1.3.0's are recorded, ` +
      'not run here; ratio = ours / the midpoint of theirs',
  );
  console.table(
    scenarios.map((s) => ({
      scenario: s.name,
      'warm (s)': s.warm.toFixed(3),
      'cold (s)': s.cold.toFixed(3),
      'cold/warm': (s.cold / s.warm).toFixed(1),
      'cold process (s)': s.coldProcess.toFixed(2),
      'Porcupine warm': range(s.reference.warm),
      'warm ratio': ratio(s.warm, s.reference.warm),
      'Porcupine cold': range(s.reference.cold),
      'cold ratio': ratio(s.cold, s.reference.cold),
    })),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
