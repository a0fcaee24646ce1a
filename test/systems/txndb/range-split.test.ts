/**
 * A range split as its replicas apply it (range-machine.ts): the keys above the cut leave with
 * everything that decides them — versions, intents, the records anchored there, the sessions
 * that deduplicate retries, and the timestamp cache's marks — and the left answers
 * range-key-mismatch for them from then on. Mutant `split-without-reads` (the right-hand range
 * starts with no read marks) lets a write land below a read that was already answered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { Timestamp, TxnMeta } from '../../../src/protocols/mvcc/mvcc-types.js';
import { compareHlc } from '../../../src/protocols/clocks/hybrid-logical-clock.js';
import { initialDescriptors } from '../../../src/systems/txndb/range-directory.js';
import {
  emptyRangeState,
  RangeMachine,
  type RangeMachineOptions,
  type RangeState,
} from '../../../src/systems/txndb/range-machine.js';
import type { RangeOp } from '../../../src/systems/txndb/range-ops.js';

const ts = (wall: number): Timestamp => ({ wall, logical: 0 });
const meta = (id: string, anchor: string, wall: number): TxnMeta => ({
  id,
  anchor,
  epoch: 0,
  writeTs: ts(wall),
  priority: 1,
});

function machine(
  spawned: RangeState[],
  splitMutant: RangeMachineOptions['splitMutant'] = null,
  state?: RangeState,
): RangeMachine {
  const d = initialDescriptors(['k04'], ['n1', 'n2', 'n3'])[0]!;
  return new RangeMachine(
    {
      txnExpiryMs: 1_000,
      self: 'n1',
      leaseOffsetMs: 10,
      leaseNotBefore: Number.NEGATIVE_INFINITY,
      splitMutant,
      hooks: { spawned: (s) => spawned.push(s) },
    },
    state ?? emptyRangeState(d),
  );
}

let seq = 0;
function apply(m: RangeMachine, op: RangeOp | Json, client = 'c'): Record<string, Json> {
  return m.apply({ client, seq: ++seq, op: op as Json }) as Record<string, Json>;
}

/** Builds a range [``, k04) holding k01 (committed), k03 (committed, and read at 50) and an intent on k02. */
function loaded(splitMutant: RangeMachineOptions['splitMutant'] = null) {
  const spawned: RangeState[] = [];
  const m = machine(spawned, splitMutant);
  for (const [key, id, wall] of [
    ['k01', 't1', 10],
    ['k03', 't3', 10],
  ] as const) {
    apply(m, { k: 'begin', at: key, id, priority: 1, now: 0 });
    apply(m, { k: 'put', at: key, key, value: id, txn: meta(id, key, wall) });
    apply(m, { k: 'commit', at: key, id, commitTs: ts(wall) });
    apply(m, { k: 'resolve', at: key, key, id, commitTs: ts(wall) });
  }
  apply(m, { k: 'begin', at: 'k02', id: 't2', priority: 1, now: 0 });
  apply(m, { k: 'put', at: 'k02', key: 'k02', value: 'x', txn: meta('t2', 'k02', 20) });
  const read = apply(m, { k: 'get', at: 'k03', key: 'k03', ts: ts(50), limit: null, txn: null });
  assert.equal(read.value, 't3');
  return { m, spawned };
}

test('split: the keys above the cut move with their versions, intents, records and sessions; the left refuses them after', () => {
  const { m, spawned } = loaded();
  const lastBeforeSplit = seq;
  assert.equal(m.size, 3);
  const split = apply(m, { k: 'split', key: 'k02', gen: 1, right: 'r1.2' }, 'admin');
  assert.equal(split.ok, true);
  assert.equal(spawned.length, 1);
  const rightState = spawned[0]!;
  assert.deepEqual(
    [rightState.desc.start, rightState.desc.end, rightState.desc.generation],
    ['k02', 'k04', 2],
  );
  assert.deepEqual([m.descriptor.start, m.descriptor.end, m.descriptor.generation], ['', 'k02', 2]);
  const right = machine([], null, rightState);
  assert.equal(m.size, 1);
  assert.equal(right.size, 2);
  assert.equal(right.store.intentOf('k02')?.txn.id, 't2');
  assert.equal(right.record('t2')?.status, 'pending');
  assert.equal(right.record('t3')?.status, 'committed');
  assert.equal(m.record('t1')?.status, 'committed');
  assert.equal(m.record('t2'), undefined);
  // The left answers a key it gave away with both descriptors, on every replica alike.
  const mis = apply(m, { k: 'get', at: 'k03', key: 'k03', ts: ts(60), limit: null, txn: null });
  assert.equal(mis.kind, 'range-key-mismatch');
  assert.deepEqual(
    (mis.descs as { id: string }[]).map((d) => d.id),
    ['r1', 'r1.2'],
  );
  // The same split again (a replay, or a second proposal) is refused by generation.
  assert.equal(apply(m, { k: 'split', key: 'k01', gen: 1, right: 'r1.2' }, 'admin').ok, false);
  // A retried command the left applied before the split is answered by the right from the
  // session it carried.
  assert.deepEqual(right.recall('c', lastBeforeSplit)?.result, {
    kind: 'value',
    value: 't3',
    ts: ts(10),
  });
  // A replica that missed the split and installs the left's snapshot opens the right from it.
  const late: RangeState[] = [];
  const lagging = machine(late);
  assert.equal(lagging.snapshotProblem(m.snapshot()), undefined);
  lagging.restore(m.snapshot());
  assert.deepEqual(
    late.map((s) => s.desc.id),
    ['r1.2'],
  );
  assert.deepEqual(late[0]!.mvcc, rightState.mvcc);
});

for (const mutant of [null, 'split-without-reads'] as const) {
  test(`split${mutant === null ? '' : ` (mutant ${mutant})`}: a write on the right-hand side ${mutant === null ? 'goes above' : 'may go below'} a read answered before the split`, () => {
    const { m, spawned } = loaded(mutant);
    apply(m, { k: 'split', key: 'k02', gen: 1, right: 'r1.2' }, 'admin');
    const right = machine([], null, spawned[0]!);
    apply(right, { k: 'begin', at: 'k03', id: 't9', priority: 1, now: 0 });
    const w = apply(right, {
      k: 'put',
      at: 'k03',
      key: 'k03',
      value: 'late',
      txn: meta('t9', 'k03', 30),
    });
    assert.equal(w.kind, 'written');
    const above = compareHlc(w.writeTs as unknown as Timestamp, ts(50)) > 0;
    assert.equal(above, mutant === null, `written at ${JSON.stringify(w.writeTs)}`);
  });
}
