/**
 * Start-up of the command line: `node bin/truthkit.js check` on a 10-operation history, beside
 * `node -e 0` (the floor any Node.js command pays) in the same run, alternating, as whole
 * processes. Issue 17's goal is under 120 ms for the CLI. Run alone with
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
    const check = [BIN, 'check', file, '--model', 'kv'];
    timeMs(check); // warm the file cache
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      cli.push(timeMs(check));
      bare.push(timeMs(['-e', '0']));
    }
    const c = median(cli);
    const b = median(bare);
    console.log('start-up: `truthkit check` on a 10-op history vs `node -e 0` (median of 15, ms)');
    console.log(`  truthkit check  ${c.toFixed(1)}`);
    console.log(`  node -e 0       ${b.toFixed(1)}`);
    console.log(`  ratio           ${(c / b).toFixed(2)}   (goal: truthkit under 120 ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
