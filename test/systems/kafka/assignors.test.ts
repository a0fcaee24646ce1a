/**
 * The range and roundrobin assignors: the examples from Kafka's RangeAssignor and
 * RoundRobinAssignor javadoc give the same assignment here, and seeded property tests check that
 * every partition of a subscribed topic goes to exactly one member subscribed to it, and the
 * balance each promises. Each mutant breaks one of these and is caught.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../../src/core/random.js';
import {
  ASSIGNOR_NAMES,
  assign,
  rangeAssign,
  roundRobinAssign,
  type Assignment,
  type AssignorMutant,
  type AssignorName,
  type Subscription,
} from '../../../src/systems/kafka/assignors.js';

function show(a: Assignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [member, tps] of a) out[member] = tps.map((tp) => `${tp.topic}p${tp.partition}`);
  return out;
}

test('range: the javadoc example (two consumers, two topics of three partitions)', () => {
  const counts = new Map([
    ['t0', 3],
    ['t1', 3],
  ]);
  const subs: Subscription[] = [
    { memberId: 'C1', topics: ['t0', 't1'] },
    { memberId: 'C0', topics: ['t1', 't0'] },
  ];
  assert.deepEqual(show(rangeAssign(counts, subs)), {
    C0: ['t0p0', 't0p1', 't1p0', 't1p1'],
    C1: ['t0p2', 't1p2'],
  });
});

test('roundrobin: the javadoc examples (identical and differing subscriptions)', () => {
  const same = new Map([
    ['t0', 3],
    ['t1', 3],
  ]);
  assert.deepEqual(
    show(
      roundRobinAssign(same, [
        { memberId: 'C0', topics: ['t0', 't1'] },
        { memberId: 'C1', topics: ['t0', 't1'] },
      ]),
    ),
    { C0: ['t0p0', 't0p2', 't1p1'], C1: ['t0p1', 't1p0', 't1p2'] },
  );
  const differing = new Map([
    ['t0', 1],
    ['t1', 2],
    ['t2', 3],
  ]);
  assert.deepEqual(
    show(
      roundRobinAssign(differing, [
        { memberId: 'C2', topics: ['t0', 't1', 't2'] },
        { memberId: 'C0', topics: ['t0'] },
        { memberId: 'C1', topics: ['t0', 't1'] },
      ]),
    ),
    { C0: ['t0p0'], C1: ['t1p0'], C2: ['t1p1', 't2p0', 't2p1', 't2p2'] },
  );
});

test('topics without a partition count are skipped; members with nothing get an empty list', () => {
  const counts = new Map([['t0', 1]]);
  for (const name of ASSIGNOR_NAMES) {
    const a = assign(name, counts, [
      { memberId: 'a', topics: ['t0', 'unknown'] },
      { memberId: 'b', topics: ['t0'] },
    ]);
    assert.deepEqual(show(a), { a: ['t0p0'], b: [] }, name);
  }
});

/** A violated property, or undefined: the assignment is exact and balanced as promised. */
function problem(
  name: AssignorName,
  counts: Map<string, number>,
  subs: Subscription[],
  a: Assignment,
): string | undefined {
  const owner = new Map<string, string>();
  for (const [member, tps] of a) {
    const sub = subs.find((s) => s.memberId === member);
    for (const tp of tps) {
      const key = `${tp.topic}p${tp.partition}`;
      if (owner.has(key)) return `${key} assigned twice`;
      owner.set(key, member);
      if (!sub?.topics.includes(tp.topic)) return `${key} given to ${member}, not subscribed`;
    }
  }
  for (const [topic, n] of counts) {
    if (!subs.some((s) => s.topics.includes(topic))) continue;
    for (let p = 0; p < n; p++) if (!owner.has(`${topic}p${p}`)) return `${topic}p${p} unassigned`;
  }
  const spread = (sizes: number[]) => Math.max(...sizes) - Math.min(...sizes);
  if (name === 'range') {
    for (const topic of counts.keys()) {
      const members = subs.filter((s) => s.topics.includes(topic)).map((s) => s.memberId);
      if (members.length === 0) continue;
      const sizes = members.map((m) => (a.get(m) ?? []).filter((tp) => tp.topic === topic).length);
      if (spread(sizes) > 1) return `range: ${topic} split ${sizes.join('/')}`;
    }
  } else {
    const first = subs[0]?.topics.slice().sort().join(',');
    if (subs.every((s) => s.topics.slice().sort().join(',') === first)) {
      const sizes = subs.map((s) => (a.get(s.memberId) ?? []).length);
      if (spread(sizes) > 1) return `roundrobin: split ${sizes.join('/')}`;
    }
  }
  return undefined;
}

function firstProblem(name: AssignorName, mutant?: AssignorMutant): string | undefined {
  for (let seed = 1; seed <= 300; seed++) {
    const r = streamFor(seed, 'test:assignors');
    const topics = ['a', 'b', 'c', 'd'].slice(0, 1 + r.int(4));
    const counts = new Map(topics.map((t) => [t, r.int(9)]));
    const nMembers = 1 + r.int(6);
    const identical = r.chance(0.5);
    const subs: Subscription[] = [];
    for (let i = 0; i < nMembers; i++) {
      const picked = identical ? topics : topics.filter(() => r.chance(0.6));
      subs.push({
        memberId: `m${r.int(1000)}-${i}`,
        topics: picked.length > 0 ? picked : [topics[0] ?? 'a'],
      });
    }
    const found = problem(name, counts, subs, assign(name, counts, subs, mutant));
    if (found !== undefined) return `seed ${seed}: ${found}`;
  }
  return undefined;
}

test('property: every partition once, to a subscriber, balanced within one (300 seeds each)', () => {
  for (const name of ASSIGNOR_NAMES) assert.equal(firstProblem(name), undefined, name);
});

test('mutants: range-drop-remainder and roundrobin-ignore-subscription are caught', () => {
  assert.match(firstProblem('range', 'range-drop-remainder') ?? '', /unassigned/);
  assert.match(
    firstProblem('roundrobin', 'roundrobin-ignore-subscription') ?? '',
    /not subscribed/,
  );
});

test('the same input in any order gives the same assignment', () => {
  const counts = new Map([
    ['x', 5],
    ['y', 2],
  ]);
  const subs: Subscription[] = [
    { memberId: 'b', topics: ['y', 'x'] },
    { memberId: 'a', topics: ['x'] },
    { memberId: 'c', topics: ['x', 'y'] },
  ];
  for (const name of ASSIGNOR_NAMES) {
    assert.deepEqual(
      show(assign(name, counts, subs)),
      show(assign(name, counts, [...subs].reverse())),
    );
  }
});
