/**
 * Deleting a topic in the kafka system: the metadata machine's `delete-topic` record (the
 * topic's partitions go, their names stay as tombstones, a topic created anew under the name
 * gets a new id and partition names that carry it, snapshots keep all of it), a scripted run in
 * which a client deletes topic `t` and the controller creates it anew — every replica's stored
 * data of the old partitions is gone, also after a crash and restart, which the
 * `keep-data-on-delete` mutant fails — the `reuse-partition-names` mutant (no new topic id in
 * the names) caught by the ISR recorder, and runs with `--param delete-topic=on` judged valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { NodeId } from '../../../src/core/node.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { Session, runSimulation } from '../../../src/sim/run.js';
import { KafkaNode } from '../../../src/systems/kafka/kafka-node.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';
import { MetadataMachine } from '../../../src/systems/kafka/metadata-machine.js';
import type { MetadataOp } from '../../../src/systems/kafka/metadata-records.js';

function machineWith(ops: readonly MetadataOp[]): { m: MetadataMachine; results: Json[] } {
  const m = new MetadataMachine(false);
  const results = ops.map((op, i) =>
    m.apply({ client: `c${i}`, seq: 1, op: op as unknown as Json }),
  );
  return { m, results };
}

const BROKERS: readonly MetadataOp[] = ['a', 'b', 'c'].flatMap((b) => [
  { kind: 'register', broker: b, incarnation: 1 } as const,
  { kind: 'unfence', broker: b, incarnation: 1 } as const,
]);
const CREATE_T: MetadataOp = {
  kind: 'create-topic',
  topic: 't',
  replicas: [
    ['a', 'b', 'c'],
    ['b', 'c', 'a'],
  ],
};

test('delete-topic: the partitions go, a topic created anew gets a new id and new partition names', () => {
  const { m, results } = machineWith([
    ...BROKERS,
    CREATE_T,
    { kind: 'create-topic', topic: 'u', replicas: [['a']] },
    { kind: 'delete-topic', topic: 't' },
    { kind: 'delete-topic', topic: 't' },
    CREATE_T,
  ]);
  assert.deepEqual(results.slice(-3), [true, 'UNKNOWN_TOPIC_OR_PARTITION', true]);
  assert.equal(m.topicId('u'), 1);
  assert.equal(m.topicId('t'), 2, 'ids count creations: the third topic created');
  assert.equal(m.partition('t-0'), undefined);
  assert.equal(m.partitionNameOf('t', 0), 't-0~2');
  assert.equal(m.partitionNameOf('u', 0), 'u-0', 'a name never deleted keeps plain names');
  assert.deepEqual(m.partition('t-1~2')?.leaderEpoch, 0);
  assert.ok(m.isDeletedPartition('t-0') && m.isDeletedPartition('t-1'));
  assert.ok(!m.isDeletedPartition('t-0~2'));
  assert.deepEqual(m.takeDropped(), ['t-0', 't-1']);
  assert.deepEqual(m.takeDropped(), [], 'taken once');
  assert.deepEqual(
    m.takeChanged().map((p) => p.partition),
    ['u-0', 't-0~2', 't-1~2'],
    'no change of a deleted partition is handed to the replicas',
  );
});

test('a snapshot keeps topic ids and tombstones; a machine restored from it drops the old data', () => {
  const { m } = machineWith([...BROKERS, CREATE_T, { kind: 'delete-topic', topic: 't' }, CREATE_T]);
  const snap = JSON.parse(JSON.stringify(m.snapshot())) as Json;
  assert.equal(m.snapshotProblem(snap), undefined);
  const r = new MetadataMachine(false);
  r.restore(snap);
  assert.equal(r.partitionNameOf('t', 1), 't-1~1');
  assert.deepEqual(r.takeDropped(), ['t-0', 't-1'], 'a broker that missed the record drops too');
  r.apply({ client: 'x', seq: 1, op: { kind: 'delete-topic', topic: 't' } });
  r.apply({ client: 'y', seq: 1, op: CREATE_T as unknown as Json });
  assert.equal(r.partitionNameOf('t', 0), 't-0~2', 'ids go on counting after a restore');
  // Without deletions the snapshot is as it always was: no ids, no tombstones.
  const plain = machineWith([...BROKERS, CREATE_T]).m.snapshot() as { topics: Json };
  assert.deepEqual(plain.topics, [['t', 2]]);
  assert.equal('deleted' in (plain as object), false);
});

const storedOf = (s: Session, id: NodeId, partition: string): string[] => [
  ...s.sim.disk(id).keys(`isr/${partition}/`),
  ...(s.sim.disk(id).get(`isr-hw/${partition}`) !== undefined ? [`isr-hw/${partition}`] : []),
];

/**
 * Three nodes under the workload; at 1.5 s a client deletes topic `t` through the metadata
 * leader; the controller creates it anew. Then n1 crashes and restarts. Returns, per node, the
 * stored keys of the deleted partitions, and the new topic's partition names.
 */
