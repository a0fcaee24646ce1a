/**
 * Start-up of the command line: `node bin/truthkit.js check` on a 10-operation history, and
 * `--help` and `--version`, beside `node -e 0` (the floor any Node.js command pays) in the same
 * run, alternating, as whole processes. Issue 17's goal is under 120 ms for `check`. The bin
 * runs the bundle (dist/cli) that `npm run build` makes. Run alone with
 * `node dist/bench/startup.js`, or from bench/run.ts via `run()`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = 15;
const BIN = fileURLToPath(new URL('../../bin/truthkit.js', import.meta.url));

/** Ten operations on one key, linearizable: what `truthkit check` reads in a blink. */
function smallHistory(): string {
  const lines: string[] = [];
  for (let i = 0; i < 10; i++) {
    const put = i % 2 === 0;
    lines.push(
      JSON.stringify({
        id: i,
        process: 0,
        f: put ? 'put' : 'get',
        key: 'k',
        value: put ? `v${i}` : null,
        invoke: i * 10,
        complete: i * 10 + 5,
        outcome: 'ok',
        result: put ? null : `v${i - 1}`,
      }),
    );
  }
  return lines.join('\n') + '\n';
}

function timeMs(args: readonly string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-startup-'));
  try {
    const file = join(dir, 'small.jsonl');
    writeFileSync(file, smallHistory());
    const commands: [string, string[]][] = [
      ['truthkit check', [BIN, 'check', file, '--model', 'kv']],
      ['truthkit --help', [BIN, '--help']],
      ['truthkit --version', [BIN, '--version']],
      ['node -e 0', ['-e', '0']],
    ];
    for (const [, args] of commands) timeMs(args); // warm the file cache
    const times = commands.map((): number[] => []);
    for (let i = 0; i < ROUNDS; i++)
      commands.forEach(([, args], j) => times[j]?.push(timeMs(args)));
    const medians = times.map(median);
    const bare = medians[commands.length - 1] as number;
    console.log(`start-up: whole processes, median of ${ROUNDS}, ms (check reads a 10-op history)`);
    commands.forEach(([name], j) => {
      const ms = medians[j] as number;
      const ratio = j === commands.length - 1 ? '' : `  ×${(ms / bare).toFixed(2)} node -e 0`;
      console.log(`  ${name.padEnd(20)}${ms.toFixed(1).padStart(7)}${ratio}`);
    });
    console.log('  (goal: truthkit check under 120 ms)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
