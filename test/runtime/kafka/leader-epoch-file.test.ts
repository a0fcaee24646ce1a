import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LEADER_EPOCH_FILE,
  LEADER_EPOCH_MUTANTS,
  LeaderEpochFile,
  type LeaderEpochMutant,
} from '../../../src/runtime/kafka/leader-epoch-file.js';
import { CheckpointFileError } from '../../../src/runtime/kafka/segment-checkpoint.js';
import { tempDir } from './segment-batches.js';

const code = (c: string) => (e: unknown) => e instanceof CheckpointFileError && e.code === c;

test("the file is Kafka's text format and reads back as written", (t) => {
  const path = join(tempDir(t), LEADER_EPOCH_FILE);
  const f = LeaderEpochFile.open(path);
  assert.deepEqual(f.list(), []);
  assert.equal(existsSync(path), false, 'nothing written until an epoch is assigned');
  f.assign(0, 0);
  f.assign(2, 150);
  assert.equal(f.assign(2, 170), false, 'a later start of the latest epoch changes nothing');
  assert.equal(readFileSync(path, 'latin1'), '0\n2\n0 0\n2 150\n');
  assert.deepEqual(LeaderEpochFile.open(path).list(), [
    { epoch: 0, startOffset: 0 },
    { epoch: 2, startOffset: 150 },
  ]);
});

/** Each behaviour a scenario that throws when it is wrong; the mutants must each fail one. */
const SCENARIOS = {
  assignRemovesConflicts(path: string, mutant?: LeaderEpochMutant) {
    const f = LeaderEpochFile.open(path, mutant);
    f.assign(1, 0);
    f.assign(3, 100);
    f.assign(5, 200);
    // A new leader with epoch 4 whose log diverged at 90: epochs 3 and 5 are no longer history.
    assert.equal(f.assign(4, 90), true);
    assert.deepEqual(f.list(), [
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 90 },
    ]);
    assert.deepEqual(LeaderEpochFile.open(path).list(), f.list());
  },
  endOffsets(path: string, mutant?: LeaderEpochMutant) {
    const f = LeaderEpochFile.open(path, mutant);
    f.assign(1, 0);
    f.assign(3, 100);
    f.assign(6, 250);
    assert.deepEqual(f.endOffsetFor(6, 300), { epoch: 6, endOffset: 300 }, 'latest: the log end');
    assert.deepEqual(f.endOffsetFor(3, 300), { epoch: 3, endOffset: 250 });
    assert.deepEqual(
      f.endOffsetFor(4, 300),
      { epoch: 3, endOffset: 250 },
      'unknown: the one before it',
    );
    assert.deepEqual(f.endOffsetFor(1, 300), { epoch: 1, endOffset: 100 });
    assert.deepEqual(
      f.endOffsetFor(0, 300),
      { epoch: 0, endOffset: 0 },
      'older than all: the first start',
    );
    assert.deepEqual(f.endOffsetFor(7, 300), { epoch: -1, endOffset: -1 });
    assert.deepEqual(f.endOffsetFor(-1, 300), { epoch: -1, endOffset: -1 });
  },
  truncation(path: string, mutant?: LeaderEpochMutant) {
    const f = LeaderEpochFile.open(path, mutant);
    f.assign(1, 0);
    f.assign(3, 100);
    f.assign(6, 250);
    f.truncateFromEnd(250);
    assert.deepEqual(f.list(), [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 100 },
    ]);
    f.truncateFromStart(120);
    assert.deepEqual(f.list(), [{ epoch: 3, startOffset: 120 }]);
    assert.deepEqual(f.endOffsetFor(2, 200), { epoch: 2, endOffset: 120 });
    f.truncateFromStart(50);
    assert.deepEqual(f.list(), [{ epoch: 3, startOffset: 120 }], 'nothing before 120 left to drop');
    assert.deepEqual(LeaderEpochFile.open(path).list(), f.list());
  },
};

const CATCHES: Record<LeaderEpochMutant, keyof typeof SCENARIOS> = {
  'assign-keeps-conflicts': 'assignRemovesConflicts',
  'end-offset-is-own-start': 'endOffsets',
  'start-drops-current-epoch': 'truncation',
};

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  test(`leader epochs: ${name}`, (t) => scenario(join(tempDir(t), LEADER_EPOCH_FILE)));
}

test('every leader-epoch mutant fails its scenario', (t) => {
  assert.deepEqual(Object.keys(CATCHES).sort(), [...LEADER_EPOCH_MUTANTS].sort());
  for (const mutant of LEADER_EPOCH_MUTANTS) {
    const path = join(tempDir(t), LEADER_EPOCH_FILE);
    assert.throws(() => SCENARIOS[CATCHES[mutant]](path, mutant), assert.AssertionError, mutant);
  }
});

test('the file is replaced atomically: a leftover temp file is ignored and removed', (t) => {
  const dir = tempDir(t);
  const path = join(dir, LEADER_EPOCH_FILE);
  const f = LeaderEpochFile.open(path);
  f.assign(4, 10);
  // A crash after writing the temp file, before its rename: the old file is what counts.
  writeFileSync(`${path}.tmp`, '0\n1\n9 99\n');
  assert.deepEqual(LeaderEpochFile.open(path).list(), [{ epoch: 4, startOffset: 10 }]);
  assert.equal(existsSync(`${path}.tmp`), false);
  // A crash mid-write of the temp file: a torn temp file is no reason to refuse the real one.
  writeFileSync(`${path}.tmp`, '0\n3\n4 1');
  const g = LeaderEpochFile.open(path);
  g.assign(5, 20);
  assert.equal(readFileSync(path, 'latin1'), '0\n2\n4 10\n5 20\n');
  assert.equal(existsSync(`${path}.tmp`), false);
});

test('a damaged file is a typed error, never a guess', (t) => {
  const path = join(tempDir(t), LEADER_EPOCH_FILE);
  const cases: [string, string][] = [
    ['1\n0\n', 'version'],
    ['0\n2\n1 0\n', 'count'],
    ['0\n1\n1 0\n2 5\n', 'count'],
    ['0\n1\n1 0', 'count'],
    ['0\nx\n', 'count'],
    ['0\n1\n1 zero\n', 'entry'],
    ['0\n1\n1 0 0\n', 'entry'],
    ['0\n1\n-1 0\n', 'entry'],
    ['0\n2\n3 10\n2 20\n', 'order'],
    ['0\n2\n2 30\n3 20\n', 'order'],
    ['', 'version'],
  ];
  for (const [text, c] of cases) {
    writeFileSync(path, text);
    assert.throws(() => LeaderEpochFile.open(path), code(c), JSON.stringify(text));
  }
});
