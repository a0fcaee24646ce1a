import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffsetIndex } from '../../../src/runtime/kafka/offset-index.js';
import { tempDir } from './segment-batches.js';

test('entries are 8 bytes relative to the base; lookup is the last entry at or below', (t) => {
  const path = join(tempDir(t), '00000000000000001000.index');
  const { index, existed } = OffsetIndex.open(path, 1000, 100);
  assert.equal(existed, false);
  index.append(1009, 4100);
  index.append(1030, 8300);
  index.append(1031, 12500);
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 24);
  assert.deepEqual([bytes.readInt32BE(0), bytes.readInt32BE(4)], [9, 4100]);
  assert.equal(index.lookup(1000), 0, 'before every entry: the segment start');
  assert.equal(index.lookup(1009), 4100);
  assert.equal(index.lookup(1029), 4100);
  assert.equal(index.lookup(1030), 8300);
  assert.equal(index.lookup(99_999), 12500);
  assert.throws(() => index.append(1031, 13000), RangeError, 'offsets must rise');
  assert.throws(() => index.append(1040, 12000), RangeError, 'positions must rise');
  index.truncateToPosition(8300);
  assert.equal(statSync(path).size, 8);
  assert.equal(index.lookup(1031), 4100);
  index.close();
  const again = OffsetIndex.open(path, 1000, 100);
  assert.equal(again.index.entries, 1);
  assert.equal(again.index.check(5000), undefined);
  again.index.close();
});

test('an index read back is checked against its log', (t) => {
  const dir = tempDir(t);
  const path = join(dir, '00000000000000000000.index');
  const entries = (pairs: [number, number][]) => {
    const b = Buffer.alloc(pairs.length * 8);
    pairs.forEach(([r, p], i) => {
      b.writeInt32BE(r, i * 8);
      b.writeInt32BE(p, i * 8 + 4);
    });
    return b;
  };
  const problem = (b: Buffer, logBytes: number) => {
    writeFileSync(path, b);
    const { index, partialEntry } = OffsetIndex.open(path, 0, 100);
    const p = partialEntry ? 'partial-entry' : index.check(logBytes);
    index.close();
    return p;
  };
  assert.equal(
    problem(
      entries([
        [3, 100],
        [9, 300],
      ]),
      400,
    ),
    undefined,
  );
  assert.equal(
    problem(
      entries([
        [3, 100],
        [9, 300],
      ]),
      300,
    ),
    'out-of-bounds',
  );
  assert.equal(
    problem(
      entries([
        [3, 100],
        [3, 300],
      ]),
      400,
    ),
    'order',
  );
  assert.equal(
    problem(
      entries([
        [3, 300],
        [9, 100],
      ]),
      400,
    ),
    'order',
  );
  assert.equal(problem(entries([[-1, 100]]), 400), 'out-of-bounds');
  assert.equal(
    problem(Buffer.concat([entries([[3, 100]]), Buffer.from([1, 2, 3])]), 400),
    'partial-entry',
  );
});

test('a full index says so (the log rolls before it would overflow)', (t) => {
  const path = join(tempDir(t), '00000000000000000000.index');
  const { index } = OffsetIndex.open(path, 0, 2);
  index.append(1, 10);
  assert.equal(index.isFull(), false);
  index.append(2, 20);
  assert.equal(index.isFull(), true);
  assert.throws(() => index.append(3, 30), RangeError);
  index.close();
});
