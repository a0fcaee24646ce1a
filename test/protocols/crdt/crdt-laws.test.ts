import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { Sfc32, type Random } from '../../../src/core/random.js';
import { CRDT_NAMES, crdtFor, type Crdt, type CrdtOp } from '../../../src/protocols/crdt/crdt.js';
import { contextJoin, contextOf, covers } from '../../../src/protocols/crdt/causal-context.js';
import { orsetAdd, orsetRemove, orsetValue, orsetJoin } from '../../../src/protocols/crdt/sets.js';
import { DOT_STORE_EMPTY } from '../../../src/protocols/crdt/dot-store.js';
import { CrdtStateError } from '../../../src/protocols/crdt/states.js';

const ACTORS = ['a', 'b', 'c'];
const canon = (s: Json): string => JSON.stringify(s);

function randomOp(crdt: Crdt, r: Random): CrdtOp {
  const f = r.pick(crdt.ops);
  if (crdt.name === 'gcounter' || crdt.name === 'pncounter') return { f, value: 1 + r.int(3) };
  if (f === 'write') return { f, value: `v${r.int(50)}` };
  return { f, value: `e${r.int(4)}` };
}

/**
 * Three replicas take random updates and now and then join a delta or a whole state from
 * another, in a random order (deltas may arrive late, twice, or out of order).
 */
function replicas(crdt: Crdt, seed: number): { states: Json[]; deltas: Json[] } {
  const r = new Sfc32(seed, `crdt:${crdt.name}`);
  const states: Json[] = ACTORS.map(() => crdt.empty);
  const deltas: Json[] = [];
  for (let step = 0; step < 30; step++) {
    const i = r.int(ACTORS.length);
    if (r.chance(0.6)) {
      const d = crdt.mutate(states[i]!, randomOp(crdt, r), ACTORS[i]!, step * 10);
      deltas.push(d);
      states[i] = crdt.join(states[i]!, d);
    } else if (deltas.length > 0 && r.chance(0.5)) {
      states[i] = crdt.join(states[i]!, r.pick(deltas));
    } else {
      states[i] = crdt.join(states[i]!, states[r.int(ACTORS.length)]!);
    }
  }
  return { states, deltas };
}

for (const name of CRDT_NAMES) {
  test(`${name}: join is commutative, associative and idempotent`, () => {
    const crdt = crdtFor(name);
    for (let seed = 1; seed <= 40; seed++) {
      const [a, b, c] = replicas(crdt, seed).states as [Json, Json, Json];
      assert.equal(canon(crdt.join(a, b)), canon(crdt.join(b, a)), `seed ${seed}`);
      assert.equal(
        canon(crdt.join(crdt.join(a, b), c)),
        canon(crdt.join(a, crdt.join(b, c))),
        `seed ${seed}`,
      );
      assert.equal(canon(crdt.join(a, a)), canon(a), `seed ${seed}`);
      assert.equal(canon(crdt.join(a, crdt.empty)), canon(a), `seed ${seed}`);
    }
  });

  test(`${name}: replicas that receive every delta, in any order, converge`, () => {
    const crdt = crdtFor(name);
    for (let seed = 1; seed <= 20; seed++) {
      const { states, deltas } = replicas(crdt, seed);
      const r = new Sfc32(seed, 'delivery');
      const final = states.map((s) => r.shuffle([...deltas]).reduce((x, d) => crdt.join(x, d), s));
      for (const s of final) assert.equal(canon(crdt.value(s)), canon(crdt.value(final[0]!)));
      const whole = deltas.reduce((x, d) => crdt.join(x, d), crdt.empty);
      assert.equal(canon(final[0]!), canon(whole), `seed ${seed}: state is the join of all deltas`);
    }
  });
}

test('orset: an add concurrent with a remove of the same element wins', () => {
  const base = orsetAdd(DOT_STORE_EMPTY, 'a', 'book');
  const removed = orsetJoin(base, orsetRemove(base, 'book'));
  const readded = orsetJoin(base, orsetAdd(base, 'b', 'book'));
  assert.deepEqual(orsetValue(removed), []);
  assert.deepEqual(orsetValue(orsetJoin(removed, readded)), ['book']);
});

test('causal context: a delta that leaves a gap does not claim the gap as seen', () => {
  const ctx = contextJoin(contextOf([['a', 1]]), contextOf([['a', 3]]));
  assert.deepEqual(ctx, { vv: { a: 1 }, cloud: [['a', 3]] });
  assert.equal(covers(ctx, ['a', 2]), false);
  assert.equal(covers(ctx, ['a', 3]), true);
  assert.deepEqual(contextJoin(ctx, contextOf([['a', 2]])), { vv: { a: 3 }, cloud: [] });
});

test('gcounter and pncounter count what was added; lww keeps one of concurrent writes', () => {
  const g = crdtFor('gcounter');
  const x = g.mutate(g.empty, { f: 'inc', value: 2 }, 'a', 0);
  const y = g.mutate(g.empty, { f: 'inc', value: 3 }, 'b', 0);
  assert.equal(g.value(g.join(x, y)), 5);
  const pn = crdtFor('pncounter');
  const p = pn.mutate(pn.empty, { f: 'inc', value: 4 }, 'a', 0);
  const n = pn.mutate(p, { f: 'dec', value: 1 }, 'b', 0);
  assert.equal(pn.value(pn.join(p, n)), 3);
  const lww = crdtFor('lww');
  const w1 = lww.mutate(lww.empty, { f: 'write', value: 'x' }, 'a', 5);
  const w2 = lww.mutate(lww.empty, { f: 'write', value: 'y' }, 'b', 5);
  assert.equal(lww.value(lww.join(w1, w2)), 'y');
  assert.throws(
    () => g.mutate(g.empty, { f: 'dec', value: 1 }, 'a', 0),
    (e: unknown) => e instanceof CrdtStateError && e.code === 'bad-crdt-state',
  );
});
