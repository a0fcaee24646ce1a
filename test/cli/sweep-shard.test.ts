import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './run-cli.js';
import { parseShardFile, type SeedRecord } from '../../src/cli/sweep/record.js';
import { mergeShards } from '../../src/cli/sweep/merge.js';
import { shardSeeds } from '../../src/cli/sweep/shard.js';

const dir = mkdtempSync(join(tmpdir(), 'truthkit-sweep-shard-'));
// A mutant found on some seeds but not all: the sweep has both verdicts to keep apart.
const SWEEP = [
  'sim',
  'kv-single',
  '--mutant',
  'ack-before-sync',
  '--nemesis',
  'crash',
  '--ops',
  '200',
  '--seed',
  '3',
  '--seeds',
  '11',
];
const N = 3;

const key = (r: SeedRecord) => `${r.seed} ${r.verdict} ${r.digest} ${r.problem}`;
const read = (file: string) => parseShardFile(file, readFileSync(file, 'utf8'));

test('shards are strided, disjoint, and together the whole range', () => {
  const all = [0, 1, 2, 3].flatMap((i) => shardSeeds(10, 13, { index: i, count: 4 }));
  assert.deepEqual(
    all.sort((a, b) => a - b),
    Array.from({ length: 13 }, (_, k) => 10 + k),
  );
  assert.deepEqual(shardSeeds(10, 13, { index: 1, count: 4 }), [11, 15, 19]);
  assert.deepEqual(shardSeeds(1, 2, { index: 2, count: 3 }), []);
});

test('the union of the shards is the unsharded sweep: same seeds, verdicts, digests, summary', async () => {
  const whole = join(dir, 'whole.jsonl');
  const w = await cli(...SWEEP, '--jsonl', whole);
  assert.equal(w.code, 1, w.err);
  const files: string[] = [];
  let shardExit = 0;
  for (let i = 0; i < N; i++) {
    const file = join(dir, `shard-${i}.jsonl`);
    const r = await cli(...SWEEP, '--shard', `${i}/${N}`, '--jsonl', file);
    assert.equal(r.err, '');
    assert.match(r.out, new RegExp(`seed\\(s\\) \\(shard ${i}/${N}\\)`));
    shardExit = Math.max(shardExit, r.code);
    files.push(file);
  }
  assert.equal(shardExit, 1);
  const wholeFile = read(whole);
  const shards = files.map(read);
  const union = shards.flatMap((s) => s.seeds.map(key)).sort();
  assert.deepEqual(union, wholeFile.seeds.map(key).sort());
  assert.equal(new Set(union).size, 11);
  // The sweep found the mutant on some seeds and not on others.
  const verdicts = new Set(wholeFile.seeds.map((r) => r.verdict));
  assert.ok(verdicts.has('valid') && verdicts.has('invalid'), [...verdicts].join());

  const merged = mergeShards(shards);
  const alone = mergeShards([wholeFile]);
  assert.equal(merged.complete, true);
  assert.deepEqual(merged.counts, alone.counts);
  assert.deepEqual(merged.invalid, alone.invalid);
  assert.deepEqual(merged.coverage, alone.coverage);
  assert.equal(merged.seeds, 11);
  for (const o of merged.invalid) {
    assert.match(
      o.replay,
      new RegExp(`^truthkit sim kv-single --seed ${o.seed} .*--mutant ack-before-sync`),
    );
    assert.ok(o.problem !== null && o.problem.length > 0);
  }

  const m = await cli('sweep', 'merge', ...files);
  assert.equal(m.code, 1, 'a failing seed makes merge exit 1, as sim does');
  assert.match(m.out, /11 seed\(s\): \d+ valid, [1-9]\d* invalid/);
  assert.match(m.out, /complete: every seed of the sweep once/);
  assert.match(m.out, /replay: truthkit sim kv-single --seed \d+/);
  assert.match(m.out, /coverage: [1-9]\d* \(role, message\) pairs/);
  const j = await cli('sweep', 'merge', '--json', ...files);
  assert.deepEqual(JSON.parse(j.out).counts, alone.counts);
});

test('a replayed seed from the merge gives the digest its shard recorded', async () => {
  const merged = mergeShards([0, 1, 2].map((i) => read(join(dir, `shard-${i}.jsonl`))));
  const first = merged.invalid[0];
  assert.ok(first !== undefined);
  const args = first.replay.split(' ').slice(1);
  const r = await cli(...args, '--json');
  const line = JSON.parse(r.out.trim().split('\n')[0] as string);
  const recorded = read(join(dir, `shard-${(first.seed - 3) % N}.jsonl`)).seeds.find(
    (s) => s.seed === first.seed,
  );
  assert.equal(line.traceDigest, recorded?.digest);
  assert.equal(line.verdict, 'invalid');
});

test('bad shard specs are one-line usage errors', async () => {
  for (const spec of ['0/0', '3/2', '2/2', 'a/b', '-1/2', '1', '1/2/3', '']) {
    const r = await cli('sim', 'kv-single', '--seeds', '4', `--shard=${spec}`);
    assert.equal(r.code, 2, spec);
    assert.equal(r.out, '');
    assert.match(r.err, /^truthkit: --shard .*expected i\/n/, spec);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