function deleteScenario(mutant?: string): {
  readonly leftover: Record<string, string[]>;
  readonly names: readonly string[];
  readonly answer: Json;
} {
  const session = new Session({
    system: kafkaSystem,
    seed: 7,
    nodes: 3,
    nemesis: 'none',
    workload: { ops: 600 },
    ...(mutant !== undefined ? { mutant } : {}),
  });
  const nodes = (): KafkaNode[] =>
    [...session.sim.liveNodes().values()].filter((n): n is KafkaNode => n instanceof KafkaNode);
  session.runUntil(1500);
  const old = ['t-0', 't-1', 't-2'];
  for (const p of old) {
    assert.ok(
      session.sim.nodeIds.some((id) => storedOf(session, id, p).length > 0),
      `${p} holds data before the deletion`,
    );
  }
  const leader = nodes()[0]?.raft.leader;
  assert.ok(leader !== undefined && leader !== null, 'a metadata leader at 1.5 s');
  let answer: Json = null;
  session.sim.request(leader, 'admin', 1, { f: 'delete-topic', key: 't' }, (reply) => {
    answer = reply.ok ? (reply.value ?? null) : reply.error;
  });
  session.runUntil(2500);
  session.sim.crash('n1');
  session.runUntil(2600);
  session.sim.restart('n1');
  session.runUntil(4000);
  const names = nodes()[0]?.machine.partitionList.map((p) => p.partition) ?? [];
  const leftover: Record<string, string[]> = {};
  for (const id of session.sim.nodeIds) {
    leftover[id] = old.flatMap((p) => storedOf(session, id, p));
  }
  return { leftover, names, answer };
}

test('a deleted topic leaves no stored data on any replica, also after a restart', () => {
  const r = deleteScenario();
  assert.equal(r.answer, true);
  assert.deepEqual(r.names, ['t-0~1', 't-1~1', 't-2~1'], 'the controller created t anew');
  assert.deepEqual(r.leftover, { n1: [], n2: [], n3: [] });
});

test('the keep-data-on-delete mutant is caught: the old partitions stay on disk', () => {
  const r = deleteScenario('keep-data-on-delete');
  assert.equal(r.answer, true);
  assert.ok(
    Object.values(r.leftover).some((keys) => keys.length > 0),
    `stored data of the deleted partitions remains: ${JSON.stringify(r.leftover)}`,
  );
});

test('the reuse-partition-names mutant is caught: the new topic starts at leader epoch 0 under the old names', () => {
  const r = runChecked({
    system: kafkaSystem,
    seed: 1,
    nemesis: 'all',
    workload: { ops: 500 },
    params: { 'delete-topic': 'on' },
    mutant: 'reuse-partition-names',
  });
  assert.equal(r.verdict, 'invalid');
  assert.match(r.failure?.message ?? '', /acts for t-\d in leader epoch 0 after epoch \d+/);
});

test('--param delete-topic=on: runs that delete and recreate topic t are judged valid', () => {
  for (const [seed, nemesis] of [
    [1, 'none'],
    [2, 'all'],
    [3, 'all'],
  ] as const) {
    const r = runChecked({
      system: kafkaSystem,
      seed,
      nemesis,
      workload: { ops: 500 },
      params: { 'delete-topic': 'on' },
    });
    assert.equal(r.verdict, 'valid', `seed ${seed} ${nemesis}: ${r.judgement?.message}`);
    const d = r.judgement?.details as { partitions?: number } | undefined;
    assert.ok((d?.partitions ?? 0) > 3, `seed ${seed}: read partitions of more than one topic`);
  }
});

test('with deletions the same seed still gives the same run, byte for byte', () => {
  const run = () =>
    runSimulation({
      system: kafkaSystem,
      seed: 3,
      nemesis: 'all',
      workload: { ops: 400 },
      params: { 'delete-topic': 'on' },
      keepTrace: true,
    }).traceDigest;
  assert.equal(run(), run());
});
