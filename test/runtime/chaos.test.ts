/**
 * `truthkit chaos` end to end on real processes: a short run on kv-raft is valid and loses
 * nothing; the same run on kv-single's ack-before-sync mutant (it answers before fsync) is
 * caught; an interrupted run leaves no process behind. The audit's rules are tested on
 * hand-made histories, and bad flags are one-line usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/run-cli.js';
import type { HistoryOp } from '../../src/core/history.js';
import type { Json } from '../../src/core/json.js';
import { auditWrites } from '../../src/runtime/chaos/audit.js';
import { ChaosAbortedError, runChaos } from '../../src/runtime/chaos/run-chaos.js';
import { faultSchedule } from '../../src/runtime/chaos/schedule.js';
import { clusterDown, LAUNCHER, readClusterFile, runningPid } from '../../src/runtime/cluster.js';

function tempDir(t: { after: (fn: () => Promise<void> | void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-chaos-test-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test(
  'kv-raft: 3 kills under load, a valid history and no acknowledged write lost',
  { timeout: 30_000 },
  async (t) => {
    const dir = tempDir(t);
    const history = join(dir, 'history.jsonl');
    const r = await cli(
      'chaos',
      '--system',
      'kv-raft',
      '--kills',
      '3',
      '--duration',
      '4s',
      '--seed',
      '5',
      '--json',
      '--history',
      history,
    );
    assert.equal(r.code, 0, r.out + r.err);
    const report = JSON.parse(r.out) as {
      kills: number;
      restarts: number;
      acknowledgedWrites: number;
      lost: unknown[];
      linearizable: string;
      verdict: string;
    };
    t.diagnostic(r.out.trim());
    assert.equal(report.kills, 3);
    assert.equal(report.restarts, 3);
    assert.ok(report.acknowledgedWrites >= 50, `only ${report.acknowledgedWrites} acknowledged`);
    assert.deepEqual(
      [report.lost.length, report.linearizable, report.verdict],
      [0, 'valid', 'valid'],
    );
    // The history written is the one judged: `truthkit check` agrees.
    const checked = await cli('check', history, '--model', 'kv');
    assert.equal(checked.code, 0, checked.out + checked.err);
    assert.ok(readFileSync(history, 'utf8').split('\n').length > report.acknowledgedWrites);
  },
);

test(
  'kv-single ack-before-sync: the chaos run counts lost writes; the real one passes',
  { timeout: 40_000 },
  async () => {
    // The mutant answers at once and syncs every 100 ms, so a kill usually lands on acknowledged
    // writes still unsynced, and the load ends at the last kill, so those stay lost to the final
    // reads — usually: a kill right after its lazy sync loses nothing, so it gets four runs (of
    // three kills each) to show the loss in the audit, not only in the checker's verdict.
    const seen: string[] = [];
    let caught = false;
    for (let seed = 1; seed <= 4 && !caught; seed++) {
      const r = await runChaos({
        system: 'kv-single',
        nodes: 1,
        kills: 3,
        durationMs: 3000,
        seed,
        mutant: 'ack-before-sync',
      });
      assert.equal(r.kills, 3);
      seen.push(`seed ${seed}: lost ${r.lost.length}, linearizable ${r.linearizable}`);
      if (r.lost.length > 0) {
        assert.equal(r.verdict, 'invalid');
        caught = true;
      }
    }
    assert.ok(caught, `the audit never saw writes acknowledged before fsync: ${seen.join('; ')}`);
    const real = await runChaos({
      system: 'kv-single',
      nodes: 1,
      kills: 3,
      durationMs: 3000,
      seed: 1,
    });
    assert.deepEqual([real.lost.length, real.verdict], [0, 'valid'], real.problems.join('; '));
  },
);

test('an interrupted run tears its cluster down', { timeout: 20_000 }, async (t) => {
  const dir = tempDir(t);
  const abort = new AbortController();
  const run = runChaos({
    system: 'kv-raft',
    nodes: 3,
    kills: 2,
    durationMs: 10_000,
    seed: 3,
    dir,
    signal: abort.signal,
    log: () => abort.abort(), // stop at the first kill
  });
  await assert.rejects(run, ChaosAbortedError);
  for (const n of readClusterFile(dir).nodes) {
    assert.equal(runningPid(dir, n.id), undefined, `${n.id} still runs`);
  }
});

test('Ctrl-C: truthkit chaos stops its members and exits 3', { timeout: 20_000 }, async (t) => {
  const dir = tempDir(t);
  const child = spawn(
    process.execPath,
    [LAUNCHER, 'chaos', '--dir', dir, '--kills', '5', '--duration', '20s'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  let interrupted = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    err += d;
    // Interrupt once the first member has been killed: the run is mid-load, mid-fault.
    if (!interrupted && err.includes('kill 1/5')) interrupted = child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  assert.equal(code, 3, err);
  assert.ok(err.endsWith('truthkit: chaos run interrupted\n'), err);
  for (const n of readClusterFile(dir).nodes) {
    assert.equal(runningPid(dir, n.id), undefined, `${n.id} still runs`);
  }
});

/** One history record; `complete` Infinity-free, times in ms. */
function op(
  id: number,
  f: string,
  key: string,
  value: Json | undefined,
  invoke: number,
  complete: number,
  outcome: 'ok' | 'fail' | 'unknown',
  result?: Json,
): HistoryOp {
  return {
    id,
    process: id,
    f,
    key,
    ...(value !== undefined ? { value } : {}),
    invoke,
    complete,
    outcome,
    ...(result !== undefined ? { result } : {}),
  };
}

