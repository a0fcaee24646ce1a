import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './run-cli.js';
import { mergeShards, SweepMismatchError } from '../../src/cli/sweep/merge.js';
import { mergedExit } from '../../src/cli/sweep/report.js';
import { parseShardFile, SweepFileError } from '../../src/cli/sweep/record.js';
import { EXIT } from '../../src/cli/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'truthkit-sweep-merge-'));
const base = ['sim', 'kv-single', '--nemesis', 'crash', '--ops', '100', '--seeds', '6'];

async function shard(name: string, i: number, n: number, extra: string[] = []): Promise<string> {
  const file = join(dir, name);
  const r = await cli(...base, ...extra, '--shard', `${i}/${n}`, '--jsonl', file);
  assert.equal(r.code, 0, r.err);
  return file;
}

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

test('merge refuses shards of different sweeps, naming what differs', async () => {
  const a = await shard('a0.jsonl', 0, 2);
  const b = await shard('b1.jsonl', 1, 2, ['--keys', '7']);
  const r = await cli('sweep', 'merge', a, b);
  assert.equal(r.code, EXIT.usage);
  assert.equal(r.out, '');
  assert.match(r.err, /^truthkit: .*b1\.jsonl is a shard of a different sweep .*workload/);
  assert.throws(
    () => mergeShards([a, b].map((f) => parseShardFile(f, readFileSync(f, 'utf8')))),
    (e) => e instanceof SweepMismatchError && e.reason === 'different-sweep',
  );
  const c = await shard('c1of3.jsonl', 1, 3);
  const r2 = await cli('sweep', 'merge', a, c);
  assert.equal(r2.code, EXIT.usage);
  assert.match(r2.err, /cuts the sweep into 3 shards/);
});

test('missing, unfinished and duplicate shards are reported; incomplete exits 4', async () => {
  const s0 = await shard('s0.jsonl', 0, 3);
  const s1 = await shard('s1.jsonl', 1, 3);
  const s2 = await shard('s2.jsonl', 2, 3);
  const all = await cli('sweep', 'merge', s0, s1, s2);
  assert.equal(all.code, EXIT.ok, all.out + all.err);
  assert.match(all.out, /6 seed\(s\): 6 valid/);

  const missing = await cli('sweep', 'merge', s0, s2);
  assert.equal(missing.code, EXIT.incomplete);
  assert.match(
    missing.out,
    /INCOMPLETE:\n {2}missing shard\(s\): 1 of 3\n {2}2 seed\(s\) of the sweep have no result/,
  );

  // A pod killed mid-shard: no trailer, and a torn last line, which is not an error.
  const cut = join(dir, 's1-cut.jsonl');
  const kept = lines(s1).slice(0, 2);
  writeFileSync(cut, kept.join('\n') + '\n{"kind":"seed","se');
  const unfinished = await cli('sweep', 'merge', s0, cut, s2);
  assert.equal(unfinished.code, EXIT.incomplete);
  assert.match(unfinished.out, /s1-cut\.jsonl \(shard 1\) stopped after 1 of 2 seeds/);

  const twice = await cli('sweep', 'merge', s0, s1, s2, s1);
  assert.equal(
    twice.code,
    EXIT.ok,
    'the same shard twice, with equal results, still covers the sweep',
  );
  assert.match(twice.out, /note: shard 1 given twice/);
  assert.match(twice.out, /6 seed\(s\): 6 valid/);

  // A duplicate that ran differently: the sweep does not replay, which is not a complete sweep.
  const forged = join(dir, 's1-forged.jsonl');
  writeFileSync(
    forged,
    lines(s1)
      .map((l) => l.replace(/"digest":"[0-9a-f]+"/, '"digest":"0000000000000000"'))
      .join('\n') + '\n',
  );
  const conflict = await cli('sweep', 'merge', s0, s1, s2, forged);
  assert.equal(conflict.code, EXIT.incomplete);
  assert.match(conflict.out, /shard 1 given twice/);
  assert.match(conflict.out, /seed \d+ ran differently in two files: [0-9a-f]+ ≠ 0{16}/);
});

test('files that are not shard files are one-line usage errors', async () => {
  const junk = join(dir, 'junk.jsonl');
  writeFileSync(junk, '{"kind":"seed"}\n{"x":1}\n');
  const r = await cli('sweep', 'merge', junk);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.err, /^truthkit: not a sweep shard file: .*junk\.jsonl:1: /);
  const gone = await cli('sweep', 'merge', join(dir, 'nope.jsonl'));
  assert.equal(gone.code, EXIT.usage);
  assert.match(gone.err, /nope\.jsonl: cannot read it \(ENOENT\)/);
  assert.throws(
    () => parseShardFile('x', ''),
    (e) => e instanceof SweepFileError && /no sweep header/.test(e.message),
  );
});

test('exit codes: invalid beats incomplete beats unknown', () => {
  const s0 = join(dir, 's0.jsonl');
  const file = parseShardFile(s0, readFileSync(s0, 'utf8'));
  const m = mergeShards([file]);
  assert.equal(m.complete, false);
  assert.equal(mergedExit(m), EXIT.incomplete);
  assert.equal(mergedExit({ ...m, counts: { ...m.counts, invalid: 1 } }), EXIT.invalid);
  assert.equal(
    mergedExit({ ...m, complete: true, counts: { ...m.counts, unknown: 1 } }),
    EXIT.unknown,
  );
  assert.equal(mergedExit({ ...m, complete: true }), EXIT.ok);
});

test('a merge says on how many seeds coverage was counted', async () => {
  const a = await shard('cov0.jsonl', 0, 2, ['--no-coverage']);
  const b = await shard('cov1.jsonl', 1, 2);
  const m = mergeShards([a, b].map((f) => parseShardFile(f, readFileSync(f, 'utf8'))));
  assert.equal(m.coveredSeeds, 3);
  assert.ok(Object.keys(m.coverage.sends).length > 0);
  const r = await cli('sweep', 'merge', a, b);
  assert.equal(r.code, EXIT.ok);
  assert.match(
    r.out,
    /coverage counted on 3 of 6 seeds \(the rest ran --no-coverage\)\ncoverage: [1-9]/,
  );
  assert.ok(
    lines(a)
      .slice(1, -1)
      .every((l) => JSON.parse(l).coverage === null),
  );
});
