import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32, type Random } from '../../../src/core/random.js';
import { LamportClock, compareLamport } from '../../../src/protocols/clocks/lamport-clock.js';
import { VectorClock } from '../../../src/protocols/clocks/vector-clock.js';
import {
  vvCompare,
  vvDescends,
  vvMerge,
  type VersionVector,
} from '../../../src/protocols/clocks/version-vector.js';
import {
  dvvCompare,
  dvvsetJoin,
  dvvsetNew,
  dvvsetSync,
  dvvsetUpdate,
  dvvsetValues,
  DVVSET_EMPTY,
  type DvvSet,
} from '../../../src/protocols/clocks/dotted-version-vector.js';
import {
  vvObjectSync,
  vvObjectPut,
  VV_OBJECT_EMPTY,
} from '../../../src/protocols/clocks/vv-object.js';

const IDS = ['a', 'b', 'c'];

function randomVv(r: Random): VersionVector {
  const out: Record<string, number> = {};
  for (const id of IDS) if (r.chance(0.7)) out[id] = r.int(4);
  return vvMerge({}, out);
}

test('version vectors: merge is commutative, associative and idempotent, and an upper bound', () => {
  const r = new Sfc32(1, 'vv-laws');
  for (let i = 0; i < 500; i++) {
    const [a, b, c] = [randomVv(r), randomVv(r), randomVv(r)];
    assert.deepEqual(vvMerge(a, b), vvMerge(b, a));
    assert.deepEqual(vvMerge(vvMerge(a, b), c), vvMerge(a, vvMerge(b, c)));
    assert.deepEqual(vvMerge(a, a), a);
    assert.ok(vvDescends(vvMerge(a, b), a) && vvDescends(vvMerge(a, b), b));
  }
});

test('version vectors: compare is antisymmetric and equal only on equal vectors', () => {
  const r = new Sfc32(2, 'vv-compare');
  const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' };
  let concurrent = 0;
  for (let i = 0; i < 500; i++) {
    const [a, b] = [randomVv(r), randomVv(r)];
    const o = vvCompare(a, b);
    assert.equal(vvCompare(b, a), flip[o]);
    assert.equal(o === 'equal', JSON.stringify(a) === JSON.stringify(b));
    if (o === 'concurrent') concurrent++;
  }
  assert.ok(concurrent > 50, `only ${concurrent} concurrent pairs drawn`);
});

interface Event {
  readonly node: number;
  readonly vc: VersionVector;
  readonly lamport: number;
  /** Events this one directly follows: the node's previous event and, for a receive, the send. */
  readonly after: readonly number[];
}

/** A random message-passing run: local events, sends, and receives of earlier sends. */
function execution(seed: number): Event[] {
  const r = new Sfc32(seed, 'execution');
  const vcs = IDS.map((id) => new VectorClock(id));
  const lcs = IDS.map((id) => new LamportClock(id));
  const last: (number | undefined)[] = IDS.map(() => undefined);
  const inFlight: { to: number; event: number }[] = [];
  const events: Event[] = [];
  for (let i = 0; i < 40; i++) {
    const node = r.int(IDS.length);
    const prev = last[node];
    const receivable = inFlight.filter((m) => m.to === node);
    const after = prev === undefined ? [] : [prev];
    let vc: VersionVector;
    let lamport: number;
    if (receivable.length > 0 && r.chance(0.5)) {
      const m = r.pick(receivable);
      inFlight.splice(inFlight.indexOf(m), 1);
      const sent = events[m.event] as Event;
      vc = vcs[node]!.observe(sent.vc);
      lamport = lcs[node]!.observe(sent.lamport).time;
      after.push(m.event);
    } else {
      vc = vcs[node]!.tick();
      lamport = lcs[node]!.tick().time;
      if (r.chance(0.5)) inFlight.push({ to: r.int(IDS.length), event: events.length });
    }
    last[node] = events.length;
    events.push({ node, vc, lamport, after });
  }
  return events;
}

function happenedBefore(events: readonly Event[]): boolean[][] {
  const hb = events.map(() => events.map(() => false));
  events.forEach((e, j) => {
    for (const i of e.after) {
      hb[i]![j] = true;
      for (let k = 0; k < events.length; k++) if (hb[k]![i]) hb[k]![j] = true;
    }
  });
  return hb;
}

test('vector clocks: a → b exactly when VC(a) < VC(b); Lamport clocks only one way', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const events = execution(seed);
    const hb = happenedBefore(events);
    for (let i = 0; i < events.length; i++) {
      for (let j = 0; j < events.length; j++) {
        if (i === j) continue;
        const [a, b] = [events[i]!, events[j]!];
        assert.equal(vvCompare(a.vc, b.vc) === 'before', hb[i]![j], `seed ${seed}: ${i} → ${j}`);
        if (hb[i]![j]) {
          const order = compareLamport(
            { time: a.lamport, node: IDS[a.node]! },
            { time: b.lamport, node: IDS[b.node]! },
          );
          assert.ok(order < 0, `seed ${seed}: Lamport order of ${i} → ${j}`);
        }
      }
    }
  }
});

