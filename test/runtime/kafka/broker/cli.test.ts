/**
 * `truthkit kafka serve`'s mistakes are one readable line and exit code 2: a bad flag, a data
 * directory that cannot be written, a port already taken. SIGTERM ends it cleanly (exit 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnBroker, tempDir } from './broker-fixture.js';

const BIN = fileURLToPath(new URL('../../../../../bin/truthkit.js', import.meta.url));

function serve(args: readonly string[]): { status: number | null; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'kafka', 'serve', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, TRUTHKIT_BUNDLE: '0' },
  });
  return { status: r.status, err: r.stderr };
}

function oneLine(r: { status: number | null; err: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, r.err);
  const lines = r.err.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0] ?? '', pattern);
}

test(
  'kafka serve: bad flags, an unwritable dir and a busy port are one line each',
  { timeout: 60_000 },
  async () => {
    const { dir, remove } = tempDir('cli');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      oneLine(serve(['--dir', dir, '--port', '70000']), /^truthkit: .*--port/);
      oneLine(serve(['--dir', dir, '--partitions', '0']), /^truthkit: .*--partitions/);
      oneLine(serve(['--port', '0']), /^truthkit: .*--dir/);
      const file = join(dir, 'a-file');
      writeFileSync(file, 'x');
      oneLine(serve(['--dir', join(file, 'sub')]), /^truthkit: --dir .*not a writable directory/);
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object');
      oneLine(
        serve(['--dir', dir, '--port', String(address.port)]),
        /^truthkit: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
      );
      const broker = await spawnBroker(dir);
      assert.equal(await broker.stop(), 0);
    } finally {
      server.close();
      remove();
    }
  },
);
