/**
 * `truthkit sql serve`: bad options are one usage line each; the served port takes psql-style
 * clients (node-postgres here, as root without a password and as a configured user with one)
 * and the process stops cleanly on SIGTERM. A few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { cli } from '../../cli/run-cli.js';

test('sql serve refuses bad options in one line each', async () => {
  const host = await cli('sql', 'serve', '--host', '0.0.0.0');
  assert.deepEqual(host, {
    code: 2,
    out: '',
    err: 'truthkit: --host 0.0.0.0: one in-memory server, not durable: loopback only\n',
  });
  const user = await cli('sql', 'serve', '--user', 'app');
  assert.deepEqual(user, {
    code: 2,
    out: '',
    err: 'truthkit: --user app needs --password (only root is trusted without one)\n',
  });
  const name = await cli('sql', 'serve', '--user', 'a b', '--password', 'x');
  assert.equal(name.code, 2);
  assert.match(name.err, /^truthkit: --user a b: .*\n$/);
  const port = await cli('sql', 'serve', '--port', '70000');
  assert.equal(port.code, 2);
  assert.match(port.err, /^truthkit: option '--port <n>' argument '70000' is invalid\..*\n$/);
});

test('sql serve answers node-postgres and stops on SIGTERM', { timeout: 20_000 }, async () => {
  const bin = new URL('../../../../bin/truthkit.js', import.meta.url).pathname;
  const args = [bin, 'sql', 'serve', '--port', '0', '--user', 'app', '--password', 'pw'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^sql 127\.0\.0\.1:(\d+) /m.exec(out);
        if (m?.[1] !== undefined) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`sql serve exited: ${out}`)));
    });
    const connect = async (user: string, password?: string): Promise<pg.Client> => {
      const c = new pg.Client({
        host: '127.0.0.1',
        port,
        user,
        database: 'defaultdb',
        ...(password !== undefined ? { password } : {}),
      });
      await c.connect();
      return c;
    };
    const app = await connect('app', 'pw');
    const root = await connect('root');
    try {
      await app.query('CREATE TABLE served (k INT PRIMARY KEY, v TEXT)');
      await app.query('INSERT INTO served VALUES ($1, $2)', [1, 'yes']);
      const r = await root.query('SELECT v FROM served WHERE k = 1');
      assert.deepEqual(r.rows, [{ v: 'yes' }]);
    } finally {
      await app.end();
      await root.end();
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
