/**
 * `truthkit cluster up --system zookeeper` prints each node's ZooKeeper address and one connect
 * string a client can paste, `cluster status` shows them, `cluster down` stops the nodes; `node
 * --zk` is a one-line usage error for a system that is not ZooKeeper and for a non-loopback host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDown } from '../../src/runtime/cluster.js';
import { cli } from './run-cli.js';

test('node --zk: only for the zookeeper system, only on loopback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-zk-node-'));
  try {
    const base = ['node', '--id', 'n1', '--listen', '127.0.0.1:0', '--data', dir];
    const other = await cli(...base, '--system', 'kv-zab', '--zk', '0');
    assert.equal(other.code, 2);
    assert.match(
      other.err,
      /^truthkit: --zk: kv-zab is not a ZooKeeper service \(use zookeeper\)\n$/,
    );
    const remote = await cli(...base, '--system', 'zookeeper', '--zk', '0.0.0.0:2181');
    assert.deepEqual(remote, {
      code: 2,
      out: '',
      err: 'truthkit: --zk: 0.0.0.0 is not a loopback address\n',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cluster up --system zookeeper prints the connect string; down stops it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-zk-up-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const up = await cli('cluster', 'up', '--system', 'zookeeper', '--nodes', '3', '--dir', dir);
  assert.equal(up.code, 0, up.err);
  const lines = up.out.trimEnd().split('\n');
  assert.equal(lines[0], `zookeeper: 3 node(s) running (state in ${dir})`);
  const zk = lines.slice(1, 4).map((l, i) => {
    const m = new RegExp(`^n${i + 1} 127\\.0\\.0\\.1:\\d+  zk (127\\.0\\.0\\.1:\\d+)$`).exec(l);
    assert.ok(m?.[1] !== undefined, `node line: ${l}`);
    return m[1];
  });
  assert.equal(lines[4], `connect string: ${zk.join(',')}`);
  assert.equal(lines.length, 5);
  const status = await cli('cluster', 'status', '--dir', dir);
  assert.equal(status.code, 0);
  for (const a of zk) assert.ok(status.out.includes(`  zk ${a}  `), status.out);
  const down = await cli('cluster', 'down', '--dir', dir);
  assert.deepEqual(down, { code: 0, out: 'stopped n1, n2, n3\n', err: '' });
});