test('the audit: an acknowledged write is lost unless its value or a possibly later one is read', () => {
  const h = [
    op(0, 'put', 'a', 'v0', 0, 10, 'ok', null),
    op(1, 'put', 'a', 'v1', 20, 30, 'ok', null),
    op(2, 'put', 'a', 'v2', 25, 40, 'unknown'),
    op(3, 'cas', 'b', [null, 'w1'], 0, 10, 'ok', true),
    op(4, 'cas', 'b', ['x', 'w2'], 20, 30, 'ok', false),
    op(5, 'put', 'b', 'w3', 50, 60, 'fail'),
  ];
  // v1 read: v0 was overwritten by a later write, fine; v2 may have happened or not.
  assert.deepEqual(
    auditWrites(
      h,
      new Map([
        ['a', 'v1'],
        ['b', 'w1'],
      ]),
    ),
    {
      acknowledged: 3,
      lost: [],
      unread: [],
    },
  );
  // An unknown write may take effect at any time after it began: its value hides nothing.
  assert.equal(
    auditWrites(
      h,
      new Map([
        ['a', 'v2'],
        ['b', 'w1'],
      ]),
    ).lost.length,
    0,
  );
  // The key went back to a value acknowledged before v1 was invoked: v1 is lost.
  assert.deepEqual(
    auditWrites(
      h,
      new Map([
        ['a', 'v0'],
        ['b', 'w1'],
      ]),
    ).lost,
    [{ key: 'a', id: 1, value: 'v1', found: 'v0' }],
  );
  // Absent, or a value nobody wrote (a failed write's, or none): every acknowledged write lost.
  assert.equal(
    auditWrites(
      h,
      new Map([
        ['a', null],
        ['b', 'w1'],
      ]),
    ).lost.length,
    2,
  );
  assert.equal(
    auditWrites(
      h,
      new Map([
        ['a', 'v1'],
        ['b', 'w3'],
      ]),
    ).lost.length,
    1,
  );
  assert.equal(
    auditWrites(
      h,
      new Map([
        ['a', 'v1'],
        ['b', 'w2'],
      ]),
    ).lost.length,
    1,
  );
  // A final read that did not succeed is reported, not counted as a loss.
  assert.deepEqual(
    auditWrites(
      h,
      new Map([
        ['a', undefined],
        ['b', 'w1'],
      ]),
    ).unread,
    ['a'],
  );
});

test('the fault schedule is the seed’s: same seed, same schedule', () => {
  const o = { kills: 20, durationMs: 40_000, nodes: 3 };
  const a = faultSchedule({ ...o, seed: 1 });
  assert.deepEqual(a, faultSchedule({ ...o, seed: 1 }));
  assert.notDeepEqual(a, faultSchedule({ ...o, seed: 2 }));
  assert.equal(a.length, 20);
  assert.ok(a.some((s) => s.victim.kind === 'leader') && a.some((s) => s.victim.kind === 'node'));
  for (const s of a) assert.ok(s.atMs + s.downMs < s.slotMs);
  // The load ends with the last kill, which is always of the serving member.
  assert.equal(a[a.length - 1]?.victim.kind, 'leader');
  assert.ok(a.every((s) => s.fault === 'kill' && s.others.length === 0));
});

