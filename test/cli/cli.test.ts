import { test } from 'node:test';
import { cli } from './run-cli.js';
import { kvRaftSystem } from '../../src/systems/kv/kv-raft.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('list --json names systems, nemeses, models and mutants', async () => {
  const { code, out } = await cli('list', '--json');
  assert.equal(code, 0);
  const list = JSON.parse(out);
  for (const s of ['echo', 'kv-single', 'kv-async']) assert.ok(list.systems.includes(s));
  for (const n of [
    'none',
    'partition-halves',
    'partition-oneway',
    'crash',
    'clock-jump',
    'slow',
    'all',
  ]) {
    assert.ok(list.nemeses.includes(n), n);
  }
  assert.ok(list.models.includes('kv') && list.models.includes('register'));
  assert.deepEqual(list.mutants['kv-single'], ['ack-before-sync']);
});

test('list prints a readable catalogue', async () => {
  const { code, out } = await cli('list');
  assert.equal(code, 0);
  assert.match(out, /kv-single\s+one node owns the data/);
  assert.match(out, /partition-bridge/);
});

test('sim --json prints one object per seed with the promised fields', async () => {
  const { code, out } = await cli(
    'sim',
    'kv-single',
    '--seeds',
    '2',
    '--ops',
    '200',
    '--json',
    '--nemesis',
    'crash',
  );
  assert.equal(code, 0);
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const [i, r] of lines.entries()) {
    assert.equal(r.system, 'kv-single');
    assert.equal(r.seed, 1 + i);
    assert.equal(r.nodes, 3);
    assert.equal(r.nemesis, 'crash');
    assert.equal(r.ops.ok + r.ops.fail + r.ops.unknown, 200);
    for (const k of ['sent', 'delivered', 'dropped']) assert.equal(typeof r.messages[k], 'number');
    assert.ok(r.latency.p50 > 0 && r.latency.p99 >= r.latency.p50);
    assert.ok(r.virtualMs > 0 && r.wallMs > 0);
    assert.match(r.traceDigest, /^[0-9a-f]{16}$/);
    assert.equal(r.verdict, 'valid');
  }
});

test('sim counts duplicated copies, so delivered > sent adds up', async () => {
  const { code, out } = await cli('sim', 'kv-single', '--ops', '300', '--nemesis', 'duplicate');
  assert.equal(code, 0);
  const m =
    /msgs sent=(\d+) duplicated=(\d+) delivered=(\d+) dropped=(\d+)( in-flight=\d+)? {2}/.exec(out);
  assert.ok(m, out);
  const [sent, duplicated, delivered, dropped] = m.slice(1, 5).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  assert.ok(duplicated > 0 && delivered > sent, out);
  const inFlight = m[5] === undefined ? 0 : Number(m[5].split('=')[1]);
  assert.equal(sent + duplicated, delivered + dropped + inFlight);
});

test('the same seed through the CLI gives the same digest', async () => {
  const a = JSON.parse((await cli('sim', 'kv-async', '--seed', '7', '--ops', '150', '--json')).out);
  const b = JSON.parse((await cli('sim', 'kv-async', '--seed', '7', '--ops', '150', '--json')).out);
  assert.equal(a.traceDigest, b.traceDigest);
});

test('echo has no model: its verdict is unchecked', async () => {
  const { code, out } = await cli('sim', 'echo', '--ops', '50', '--json');
  assert.equal(code, 0);
  assert.equal(JSON.parse(out).verdict, 'unchecked');
});

test('--trace and --history write JSON lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-'));
  const trace = join(dir, 't.jsonl');
  const history = join(dir, 'h.jsonl');
  const { code } = await cli(
    'sim',
    'kv-single',
    '--ops',
    '50',
    '--trace',
    trace,
    '--history',
    history,
  );
  assert.equal(code, 0);
  const ops = readFileSync(history, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(ops.length, 50);
  assert.ok(
    ops.every((o) => typeof o.invoke === 'number' && ['ok', 'fail', 'unknown'].includes(o.outcome)),
  );
  const events = readFileSync(trace, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.e === 'send') && events.some((e) => e.e === 'invoke'));
});

const usageErrors: [string, string[], RegExp][] = [
  ['unknown system', ['sim', 'paxos-x'], /unknown system 'paxos-x'/],
  [
    'unknown nemesis',
    ['sim', 'kv-single', '--nemesis', 'crash,meteor'],
    /unknown nemesis 'meteor'/,
  ],
  ['unknown flag', ['sim', 'kv-single', '--colour'], /unknown option '--colour'/],
  ['bad number', ['sim', 'kv-single', '--nodes', 'three'], /--nodes.*whole number/],
  ['bad latency', ['sim', 'kv-single', '--latency', 'gauss:3'], /bad latency/],
  ['unknown mutant', ['sim', 'kv-single', '--mutant', 'nope'], /no mutant 'nope'/],
  ['too few nodes', ['sim', 'kv-single', '--nodes', '0'], /--nodes/],
  ['trace with many seeds', ['sim', 'echo', '--seeds', '3', '--trace', 'x'], /one run/],
  ['unknown command', ['simulate'], /unknown command/],
];

