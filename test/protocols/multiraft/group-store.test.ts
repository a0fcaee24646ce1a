import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { Sfc32 } from '../../../src/core/random.js';
import { StoreState, type StoreOp } from '../../../src/core/storage.js';
import { GroupStore, GroupStoreError } from '../../../src/protocols/multiraft/group-store.js';
import { ManualStore } from '../../support/manual-store.js';

function logOf(s: {
  firstIndex(): number;
  lastIndex(): number;
  entry(i: number): Json | undefined;
}): Json[] {
  const out: Json[] = [];
  for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.entry(i) ?? '<missing>');
  return out;
}

test('group store: two groups share one node store and keep their records and logs apart', () => {
  const base = new ManualStore();
  const a = new GroupStore(base, 'r1');
  const b = new GroupStore(base, 'r2');
  a.put('term', 3);
  b.put('term', 5);
  a.append('a1', 'a2');
  b.append('b1');
  assert.deepEqual([a.get('term'), b.get('term')], [3, 5]);
  assert.deepEqual([logOf(a), logOf(b)], [['a1', 'a2'], ['b1']]);
  assert.deepEqual(a.keys(), ['term']);
  assert.deepEqual(GroupStore.groupsIn(base), ['r1', 'r2']);
  b.destroy();
  assert.deepEqual(GroupStore.groupsIn(base), ['r1']);
  assert.throws(() => new GroupStore(base, 'a/b'), GroupStoreError);
});

/**
 * The group's log behaves as the node's own log would (StoreState is the reference: it is what
 * every DurableStore replays), across random appends, truncations and compactions, and after a
 * crash that keeps any prefix of the unsynced writes it equals the reference at some op boundary
 * between the last sync and the crash — never a log with a hole or a stale entry.
 */
test('group store log: equals the reference log, and a crash at any point leaves a log some prefix of the ops made', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = new Sfc32(seed, 'group-store');
    let base = new ManualStore();
    let g = new GroupStore(base, 'g');
    let synced = new StoreState();
    let reference = new StoreState();
    let sinceSync: StoreOp[] = [];
    let n = 0;
    for (let step = 0; step < 300; step++) {
      const roll = rnd.next();
      let op: StoreOp;
      if (roll < 0.6) op = { kind: 'append', entries: [`e${seed}-${n++}`] };
      else if (roll < 0.75)
        op = {
          kind: 'truncate-after',
          index: Math.max(reference.first - 1, reference.last - rnd.int(4)),
        };
      else if (roll < 0.85) op = { kind: 'compact-to', index: reference.first - 1 + rnd.int(3) };
      else op = { kind: 'put', key: 'sync', value: step };
      if (op.kind === 'append') g.append(...op.entries);
      else if (op.kind === 'truncate-after') g.truncateAfter(op.index);
      else if (op.kind === 'compact-to') g.compactTo(op.index);
      reference.apply(op);
      sinceSync.push(op);
      assert.deepEqual(logOf(g), reference.log, `seed ${seed} step ${step}`);
      assert.equal(g.firstIndex(), reference.first, `seed ${seed} step ${step}: first`);
      if (op.kind === 'put') {
        g.sync(() => {});
        base.flush();
        synced = reference.clone();
        sinceSync = [];
      }
      if (rnd.chance(0.05)) {
        base = base.afterCrash(rnd.int(base.unsyncedWrites + 1));
        g = new GroupStore(base, 'g');
        // Some prefix of the ops since the last sync took effect, as if the crash came then.
        const candidates: StoreState[] = [synced.clone()];
        for (const o of sinceSync) {
          const next = candidates[candidates.length - 1]!.clone();
          next.apply(o);
          candidates.push(next);
        }
        const got = logOf(g);
        const match = candidates.findIndex(
          (c) => c.first === g.firstIndex() && JSON.stringify(c.log) === JSON.stringify(got),
        );
        assert.ok(
          match >= 0,
          `seed ${seed} step ${step}: after the crash the log ${JSON.stringify(got)} from ${g.firstIndex()} is no prefix's`,
        );
        reference = candidates[match]!;
        g.sync(() => {});
        base.flush();
        synced = reference.clone();
        sinceSync = [];
      }
    }
  }
});

test('group store: a corrupt first-index record is refused with a typed error', () => {
  const base = new ManualStore();
  base.put('m/g/first', 'x');
  assert.throws(
    () => new GroupStore(base, 'g'),
    (e: unknown) => e instanceof GroupStoreError && e.code === 'group-store',
  );
});