test('dotted version vectors: compare orders versions by their dots and contexts', () => {
  const v1 = { dot: ['a', 1] as const, vv: {} };
  const v2 = { dot: ['a', 2] as const, vv: { a: 1 } };
  const w = { dot: ['b', 1] as const, vv: {} };
  // Written by the same server over the same (empty) context: concurrent, though a plain
  // vector bumped at the server would call them ordered ({a:1} < {a:2}).
  const v2blind = { dot: ['a', 2] as const, vv: {} };
  assert.equal(dvvCompare(v1, v2), 'before');
  assert.equal(dvvCompare(v2, v1), 'after');
  assert.equal(dvvCompare(v1, w), 'concurrent');
  assert.equal(dvvCompare(v1, v2blind), 'concurrent');
  assert.equal(vvCompare({ a: 1 }, { a: 2 }), 'before');
  assert.equal(dvvCompare(v2, v2), 'equal');
});

function randomSet(r: Random): DvvSet {
  let s: DvvSet = DVVSET_EMPTY;
  for (let i = r.int(5); i > 0; i--) {
    const ctx = r.chance(0.5) ? dvvsetJoin(s) : {};
    s = dvvsetUpdate(dvvsetNew(ctx, `v${r.int(1000)}`), s, r.pick(IDS));
  }
  return s;
}

test('DVVSet: sync is commutative, associative and idempotent', () => {
  const r = new Sfc32(3, 'dvvset-laws');
  const canon = (s: DvvSet): string => JSON.stringify({ ...s, anonymous: [...s.anonymous].sort() });
  for (let i = 0; i < 300; i++) {
    // Replicas of one key diverge from a common past, each server making only its own dots,
    // over contexts it read (all of its copy, or nothing).
    const base = randomSet(r);
    const grow = (s: DvvSet, id: string): DvvSet => {
      for (let k = r.int(3); k > 0; k--) {
        const ctx = r.chance(0.5) ? dvvsetJoin(s) : {};
        s = dvvsetUpdate(dvvsetNew(ctx, `w${r.int(1000)}`), s, id);
      }
      return s;
    };
    const [a, b, c] = [grow(base, 'a'), grow(base, 'b'), grow(base, 'c')];
    assert.equal(canon(dvvsetSync(a, b)), canon(dvvsetSync(b, a)));
    assert.equal(canon(dvvsetSync(dvvsetSync(a, b), c)), canon(dvvsetSync(a, dvvsetSync(b, c))));
    assert.equal(canon(dvvsetSync(a, a)), canon(a));
  }
});

/**
 * Riak's sibling explosion: two clients keep writing one key through one server, each over the
 * context of its own last write. Every value the writer had seen is overwritten, so only the
 * two clients' latest values are truly concurrent.
 */
test('DVVSet keeps only true siblings where a version vector on the server keeps false ones', () => {
  let dvv: DvvSet = DVVSET_EMPTY;
  let vvo = VV_OBJECT_EMPTY;
  const dvvCtx = new Map<string, Record<string, number>>([
    ['A', {}],
    ['B', {}],
  ]);
  const vvCtx = new Map<string, Record<string, number>>([
    ['A', {}],
    ['B', {}],
  ]);
  for (let round = 1; round <= 10; round++) {
    for (const client of ['A', 'B']) {
      const value = `${client}${round}`;
      dvv = dvvsetUpdate(dvvsetNew(dvvCtx.get(client)!, value), dvv, 's');
      // The context a put returns: what the new value was written over, plus its own event.
      dvvCtx.set(client, { ...dvvsetJoin(dvv) });
      vvo = vvObjectPut(vvCtx.get(client)!, vvo, 's', value);
      vvCtx.set(client, { ...vvo.vv });
    }
  }
  // Each client saw the other's previous value too, so after its put only the other's value
  // written since is concurrent with it.
  assert.deepEqual(dvvsetValues(dvv).sort(), ['A10', 'B10']);
  assert.equal(vvo.values.length, 20, 'every value ever written stays a sibling');
  assert.deepEqual(vvObjectSync(vvo, vvo), vvo);
});

test('DVVSet: a client that read nothing makes a sibling, one that read everything replaces it', () => {
  let s = dvvsetUpdate(dvvsetNew({}, 'x'), DVVSET_EMPTY, 'a');
  s = dvvsetUpdate(dvvsetNew({}, 'y'), s, 'a');
  assert.deepEqual(dvvsetValues(s).sort(), ['x', 'y']);
  s = dvvsetUpdate(dvvsetNew(dvvsetJoin(s), 'z'), s, 'b');
  assert.deepEqual(dvvsetValues(s), ['z']);
});
