/**
 * Debian's psql (package postgresql-client) runs test/fixtures/sql/subset.sql against the
 * PostgreSQL port on the in-memory store; everything it prints, errors included, must equal
 * subset.out beside it. TRUTHKIT_REWRITE=1 writes subset.out from what psql printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { skipWithout } from '../../support/tools.js';
import { rewriteRequested } from '../../support/transcript/runner.js';
import { startServer } from './pg-harness.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/sql/', import.meta.url));

/** Runs psql on `script` (in FIXTURES) with stdout and stderr in one stream, as a user sees it. */
function psql(port: number, script: string): Promise<{ code: number | null; output: string }> {
  const args = [
    '-X',
    '-a',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'root',
    '-d',
    'defaultdb',
    '-f',
    script,
  ];
  return new Promise((resolve, reject) => {
    // One pipe for both streams keeps the errors between the results they came with.
    const child = spawn('sh', ['-c', 'exec psql "$@" 2>&1', 'psql', ...args], {
      cwd: FIXTURES,
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'psql-test', PAGER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test(
  'psql runs the subset script and prints the expected output',
  { skip: skipWithout('psql') },
  async () => {
    const h = await startServer();
    try {
      const { code, output } = await psql(h.port, 'subset.sql');
      assert.equal(code, 0, output);
      const expectedPath = FIXTURES + 'subset.out';
      if (rewriteRequested()) writeFileSync(expectedPath, output);
      assert.equal(output, readFileSync(expectedPath, 'utf8'));
    } finally {
      await h.close();
    }
  },
);
