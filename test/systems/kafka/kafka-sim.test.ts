/**
 * `truthkit sim kafka`: the system's registration and parameters, the metadata machine's
 * elections and AlterPartition rules, the unclean-election scenario (the `unclean-election`
 * mutant and `--param unclean=on` lose acknowledged records; the correct system leaves the
 * partition without a leader), and runs under every nemesis plan and swarm seeds judged valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { nemesisPlans } from '../../../src/sim/nemesis.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { runSimulation } from '../../../src/sim/run.js';
import { getSystem } from '../../../src/systems/index.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';
import { MetadataMachine } from '../../../src/systems/kafka/metadata-machine.js';
import type { MetadataOp } from '../../../src/systems/kafka/metadata-records.js';
import { uncleanScenario } from './unclean-scenario.js';

test('kafka is registered with its mutants', () => {
  assert.equal(getSystem('kafka'), kafkaSystem);
  assert.deepEqual(
    kafkaSystem.mutants.map((m) => m.name),
    [
      'hw-from-leader-only',
      'ack-before-isr',
      'truncate-to-hw',
      'count-before-sync',
      'unclean-election',
      'keep-data-on-delete',
      'reuse-partition-names',
    ],
  );
});

test('a bad --param is a usage error naming it', () => {
  const make = (params: Record<string, string>) => kafkaSystem.createNode({ params });
  assert.throws(() => make({ unclean: 'yes' }), /--param unclean wants 'on' or 'off'/);
  assert.throws(() => make({ 'min-isr': '0' }), /--param min-isr/);
  assert.throws(() => make({ 'lag-time': 'x' }), /--param lag-time/);
  assert.throws(() => make({ 'fetch-wait': '-1' }), /--param fetch-wait/);
  assert.throws(() => make({ 'fetch-wait': '400' }), /fetch-wait=400 must be below lag-time/);
  assert.throws(() => make({ nope: '1' }), /kafka has no parameter 'nope'/);
  assert.throws(
    () => kafkaSystem.createNode({ params: { 'replication-factor': '4' }, cluster: ['a', 'b'] }),
    /replication-factor=4 exceeds the 2 nodes/,
  );
  assert.throws(() => kafkaSystem.createNode({ mutant: 'nope' }), /unknown ISR mutant 'nope'/);
});

/** A machine that applied `ops` in order, each as its own client's first command. */
function applied(unclean: boolean, ops: readonly MetadataOp[]): MetadataMachine {
  const m = new MetadataMachine(unclean);
  ops.forEach((op, i) => m.apply({ client: `t${i}`, seq: 1, op: op as unknown as Json }));
  return m;
}

const START: readonly MetadataOp[] = [
  { kind: 'register', broker: 'a', incarnation: 1 },
  { kind: 'register', broker: 'b', incarnation: 1 },
  { kind: 'register', broker: 'c', incarnation: 1 },
  { kind: 'unfence', broker: 'a', incarnation: 1 },
  { kind: 'unfence', broker: 'b', incarnation: 1 },
  { kind: 'unfence', broker: 'c', incarnation: 1 },
  { kind: 'create-topic', topic: 't', replicas: [['a', 'b', 'c']] },
];

test('a fenced leader hands over to the next ISR member, in a new leader epoch', () => {
  const m = applied(false, [...START, { kind: 'fence', broker: 'a', incarnation: 1 }]);
  assert.deepEqual(m.partition('t-0'), {
    partition: 't-0',
    replicas: ['a', 'b', 'c'],
    leader: 'b',
    leaderEpoch: 1,
    isr: ['b', 'c'],
    partitionEpoch: 1,
  });
});

test('a broker started anew leaves what it led, even before any fencing', () => {
  const m = applied(false, [...START, { kind: 'register', broker: 'a', incarnation: 2 }]);
  assert.equal(m.partition('t-0')?.leader, 'b');
  assert.deepEqual(m.partition('t-0')?.isr, ['b', 'c']);
  assert.equal(m.broker('a')?.fenced, true);
});

