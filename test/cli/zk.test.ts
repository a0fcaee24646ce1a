/**
 * `truthkit zk serve`: a bad option is one usage line; the served port takes a real client's
 * create and getData and the process stops cleanly on SIGTERM. About two seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import zookeeper from 'node-zookeeper-client';
import { cli } from './run-cli.js';

test('zk serve refuses a bad tick and a non-loopback host in one line each', async () => {
  const tick = await cli('zk', 'serve', '--tick-ms', '0');
  assert.equal(tick.code, 2);
  assert.match(tick.err, /^truthkit: option '--tick-ms <ms>' argument '0' is invalid\..*\n$/);
  const host = await cli('zk', 'serve', '--host', '0.0.0.0');
  assert.deepEqual(host, {
    code: 2,
    out: '',
    err: 'truthkit: --host 0.0.0.0: one in-memory server, not durable: loopback only\n',
  });
});

test('zk serve answers a real client and stops on SIGTERM', { timeout: 20_000 }, async () => {
  const bin = new URL('../../../bin/truthkit.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'zk', 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /client port on 127\.0\.0\.1:(\d+) /.exec(out);
        if (m?.[1] !== undefined) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`zk serve exited: ${out}`)));
    });
    const c = zookeeper.createClient(`127.0.0.1:${port}`, { retries: 0 });
    await new Promise<void>((resolve) => {
      c.once('connected', () => resolve());
      c.connect();
    });
    try {
      await new Promise<void>((resolve, reject) =>
        c.create('/served', Buffer.from('yes'), zookeeper.CreateMode.PERSISTENT, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
      const data = await new Promise<Buffer>((resolve, reject) =>
        c.getData('/served', undefined, (e, d) => (e ? reject(e) : resolve(d))),
      );
      assert.equal(data.toString(), 'yes');
    } finally {
      c.close();
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
