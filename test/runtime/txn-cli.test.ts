/**
 * `truthkit txn run|bank` against a real three-node cockroach cluster on loopback: a one-shot
 * transaction's results printed, a short bank run audited, and every mistake one line on stderr
 * with its exit code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDown, clusterUp } from '../../src/runtime/cluster.js';
import { cli } from '../cli/run-cli.js';

test('txn run and txn bank on a real cockroach cluster; bad input is one line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-txn-cli-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  await clusterUp({ dir, nodes: 3, system: 'cockroach' });

  const wrote = await cli('txn', 'run', '--dir', dir, '[["w","k01",5],["append","k09","x"]]');
  assert.deepEqual(wrote, { code: 0, out: '[["w","k01",5],["append","k09","x"]]\n', err: '' });
  const read = await cli('txn', 'run', '--dir', dir, '[["r","k09",null]]');
  assert.deepEqual(read, { code: 0, out: '[["r","k09",["x"]]]\n', err: '' });

  const bank = await cli('txn', 'bank', '--dir', dir, '--seconds', '2', '--clients', '2');
  assert.equal(bank.code, 0, bank.err);
  assert.match(bank.out, /transfers: \d+ committed/);
  assert.match(bank.out, /latency: p50 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(bank.out, /audit: total 8000 \(at the start 8000\): conserved/);

  for (const [args, code, line] of [
    [['run', '--dir', dir, 'nope'], 2, /^truthkit: micro-ops: not JSON/],
    [['run', '--dir', dir, '[["q","k",null]]'], 2, /^truthkit: micro-ops: value\.0\.0: /],
    [
      ['run', '--dir', dir, '[["r","k",1]]'],
      2,
      /^truthkit: micro-ops: value\.0: a read takes null/,
    ],
    [['run', '--dir', dir, '[]'], 2, /^truthkit: micro-ops: value: /],
    [['run', '--dir', join(dir, 'none'), '[["r","k",null]]'], 2, /^truthkit: no cluster in /],
    [['bank', '--dir', dir, '--accounts', '1'], 2, /^truthkit: .*--accounts/],
    [['bank', '--dir', dir, '--seconds', 'x'], 2, /^truthkit: .*--seconds/],
  ] as const) {
    const r = await cli('txn', ...args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, line);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  }
});
