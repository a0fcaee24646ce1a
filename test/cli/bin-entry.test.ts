/**
 * bin/truthkit.js runs the bundle (dist/cli) only when it is at least as new as tsc's last
 * build: a bundle left from before `tsc` (or `tsc --watch`) rebuilt dist/src would run stale
 * code. A copy of the bin in a scratch tree, with two stand-in entries that say which ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/truthkit.js', import.meta.url));

const standIn = (which: string): string =>
  `export async function main(argv) { process.stdout.write('${which} ' + argv.join(' ')); return 0; }\n`;

/** Which entry the bin ran, given the files present and their ages in seconds. */
function entryRun(
  ages: { bundle?: number; buildInfo?: number },
  env: NodeJS.ProcessEnv = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'truthkit-bin-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'dist/src/cli'), { recursive: true });
    mkdirSync(join(root, 'dist/cli'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    copyFileSync(BIN, join(root, 'bin/truthkit.js'));
    writeFileSync(join(root, 'dist/src/cli/main.js'), standIn('compiled'));
    const now = Date.now() / 1000;
    const place = (path: string, body: string, age: number | undefined): void => {
      if (age === undefined) return;
      writeFileSync(join(root, path), body);
      utimesSync(join(root, path), now - age, now - age);
    };
    place('dist/cli/main.js', standIn('bundle'), ages.bundle);
    place('dist/.tsbuildinfo', '{}', ages.buildInfo);
    const r = spawnSync(process.execPath, [join(root, 'bin/truthkit.js'), 'list'], {
      encoding: 'utf8',
      env: { ...process.env, TRUTHKIT_BUNDLE: undefined, ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the bin runs the bundle when it is newer than tsc’s build, else tsc’s output', () => {
  assert.equal(entryRun({ bundle: 10, buildInfo: 20 }), 'bundle list');
  assert.equal(entryRun({ bundle: 20, buildInfo: 10 }), 'compiled list');
  assert.equal(entryRun({ buildInfo: 10 }), 'compiled list');
  // An installed package has the bundle but not tsc's build information.
  assert.equal(entryRun({ bundle: 10 }), 'bundle list');
  assert.equal(entryRun({ bundle: 10, buildInfo: 20 }, { TRUTHKIT_BUNDLE: '0' }), 'compiled list');
});
