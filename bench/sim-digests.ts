/**
 * Two builds of truthkit, the same runs: a change meant only to make the simulator faster must
 * leave every seed's trace digest and verdict as they were. Runs
 * `truthkit sim SYSTEM MODE --seed S --ops N --json` under each build, for every seed and mode
 * (`--swarm` and `--nemesis all` by default), one process per run as a user would, and compares
 * the two JSON summaries field by field, wall-clock times left out. Exit 0 when all match, 1 on
 * the first difference.
 *
 *   node dist/bench/sim-digests.js OLD_ROOT NEW_ROOT --system pbft --seeds 1-30 [--ops 300]
 *     [--mode swarm|all|both] [--sweep]
 *
 * A ROOT is a checkout with `bin/truthkit.js` and its own dist/ (tsc's output is run, not the
 * bundle). `--sweep` runs each mode's seeds in one process (`--seed A --seeds K`) instead.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

interface Args {
  readonly roots: readonly [string, string];
  readonly system: string;
  readonly first: number;
  readonly last: number;
  readonly ops: number;
  readonly modes: readonly (readonly string[])[];
  readonly sweep: boolean;
}

const MODES: Record<string, readonly string[]> = { swarm: ['--swarm'], all: ['--nemesis', 'all'] };

function parseArgs(argv: readonly string[]): Args {
  const roots: string[] = [];
  let system: string | undefined;
  let range = '1-30';
  let ops = 300;
  let mode = 'both';
  let sweep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--system') system = value();
    else if (a === '--seeds') range = value();
    else if (a === '--ops') ops = Number(value());
    else if (a === '--mode') mode = value();
    else if (a === '--sweep') sweep = true;
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else roots.push(a);
  }
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (roots.length !== 2) throw new UsageError('give two roots: OLD_ROOT NEW_ROOT');
  if (system === undefined) throw new UsageError('--system is required');
  if (m === null || Number(m[1]) > Number(m[2]) || Number(m[1]) < 1) {
    throw new UsageError(`--seeds must be A-B with 1 ≤ A ≤ B, not ${range}`);
  }
  if (!Number.isInteger(ops) || ops < 1) throw new UsageError(`--ops must be a positive integer`);
  const modes = mode === 'both' ? [MODES['swarm'], MODES['all']] : [MODES[mode]];
  if (modes.some((x) => x === undefined)) throw new UsageError(`--mode is swarm, all or both`);
  return {
    roots: [roots[0] as string, roots[1] as string],
    system,
    first: Number(m[1]),
    last: Number(m[2]),
    ops,
    modes: modes as (readonly string[])[],
    sweep,
  };
}

class UsageError extends Error {}

/** The run's summary without what depends on the machine (every `wallMs`). */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'wallMs') out[k] = stable(x);
    return out;
  }
  return v;
}

/** One JSON summary per seed from `truthkit sim`; exits 1 (invalid) and 3 (unknown) are results. */
function sim(root: string, args: readonly string[]): Map<number, string> {
  let out: string;
  try {
    out = execFileSync('node', [`${root}/bin/truthkit.js`, 'sim', ...args], {
      env: { ...process.env, TRUTHKIT_BUNDLE: '0' },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      // A sweep's human summary goes to stderr; only the JSON lines matter here.
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (e) {
    const failed = e as { status?: number; stdout?: string };
    if ((failed.status !== 1 && failed.status !== 3) || failed.stdout === undefined) throw e;
    out = failed.stdout;
  }
  const runs = new Map<number, string>();
  for (const line of out.trim().split('\n')) {
    const run = JSON.parse(line) as { seed: number };
    runs.set(run.seed, JSON.stringify(stable(run)));
  }
  return runs;
}

export function compare(args: Args): number {
  let differ = 0;
  let same = 0;
  for (const mode of args.modes) {
    const common = [args.system, ...mode, '--ops', String(args.ops), '--json', '--no-progress'];
    const runsOf = (root: string): Map<number, string> => {
      if (args.sweep) {
        const count = String(args.last - args.first + 1);
        return sim(root, [...common, '--seed', String(args.first), '--seeds', count]);
      }
      const all = new Map<number, string>();
      for (let s = args.first; s <= args.last; s++) {
        for (const [seed, run] of sim(root, [...common, '--seed', String(s)])) all.set(seed, run);
      }
      return all;
    };
    const [before, after] = args.roots.map(runsOf) as [Map<number, string>, Map<number, string>];
    for (let s = args.first; s <= args.last; s++) {
      const a = before.get(s);
      const b = after.get(s);
      const summary = (x: string | undefined): string => {
        if (x === undefined) return 'no run';
        const r = JSON.parse(x) as { traceDigest: string; verdict: string };
        return `${r.traceDigest} ${r.verdict}`;
      };
      if (a === undefined || a !== b) {
        differ++;
        console.log(`DIFFERENT ${mode.join(' ')} seed ${s}: ${summary(a)} → ${summary(b)}`);
      } else {
        same++;
        console.log(`same ${mode.join(' ')} seed ${s}: ${summary(a)}`);
      }
    }
  }
  console.log(`${args.system}: ${same} run(s) the same, ${differ} different`);
  return differ === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.exitCode = compare(parseArgs(process.argv.slice(2)));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`sim-digests: ${e.message}`);
    process.exitCode = 2;
  }
}
