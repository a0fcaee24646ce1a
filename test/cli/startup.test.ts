/**
 * What `truthkit check` loads from the bundle: no more than its entry, the chunk grouped for
 * check and the bundler's runtime (tsc's output would be some 27 modules). The run is a fresh
 * process with a resolve hook that reports every module it loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// Registered before the bin runs; it reports each module's URL on stderr, one a line.
const HOOK = `export async function resolve(s, c, next) {
  const r = await next(s, c);
  process._rawDebug('loaded ' + r.url);
  return r;
}`;
const REGISTER = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

/** The files under dist/ that `truthkit check FILE --model kv` loads. */
function distFilesLoaded(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-startup-'));
  try {
    const file = join(dir, 'h.jsonl');
    const op = { id: 0, process: 0, f: 'put', key: 'k', value: 'v', invoke: 0, complete: 1 };
    writeFileSync(file, JSON.stringify({ ...op, outcome: 'ok' }) + '\n');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(REGISTER)}`,
        join(ROOT, 'bin/truthkit.js'),
        'check',
        file,
        '--model',
        'kv',
      ],
      { encoding: 'utf8', env: { ...process.env, TRUTHKIT_BUNDLE: undefined } },
    );
    assert.equal(r.status, 0, r.stderr);
    const dist = new URL('dist/', `file://${ROOT}`).href;
    const lines = r.stderr.split('\n').filter((l) => l.startsWith(`loaded ${dist}`));
    return [...new Set(lines.map((l) => l.slice(`loaded ${dist}`.length)))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('from the bundle, check loads three files of it', () => {
  const files = distFilesLoaded();
  assert.ok(files.includes('cli/main.js'), `the bin ran the bundle: ${files.join(' ')}`);
  assert.ok(files.length <= 3, files.join(' '));
});
