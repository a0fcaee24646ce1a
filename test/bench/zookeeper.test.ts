/**
 * A tiny run of `npm run bench:zookeeper` end to end, so the bench cannot rot: truthkit (and
 * Apache ZooKeeper's 3 servers when Debian's jars and java are here) start, take every phase of
 * the load, stop, and the report holds every figure, finite; nothing here judges speed. The
 * lock's overlap count is shown to catch a lock that does not wait (`--lock-mutant skip-wait`),
 * and a machine without java gets the one skip line. About 20 s with ZooKeeper, 5 s without.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { zookeeperMissing } from '../../bench/zookeeper/apache-zookeeper.js';

const BENCH = fileURLToPath(new URL('../../bench/zookeeper.js', import.meta.url));
const hasZooKeeper = zookeeperMissing() === undefined;
const PHASES = ['create', 'getData', 'setData', 'lock'];
const TINY = ['--ops', '200', '--lock-cycles', '64', '--rounds', '1', '--json'];

interface Phase {
  ops: number;
  errors: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMsPerOp: number;
  clientCpuMsPerOp: number;
}
interface SystemReport {
  lockOverlaps: number;
  version: string;
  cold: Record<string, Phase>;
  warm: Record<string, Phase>;
}
interface Report {
  systems: Record<string, SystemReport>;
  ratios: Record<string, Record<string, Record<string, Record<string, number>>>>;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BENCH, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test(
  `bench:zookeeper, tiny: every figure of ${hasZooKeeper ? 'truthkit and ZooKeeper' : 'truthkit (ZooKeeper absent)'}, cold and warm`,
  { timeout: 90_000 },
  async () => {
    const systems = hasZooKeeper ? ['zookeeper', 'truthkit'] : ['truthkit'];
    const r = await run([...TINY, '--systems', systems.join(',')]);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as Report;
    assert.deepEqual(Object.keys(report.systems).sort(), [...systems].sort());
    for (const system of systems) {
      const s = report.systems[system];
      assert.ok(s !== undefined, system);
      assert.equal(s.lockOverlaps, 0, system);
      assert.notEqual(s.version, '', system);
      for (const pass of ['cold', 'warm'] as const) {
        for (const phase of PHASES) {
          const p: Phase | undefined = s[pass][phase];
          const where: string = `${system} ${pass} ${phase}: ${JSON.stringify(p)}`;
          assert.ok(p !== undefined, where);
          assert.equal(p.errors, 0, where);
          assert.equal(p.ops, phase === 'lock' ? 64 : 200, where);
          assert.ok(p.opsPerSec > 0 && Number.isFinite(p.opsPerSec), where);
          assert.ok(p.p50Ms > 0 && p.p50Ms <= p.p99Ms && Number.isFinite(p.p99Ms), where);
          // /proc's clock ticks are 10 ms: a tiny phase may see none, but never a negative.
          assert.ok(p.serverCpuMsPerOp >= 0 && Number.isFinite(p.serverCpuMsPerOp), where);
          assert.ok(p.clientCpuMsPerOp > 0 && Number.isFinite(p.clientCpuMsPerOp), where);
        }
      }
    }
    if (hasZooKeeper) {
      for (const pass of ['cold', 'warm']) {
        for (const phase of PHASES) {
          const q = report.ratios.zookeeper?.[pass]?.[phase];
          const where = `ratio ${pass} ${phase}: ${JSON.stringify(q)}`;
          assert.ok(q !== undefined, where);
          // The CPU ratio may be 0/0 at this size; the others are measured times.
          for (const k of ['throughput', 'p50', 'p99']) {
            const v = q[k];
            assert.ok(v !== undefined && v > 0 && Number.isFinite(v), `${where} ${k}`);
          }
        }
      }
    }
  },
);

test('bench:zookeeper counts two lock holders and fails when the lock does not wait', async () => {
  // The overlap count is the bench's own: the quickest truthkit to start is enough.
  const r = await run([
    ...TINY,
    '--systems',
    'truthkit',
    '--truthkit',
    'serve',
    '--lock-mutant',
    'skip-wait',
  ]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^bench:zookeeper: truthkit: the lock had two holders at once \d+ time/m);
  const report = JSON.parse(r.out) as Report;
  assert.ok((report.systems.truthkit?.lockOverlaps ?? 0) > 0);
});

test('bench:zookeeper without java says so in one line and skips', async () => {
  const r = await run(['--rounds', '1'], { ...process.env, PATH: '/nonexistent' });
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /^bench:zookeeper: skipped: Apache ZooKeeper cannot run here: java is not installed .*\n$/,
  );
});

test('bench:zookeeper: a bad flag is one usage line', async () => {
  for (const [args, line] of [
    [['--ops', '0'], '--ops wants a positive integer'],
    [['--systems', 'etcd'], '--systems: unknown system etcd (zookeeper, zookeeper-1, truthkit)'],
    [['--truthkit', 'both'], '--truthkit wants serve or cluster'],
  ] as const) {
    const r = await run([...args]);
    assert.deepEqual({ code: r.code, err: r.err }, { code: 2, err: `bench:zookeeper: ${line}\n` });
  }
});
