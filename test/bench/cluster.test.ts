/**
 * A small run of `npm run bench:cluster` end to end: both clusters start, take the load, stop,
 * and the report holds sane figures for each (nothing here judges speed: these machines are
 * noisy). Runs when Debian's etcd is installed; the bench itself would install it with apt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needTool, probe } from '../support/tools.js';

const BENCH = fileURLToPath(new URL('../../bench/cluster.js', import.meta.url));
const hasEtcd = probe.etcd();

interface Phase {
  ops: number;
  errors: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMsPerOp: number;
  clientCpuMsPerOp: number;
}

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BENCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test(
  'bench:cluster, 300 ops in one round: both systems measured, cold and warm, with CPU per op',
  { skip: needTool('etcd', hasEtcd), timeout: 180_000 },
  async () => {
    const r = await run(['--ops', '300', '--rounds', '1', '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as Record<string, Record<string, Record<string, Phase>>> & {
      ratios: Record<string, Record<string, number>>;
    };
    for (const system of ['etcd', 'truthkit']) {
      for (const pass of ['cold', 'warm']) {
        for (const phase of ['put', 'get']) {
          const p = report[system]?.[pass]?.[phase];
          const where = `${system} ${pass} ${phase}: ${JSON.stringify(p)}`;
          assert.ok(p !== undefined, where);
          assert.equal(p.ops + p.errors, 300, where);
          assert.equal(p.errors, 0, where);
          assert.ok(p.opsPerSec > 0 && p.p50Ms > 0 && p.p50Ms <= p.p99Ms, where);
          // /proc is there on Linux, so CPU time is measured, not NaN.
          assert.ok(p.serverCpuMsPerOp > 0 && Number.isFinite(p.serverCpuMsPerOp), where);
          assert.ok(p.clientCpuMsPerOp > 0 && Number.isFinite(p.clientCpuMsPerOp), where);
        }
      }
    }
    for (const pass of ['cold', 'warm']) {
      for (const v of Object.values(report.ratios[pass] ?? {})) assert.ok(Number.isFinite(v), pass);
    }
  },
);