for (const [what, argv, message] of usageErrors) {
  test(`usage error (${what}): one line on stderr, exit 2`, async () => {
    const { code, out, err } = await cli(...argv);
    assert.equal(code, 2);
    assert.equal(out, '');
    assert.match(err, message);
    assert.equal(err.trim().split('\n').length, 1, err);
    assert.doesNotMatch(err, /\n\s+at /);
  });
}

test('the installed bin runs and reports errors as one line', () => {
  const ok = spawnSync(process.execPath, ['bin/truthkit.js', 'list', '--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(JSON.parse(ok.stdout).systems.length >= 3);
  const bad = spawnSync(process.execPath, ['bin/truthkit.js', 'sim', 'nope'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('an invalid seed exits 1 and prints the command that replays it, evidence included', async () => {
  const { code, out } = await cli(
    'sim',
    'kv-async',
    '--nemesis',
    'partition-halves',
    '--seeds',
    '3',
    '--ops',
    '300',
    '--keys',
    '2',
  );
  assert.equal(code, 1);
  const replay = /replay: truthkit sim (.+)$/m.exec(out);
  assert.ok(replay, out);
  const again = await cli('sim', ...replay[1]!.split(' '));
  assert.equal(again.code, 1);
  assert.match(again.out, /INVALID/);
  assert.match(again.out, /none of these can come next/);
});

test('sim --json reports the consensus figures for kv-raft', async () => {
  const { code, out } = await cli(
    'sim',
    'kv-raft',
    '--ops',
    '200',
    '--json',
    '--nemesis',
    'partition-one',
  );
  assert.equal(code, 0);
  const r = JSON.parse(out);
  assert.equal(r.verdict, 'valid');
  assert.ok(r.elections >= 1 && r.leaderChanges >= 1);
  assert.ok(r.commitLatency.p50 > 0 && r.commitLatency.p99 >= r.commitLatency.p50);
  assert.ok(r.msgsPerOp > 0 && r.unavailableMs > 0);
  const list = JSON.parse((await cli('list', '--json')).out);
  assert.deepEqual(
    list.mutants['kv-raft'],
    kvRaftSystem.mutants.map((m) => m.name),
  );
});

test('--byzantine and --strategy are the pbft params, and an invalid seed replays with them', async () => {
  const flags = ['--byzantine', '2', '--strategy', 'collude'];
  const params = ['--param', 'byzantine=2', '--param', 'strategy=collude'];
  const viaFlags = await cli('sim', 'pbft', ...flags, '--ops', '40', '--json');
  const viaParams = await cli('sim', 'pbft', ...params, '--ops', '40', '--json');
  // f + 1 = 2 colluders out of 4 break agreement: the same run either way.
  assert.equal(viaFlags.code, 1);
  const digest = (out: string): string => {
    const d: unknown = JSON.parse(out).traceDigest;
    assert.ok(typeof d === 'string' && d.length > 0, `a traceDigest in ${out}`);
    return d;
  };
  assert.equal(digest(viaFlags.out), digest(viaParams.out));
  // The digest tells runs apart: another seed under the same params is another run.
  const otherSeed = await cli('sim', 'pbft', ...params, '--ops', '40', '--seed', '2', '--json');
  assert.notEqual(digest(otherSeed.out), digest(viaFlags.out));
  const plain = await cli('sim', 'pbft', ...flags, '--ops', '40');
  assert.match(plain.out, /replay: truthkit sim pbft .*--byzantine 2 --strategy collude/);
  const bad = await cli('sim', 'kv-raft', '--byzantine', '1');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /kv-raft has no param 'byzantine'/);
});

test('usage errors found before a run: params that do not fit the cluster, a missing folder, a zero timeout', async () => {
  const cases: [string[], RegExp][] = [
    [['sim', 'pbft', '--byzantine', '5'], /pbft: byzantine must be an integer in \[0, 4\], not 5/],
    [
      ['sim', 'kv-raft', '--nodes', '3', '--param', 'voters=n9'],
      /--param voters: n9 is not in the cluster \(n1, n2, n3\)/,
    ],
    [['sim', 'kv-raft', '--param', 'voters=n1,,n2'], /--param voters=n1,,n2: node ids/],
    [['sim', 'paxos-commit', '--param', 'F=2'], /F=2 needs 2F \+ 1 = 5 acceptors/],
    [
      ['sim', 'kv-raft', '--trace', '/no/such/folder/t.jsonl'],
      /--trace .*: the folder \/no\/such\/folder does not exist/,
    ],
    [
      ['sim', 'kv-raft', '--history', '/no/such/folder/h.jsonl'],
      /--history .*: the folder \/no\/such\/folder does not exist/,
    ],
    [['sim', 'kv-raft', '--timeout', '0'], /expected a duration above zero/],
    [
      [
        'cluster',
        'up',
        '--system',
        'kv-raft',
        '--nodes',
        '3',
        '--param',
        'voters=n4',
        '--dir',
        '/tmp/unused',
      ],
      /voters: n4 is not in the cluster/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, message, argv.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  }
  // What fits is still accepted.
  const ok = await cli('sim', 'kv-raft', '--nodes', '3', '--param', 'voters=n1,n2', '--ops', '20');
  assert.equal(ok.code, 0, ok.err);
});