test('partitions in the schedule: the seed’s, mixed with kills, bounded, kills unchanged', () => {
  const o = { kills: 10, partitions: 10, durationMs: 40_000, nodes: 5 };
  const a = faultSchedule({ ...o, seed: 1 });
  assert.deepEqual(a, faultSchedule({ ...o, seed: 1 }));
  assert.notDeepEqual(a, faultSchedule({ ...o, seed: 2 }));
  const cuts = a.filter((s) => s.fault === 'partition');
  const kills = a.filter((s) => s.fault === 'kill');
  assert.deepEqual([cuts.length, kills.length], [10, 10]);
  // Kills draw from their own stream: adding partitions changes only their slot length.
  const alone = faultSchedule({ ...o, partitions: 0, durationMs: 20_000, seed: 1 });
  assert.deepEqual(
    kills.map((s) => s.victim),
    alone.map((s) => s.victim),
  );
  // The first cut is of the leader; the last slot is a kill of it (the load ends there).
  assert.equal(cuts[0]?.victim.kind, 'leader');
  assert.deepEqual([a[a.length - 1]?.fault, a[a.length - 1]?.victim.kind], ['kill', 'leader']);
  // Some partitions of five cut off two members (the largest minority), some one.
  assert.ok(cuts.some((s) => s.others.length === 1) && cuts.some((s) => s.others.length === 0));
  // Some sever their links, some stall them; kills have no cut.
  assert.ok(cuts.some((s) => s.cut === 'sever') && cuts.some((s) => s.cut === 'stall'));
  assert.ok(kills.every((s) => s.cut === undefined));
  for (const s of cuts) {
    assert.ok(s.atMs + s.downMs < s.slotMs);
    assert.ok(s.downMs >= 0.4 * s.slotMs && s.slotMs >= 2000);
  }
  // Three members: always one cut off. Partitions alone: the last slot may be one.
  const three = faultSchedule({ kills: 0, partitions: 5, durationMs: 10_000, nodes: 3, seed: 4 });
  assert.ok(three.every((s) => s.fault === 'partition' && s.others.length === 0));
  assert.throws(() => faultSchedule({ ...o, partitions: 1, nodes: 2, seed: 1 }), {
    code: 'too-few-nodes',
  });
  assert.throws(() => faultSchedule({ ...o, durationMs: 39_000, seed: 1 }), {
    code: 'slot-too-short',
  });
});

test('chaos: bad flags are one-line usage errors', async () => {
  const cases: [string[], string][] = [
    [
      ['--system', 'pbft'],
      "truthkit: chaos runs kv-raft, etcd-raft, kv-single (their clients speak KV), not 'pbft'\n",
    ],
    [
      ['--system', 'kv-single', '--partitions'],
      'truthkit: --partitions cuts the peer links of kv-raft and etcd-raft; kv-single has no peers to cut\n',
    ],
    [['--nodes', '2', '--partitions', '1'], 'truthkit: a partition needs a minority to cut off'],
    [
      ['--kills', '5', '--partitions', '--duration', '15s'],
      'truthkit: 5 kills and 5 partitions in 15000 ms leave 1500 ms each; each needs at least 2000 ms',
    ],
    [['--partitions', 'x'], 'truthkit: option '],
    [
      ['--kills', '0', '--partitions'],
      'truthkit: --partitions without a count means as many as --kills, which is 0\n',
    ],
    [['--kills', '100', '--duration', '10s'], 'truthkit: 100 kills in 10000 ms leave 100 ms each'],
    [
      ['--history', '/nonexistent-dir/h.jsonl'],
      'truthkit: --history /nonexistent-dir/h.jsonl: the folder /nonexistent-dir does not exist\n',
    ],
    [['--nodes', '0'], 'truthkit: option '],
    [['--duration', '0'], 'truthkit: option '],
    [['--system', 'kv-raft', '--mutant', 'nope'], "truthkit: kv-raft has no mutant 'nope'\n"],
  ];
  for (const [args, start] of cases) {
    const r = await cli('chaos', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.ok(r.err.startsWith(start), `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.split('\n').length, 2, r.err);
  }
});
