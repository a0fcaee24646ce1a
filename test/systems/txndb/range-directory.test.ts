/**
 * The range directory: a node's cache of descriptors and the meta range that holds them. A
 * split's two halves replace the whole they came from; older news never undoes newer; an update
 * that would leave a key unroutable is not taken; the meta range applies a split's update once,
 * however often it is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import {
  coverProblem,
  initialDescriptors,
  RangeCache,
  type RangeDescriptor,
} from '../../../src/systems/txndb/range-directory.js';
import { MetaMachine } from '../../../src/systems/txndb/meta-machine.js';

const CLUSTER = ['n1', 'n2', 'n3', 'n4'];

function splitOf(d: RangeDescriptor, at: string): [RangeDescriptor, RangeDescriptor] {
  const gen = d.generation + 1;
  return [
    { ...d, end: at, generation: gen },
    { ...d, id: `${d.id}.${gen}`, start: at, generation: gen },
  ];
}

test('initial directory: the static splits, generation 1, replicas spread round the cluster', () => {
  const ds = initialDescriptors(['k08', 'k04'], CLUSTER);
  assert.deepEqual(
    ds.map((d) => [d.id, d.start, d.end, d.generation, d.replicas.join()]),
    [
      ['r1', '', 'k04', 1, 'n1,n2,n3'],
      ['r2', 'k04', 'k08', 1, 'n2,n3,n4'],
      ['r3', 'k08', null, 1, 'n3,n4,n1'],
    ],
  );
  assert.equal(coverProblem(ds), undefined);
  assert.throws(() => initialDescriptors(['k04', 'k04'], CLUSTER), /distinct/);
});

test('cache: a split is learned from its two halves, re-routing the right-hand keys', () => {
  const ds = initialDescriptors(['k04', 'k08'], CLUSTER);
  const cache = new RangeCache(ds);
  assert.equal(cache.rangeOf('k02').id, 'r1');
  assert.equal(cache.rangeOf('k02').routeKey, 'k02');
  const [left, right] = splitOf(ds[0]!, 'k02');
  // The left half alone would leave [k02, k04) to nobody: not taken.
  assert.equal(cache.update([left]), false);
  assert.equal(cache.rangeOf('k03').id, 'r1');
  assert.equal(cache.update([left, right]), true);
  assert.equal(cache.rangeOf('k01').id, 'r1');
  assert.equal(cache.rangeOf('k03').id, 'r1.2');
  assert.equal(cache.rangeOf('k03').generation, 2);
  // Old news (the whole at generation 1) changes nothing.
  assert.equal(cache.update([ds[0]!]), false);
  assert.equal(cache.rangeOf('k03').id, 'r1.2');
  assert.equal(coverProblem(cache.all()), undefined);
});

test('meta range: a split written twice (every replica sends it, and again after a crash) applies once', () => {
  const ds = initialDescriptors(['k04', 'k08'], CLUSTER);
  const meta = new MetaMachine(ds);
  const [left, right] = splitOf(ds[1]!, 'k06');
  const put = { k: 'meta-put', descs: [left, right] } as unknown as Json;
  assert.equal(meta.valid(put), true);
  assert.deepEqual(meta.apply({ client: 'n2/meta', seq: 1, op: put }), {
    kind: 'meta-put',
    changed: true,
  });
  assert.deepEqual(meta.apply({ client: 'n3/meta', seq: 1, op: put }), {
    kind: 'meta-put',
    changed: false,
  });
  const scan = meta.apply({ client: 'n1/meta', seq: 1, op: { k: 'meta-scan' } }) as unknown as {
    descs: RangeDescriptor[];
  };
  assert.deepEqual(
    scan.descs.map((d) => `${d.id}@${d.generation}`),
    ['r1@1', 'r2@2', 'r2.2@2', 'r3@1'],
  );
  // A restored replica holds the same directory.
  const again = new MetaMachine(ds);
  assert.equal(again.snapshotProblem(meta.snapshot()), undefined);
  again.restore(meta.snapshot());
  assert.deepEqual(again.descriptors(), meta.descriptors());
  assert.equal(meta.valid({ k: 'meta-put', descs: [{ id: 'bad/id' }] } as unknown as Json), false);
});
