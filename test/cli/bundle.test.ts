/**
 * What moving the CLI's modules into the bundle (scripts/bundle-cli.mjs) could break, run
 * through `cli()`, which runs the bundle after `npm run build`: modules loaded lazily from
 * other chunks, and modules that find files beside themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './run-cli.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/porcupine/${name}`, import.meta.url));

test('check reads Jepsen logs and EDN and writes a report, which loads lazily', async () => {
  const log = await cli('check', fixture('jepsen/etcd_002.log'));
  assert.equal(log.code, 0, log.err);
  assert.match(log.out, /linearizable — register model/);
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-bundle-'));
  try {
    const report = join(dir, 'r.html');
    const edn = await cli('check', fixture('kv/c01-bad.txt'), '--report', report);
    assert.equal(edn.code, 1, edn.err);
    assert.match(edn.out, /NOT linearizable — kv model/);
    assert.match(readFileSync(report, 'utf8'), /^<!doctype html>/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kv watch finds etcd’s protocol definitions from wherever its module was put', async () => {
  // Port 1 refuses at once: the definitions were loaded, so the error is the connection's.
  const r = await cli('kv', 'watch', 'x', '--endpoint', '127.0.0.1:1');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^truthkit: cannot reach 127\.0\.0\.1:1 /);
});
