/**
 * The connection-limit flags shared by `truthkit node` and `truthkit cluster up`: cluster up
 * validates them like node does and hands them to every node it starts, restarts included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { givenLimits, limitOptions, type LimitFlags } from '../../src/cli/limit-options.js';
import { clusterDown, readClusterFile } from '../../src/runtime/cluster.js';
import { limitsAsNodeFlags, type ConnectionLimits } from '../../src/runtime/connection-limits.js';
import { cli } from './run-cli.js';

test('the flags a cluster gives its nodes parse back to the limits it was given', () => {
  const given: Partial<ConnectionLimits> = {
    maxConnections: 50,
    maxPerAddress: 7,
    idleMs: 0,
    handshakeMs: 1234,
    maxStreams: 9,
  };
  const parsed = limitOptions(new Command('node').exitOverride()).parse(limitsAsNodeFlags(given), {
    from: 'user',
  });
  assert.deepEqual(givenLimits(parsed.opts<LimitFlags>()), given);
  assert.deepEqual(limitsAsNodeFlags({}), []);
});

test('cluster up: a limit that cannot work is a one-line usage error, and nothing starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-limit-flags-'));
  try {
    const up = (...flags: string[]) => cli('cluster', 'up', '--nodes', '1', '--dir', dir, ...flags);
    const above = await up('--max-connections', '10', '--max-connections-per-address', '50');
    assert.deepEqual(
      [above.code, above.err],
      [2, 'truthkit: max connections per address (50) exceeds max connections (10)\n'],
    );
    for (const bad of [
      ['--max-streams', '0'],
      ['--idle-timeout', '-1'],
      ['--handshake-timeout', 'soon'],
    ]) {
      const r = await up(...bad);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, new RegExp(`^truthkit: option '${bad[0]} <[a-z]+>' argument`), r.err);
      assert.equal(r.err.split('\n').length, 2, r.err);
    }
    assert.equal(existsSync(join(dir, 'cluster.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * How many of `tries` silent connections to `address`, opened one after another and held, the
 * node closes at once. A status poll of a moment ago may still hold a slot, so a cap of 3 shows
 * as at least tries - 3 refusals; the default cap (400) as none.
 */
async function refusals(address: string, tries: number): Promise<number> {
  const [host, port] = address.split(':') as [string, string];
  const sockets = [];
  for (let i = 0; i < tries; i++) {
    const s = connect({ host, port: Number(port) });
    s.on('error', () => {});
    s.resume(); // a stream nobody reads never reports its end
    const ended = new Promise<boolean>((resolve) => {
      s.on('end', () => resolve(true));
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    sockets.push({ s, ended });
    await ended.then(
      () => {},
      () => {},
    );
  }
  const refused = (await Promise.all(sockets.map((x) => x.ended))).filter(Boolean).length;
  for (const x of sockets) x.s.destroy();
  return refused;
}

test('cluster up: the limits reach every node it starts, and a restarted one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-limit-flags-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const up = await cli(
    'cluster',
    'up',
    ...['--nodes', '1', '--system', 'kv-raft', '--dir', dir],
    ...['--max-connections', '3', '--max-connections-per-address', '3', '--max-streams', '50'],
  );
  assert.equal(up.code, 0, up.err);
  const c = readClusterFile(dir);
  assert.deepEqual(c.limits, { maxConnections: 3, maxPerAddress: 3, maxStreams: 50 });
  const client = c.nodes[0]?.client;
  assert.ok(client !== undefined);
  assert.ok((await refusals(client, 6)) >= 3, 'the node took --max-connections 3');
  const restarted = await cli('cluster', 'restart', 'n1', '--dir', dir);
  assert.equal(restarted.code, 0, restarted.err);
  assert.ok((await refusals(client, 6)) >= 3, 'the restarted node took it too');
});