test('AlterPartition is accepted only from the leader at the current epochs', () => {
  const alter = (partitionEpoch: number, broker = 'a'): MetadataOp => ({
    kind: 'alter-partition',
    broker,
    partition: 't-0',
    leaderEpoch: 0,
    partitionEpoch,
    isr: ['a', 'b'],
  });
  const m = new MetadataMachine(false);
  START.forEach((op, i) => m.apply({ client: 's', seq: i + 1, op: op as unknown as Json }));
  const run = (op: MetadataOp, seq: number) =>
    m.apply({ client: 'x', seq, op: op as unknown as Json });
  assert.equal(run(alter(1), 1), 'INVALID_UPDATE_VERSION');
  assert.equal(run(alter(0, 'b'), 2), 'NOT_LEADER_OR_FOLLOWER');
  assert.equal(run(alter(0), 3), true);
  assert.deepEqual(m.partition('t-0')?.isr, ['a', 'b']);
  assert.equal(run(alter(0), 4), 'INVALID_UPDATE_VERSION', 'the same request again is stale');
});

test('with no ISR member alive: no leader; with unclean election, an out-of-ISR replica', () => {
  const ops: MetadataOp[] = [
    ...START,
    {
      kind: 'alter-partition',
      broker: 'a',
      partition: 't-0',
      leaderEpoch: 0,
      partitionEpoch: 0,
      isr: ['a', 'b'],
    },
    { kind: 'fence', broker: 'a', incarnation: 1 },
    { kind: 'fence', broker: 'b', incarnation: 1 },
  ];
  const clean = applied(false, ops).partition('t-0');
  assert.equal(clean?.leader, null);
  assert.deepEqual(clean?.isr, ['b'], 'the last ISR member stays in it');
  const unclean = applied(true, ops);
  assert.equal(unclean.partition('t-0')?.leader, 'c');
  assert.deepEqual(unclean.partition('t-0')?.isr, ['c']);
  assert.equal(unclean.uncleanElections, 1);
});

test('unclean-election scenario: ISR-only election keeps every acknowledged record', () => {
  const o = uncleanScenario({ seed: 1 });
  assert.equal(o.failure, null);
  assert.equal(o.judged.verdict, 'valid');
  assert.equal(o.leaderAfter, null, 't-0 waits for an ISR member');
});

for (const variant of [{ mutant: 'unclean-election' }, { params: { unclean: 'on' } }]) {
  test(`unclean-election scenario with ${JSON.stringify(variant)}: a new leader lacks committed records (caught)`, () => {
    const o = uncleanScenario({ seed: 1, ...variant });
    assert.equal(o.judged.verdict, 'invalid');
    assert.match(
      o.failure ?? '',
      /t-0 offset \d+: committed .* in epoch \d+, and n\d leads epoch \d+ without it/,
    );
    assert.ok(o.uncleanElections >= 1);
  });
}

for (const plan of nemesisPlans()) {
  test(`sweep: ${plan.name} × 2 seeds is valid`, () => {
    for (let seed = 1; seed <= 2; seed++) {
      const r = runChecked({
        system: kafkaSystem,
        seed,
        nemesis: plan.name,
        workload: { ops: 300 },
      });
      assert.equal(r.failure, null, `seed ${seed}: ${r.failure?.message}`);
      assert.equal(r.verdict, 'valid', `seed ${seed}: ${r.judgement?.message}`);
    }
  });
}

test('swarm seeds 1–5 are valid', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = runChecked({ system: kafkaSystem, seed, swarm: true, workload: { ops: 300 } });
    assert.equal(r.failure, null, `seed ${seed}: ${r.failure?.message}`);
    assert.equal(r.verdict, 'valid', `seed ${seed}: ${r.judgement?.message}`);
  }
});

test('the same seed gives the same run, byte for byte', () => {
  const a = runSimulation({ system: kafkaSystem, seed: 3, nemesis: 'all', keepTrace: true });
  const b = runSimulation({ system: kafkaSystem, seed: 3, nemesis: 'all', keepTrace: true });
  assert.equal(a.traceDigest, b.traceDigest);
});

test('a metadata snapshot round-trips, and a malformed one is refused before it is restored', () => {
  const m = applied(false, START);
  const snap = m.snapshot();
  assert.equal(m.snapshotProblem(snap), undefined);
  const copy = new MetadataMachine(false);
  copy.restore(snap);
  assert.deepEqual(copy.partition('t-0'), m.partition('t-0'));
  assert.deepEqual(
    copy.takeChanged().map((p) => p.partition),
    ['t-0'],
  );
  const bad = { ...(snap as Record<string, Json>), partitions: [{ partition: 't-0' }] };
  assert.match(m.snapshotProblem(bad) ?? '', /^partitions\.0\./);
});
