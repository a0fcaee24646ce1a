/**
 * LocalBackend without the wire: durability of acknowledgements, idempotent producers across a
 * restart, consumer group records persisted before answers and replayed on open (and compacted),
 * topic creation, deletion, configs, retention and auto-creation. Each mutant of partition.ts and
 * group-store.ts is run against the test that must catch it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecordBatch } from '../../../../src/runtime/kafka/record-batch.js';
import { KafkaError } from '../../../../src/runtime/kafka/kafka-errors.js';
import {
  LocalBackend,
  type LocalBackendOptions,
} from '../../../../src/runtime/kafka/broker/local-backend.js';
import type { PartitionMutant } from '../../../../src/runtime/kafka/broker/partition.js';
import type { GroupStoreMutant } from '../../../../src/runtime/kafka/broker/group-store.js';
import { META_FILE } from '../../../../src/runtime/kafka/broker/broker-meta.js';
import { tempDir } from './broker-fixture.js';

const enc = new TextEncoder();

function batch(
  values: readonly string[],
  producer?: { id: number; epoch: number; seq: number },
): Uint8Array {
  return buildRecordBatch({
    baseTimestamp: 1_700_000_000_000n,
    ...(producer !== undefined
      ? {
          producerId: BigInt(producer.id),
          producerEpoch: producer.epoch,
          baseSequence: producer.seq,
        }
      : {}),
    records: values.map((v, i) => ({ value: enc.encode(v), timestampDelta: BigInt(i) })),
  });
}

async function open(dir: string, o: Partial<LocalBackendOptions> = {}): Promise<LocalBackend> {
  return LocalBackend.open({
    dir,
    groupInitialRebalanceDelayMs: 0,
    retentionCheckMs: 3_600_000,
    ...o,
  });
}

async function withTopic(
  b: LocalBackend,
  name: string,
  partitions = 1,
  configs: { name: string; value: string }[] = [],
) {
  const [r] = await b.createTopics(
    [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs }],
    false,
  );
  assert.equal(r?.errorCode, KafkaError.NONE, r?.errorMessage ?? '');
}

const hw = async (b: LocalBackend, t: string, p = 0) => (await b.listOffset(t, p, -1)).offset;

async function ackIsDurable(mutant?: PartitionMutant): Promise<void> {
  const { dir, remove } = tempDir('ack');
  const b = await open(dir, mutant !== undefined ? { partitionMutant: mutant } : {});
  try {
    await withTopic(b, 't');
    for (let i = 0; i < 5; i++) {
      const r = await b.produce('t', 0, batch([`a${i}`, `b${i}`]), -1, 1000);
      assert.equal(r.errorCode, KafkaError.NONE);
      // The high watermark is the fsync'd offset: an answered produce is below it.
      assert.equal(await hw(b, 't'), r.baseOffset + 2, 'acknowledged records are fsync’d');
    }
  } finally {
    await b.close();
    remove();
  }
}

test('an acknowledged produce is fsync’d (the high watermark covers it)', () => ackIsDurable());
test('mutant ack-before-fsync is caught', () =>
  assert.rejects(ackIsDurable('ack-before-fsync'), assert.AssertionError));

async function retryAfterRestart(mutant?: PartitionMutant): Promise<void> {
  const { dir, remove } = tempDir('idem');
  let b = await open(dir);
  try {
    await withTopic(b, 't');
    const pid = await b.initProducerId(null);
    assert.equal(pid.errorCode, KafkaError.NONE);
    const p = { id: pid.producerId, epoch: pid.producerEpoch, seq: 0 };
    assert.equal((await b.produce('t', 0, batch(['x', 'y', 'z'], p), -1, 1000)).baseOffset, 0);
    assert.equal((await b.produce('t', 0, batch(['w'], { ...p, seq: 3 }), -1, 1000)).baseOffset, 3);
    // A retry in the same run: the original offset, nothing written.
    assert.deepEqual(await b.produce('t', 0, batch(['x', 'y', 'z'], p), -1, 1000), {
      errorCode: 0,
      baseOffset: 0,
      logStartOffset: 0,
    });
    // A gap: refused.
    const gap = await b.produce('t', 0, batch(['q'], { ...p, seq: 9 }), -1, 1000);
    assert.equal(gap.errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await b.close();
    b = await open(dir, mutant !== undefined ? { partitionMutant: mutant } : {});
    // After a restart the state comes back from the log: the retry is still recognised.
    const retry = await b.produce('t', 0, batch(['w'], { ...p, seq: 3 }), -1, 1000);
    assert.equal(retry.baseOffset, 3, 'a retried batch gets its original offset after a restart');
    assert.equal(await hw(b, 't'), 4);
    const next = await b.initProducerId(null);
    assert.ok(next.producerId > pid.producerId, 'producer ids are not reused after a restart');
  } finally {
    await b.close();
    remove();
  }
}

test('idempotent producers: duplicates, gaps, and state rebuilt from the log on open', () =>
  retryAfterRestart());
test('mutant no-producer-rebuild is caught', () =>
  assert.rejects(retryAfterRestart('no-producer-rebuild'), assert.AssertionError));

const member = (groupId: string) => ({
  requestId: '',
  groupId,
  generationId: -1,
  memberId: '',
});

async function commitDurable(mutant?: GroupStoreMutant): Promise<void> {
  const { dir, remove } = tempDir('grp');
  let b = await open(dir, mutant !== undefined ? { groupStoreMutant: mutant } : {});
  try {
    for (let i = 1; i <= 3; i++) {
      const r = await b.commitOffsets({
        ...member('g'),
        topics: [
          {
            topic: 't',
            partitions: [{ partition: 0, offset: 10 * i, leaderEpoch: -1, metadata: 'm' }],
          },
        ],
      });
      assert.equal(r.topics[0]?.partitions[0]?.errorCode, KafkaError.NONE);
      const d = b.groups.durability();
      assert.equal(d.synced, d.appended, 'the commit is answered after its record is fsync’d');
    }
    await b.close();
    b = await open(dir, mutant !== undefined ? { groupStoreMutant: mutant } : {});
    const f = await b.fetchOffsets({ groupId: 'g', topics: [{ topic: 't', partitions: [0] }] });
    assert.equal(f.topics[0]?.partitions[0]?.offset, 30, 'committed offsets are replayed on open');
  } finally {
    await b.close();
    remove();
  }
}

test('group records are fsync’d before the answer and replayed on open', () => commitDurable());
test('mutant answer-before-fsync is caught', () =>
  assert.rejects(commitDurable('answer-before-fsync'), assert.AssertionError));
test('mutant no-replay is caught', () =>
  assert.rejects(commitDurable('no-replay'), assert.AssertionError));

test('__consumer_offsets is compacted on open when superseded records dominate', async () => {
  const { dir, remove } = tempDir('compact');
  let b = await open(dir);
  try {
    const commits = Array.from({ length: 1200 }, (_, i) =>
      b.commitOffsets({
        ...member('g'),
        topics: [
          {
            topic: 't',
            partitions: [{ partition: i % 2, offset: i, leaderEpoch: -1, metadata: '' }],
          },
        ],
      }),
    );
    await Promise.all(commits);
    await b.close();
    b = await open(dir);
    assert.deepEqual(b.groups.loaded, { records: 1200, live: 2, compacted: true });
    const f = await b.fetchOffsets({ groupId: 'g', topics: null });
    assert.deepEqual(
      f.topics[0]?.partitions.map((p) => p.offset),
      [1198, 1199],
    );
    await b.close();
    b = await open(dir);
    assert.deepEqual(b.groups.loaded, { records: 2, live: 2, compacted: false });
  } finally {
    await b.close();
    remove();
  }
});

test('topics: create, configs, persist, delete; auto-create only when enabled', async () => {
  const { dir, remove } = tempDir('topics');
  let b = await open(dir, { defaultPartitions: 2 });
  try {
    const bad = await b.createTopics(
      [
        { name: 'ok', numPartitions: -1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'ok', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'r3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
        { name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        {
          name: '__consumer_offsets',
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [],
        },
        {
          name: 'cfg',
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'x.y', value: '1' }],
        },
        { name: 'zero', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
      ],
      false,
    );
    assert.deepEqual(
      bad.map((r) => r.errorCode),
      [
        KafkaError.NONE,
        KafkaError.TOPIC_ALREADY_EXISTS,
        KafkaError.INVALID_REPLICATION_FACTOR,
        KafkaError.INVALID_TOPIC_EXCEPTION,
        KafkaError.INVALID_TOPIC_EXCEPTION,
        KafkaError.INVALID_CONFIG,
        KafkaError.INVALID_PARTITIONS,
      ],
    );
    const md = await b.metadata(['ok', 'nope'], true);
    assert.deepEqual(
      md.topics.map((t) => [t.name, t.errorCode, t.partitions.length]),
      [
        ['ok', 0, 2],
        ['nope', KafkaError.UNKNOWN_TOPIC_OR_PARTITION, 0],
      ],
    );
    assert.equal(
      (await b.produce('nope', 0, batch(['v']), 1, 1000)).errorCode,
      KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
    );
    await b.close();
    b = await open(dir, { defaultPartitions: 2, autoCreateTopics: true });
    assert.deepEqual(
      (await b.metadata(null, false)).topics.map((t) => t.name),
      ['ok'],
      'topics persist',
    );
    assert.equal(
      (await b.metadata(['auto'], true)).topics[0]?.partitions.length,
      2,
      'auto-created',
    );
    assert.equal((await b.produce('auto2', 1, batch(['v']), 1, 1000)).errorCode, KafkaError.NONE);
    assert.ok(existsSync(join(dir, 'auto2-1')), 'a partition is <dir>/<topic>-<partition>/');
    const del = await b.deleteTopics(['auto', 'missing']);
    assert.deepEqual(
      del.map((r) => r.errorCode),
      [0, KafkaError.UNKNOWN_TOPIC_OR_PARTITION],
    );
    assert.equal(existsSync(join(dir, 'auto-0')), false);
    await b.close();
    b = await open(dir);
    assert.deepEqual(
      (await b.metadata(null, false)).topics.map((t) => t.name),
      ['auto2', 'ok'],
    );
  } finally {
    await b.close();
    remove();
  }
});

test('retention: per-topic retention.bytes deletes old segments; ListOffsets by time', async () => {
  const { dir, remove } = tempDir('ret');
  const b = await open(dir);
  try {
    await withTopic(b, 'r', 1, [
      { name: 'segment.bytes', value: '1024' },
      { name: 'retention.bytes', value: '2048' },
      { name: 'retention.ms', value: '-1' },
    ]);
    // The batches' timestamps are from 2023: the default retention.ms (a week) would take them.
    await withTopic(b, 'keep', 1, [
      { name: 'segment.bytes', value: '1024' },
      { name: 'retention.ms', value: '-1' },
    ]);
    await withTopic(b, 'week', 1, [{ name: 'segment.bytes', value: '1024' }]);
    const big = 'x'.repeat(300);
    for (let i = 0; i < 20; i++) {
      await b.produce('r', 0, batch([big, big]), -1, 1000);
      await b.produce('keep', 0, batch([big, big]), -1, 1000);
      await b.produce('week', 0, batch([big, big]), -1, 1000);
    }
    assert.ok(b.retain() > 0);
    const start = await b.listOffset('r', 0, -2);
    assert.ok(start.offset > 0, `log start moved to ${start.offset}`);
    const kept = await b.listOffset('keep', 0, -2);
    assert.equal(kept.offset, 0, 'retention.ms=-1 and no retention.bytes keep everything');
    const week = await b.listOffset('week', 0, -2);
    assert.ok(week.offset > 0, 'the default retention.ms (a week) deleted 2023’s segments');
    assert.equal(week.offset, (await hw(b, 'week')) - 2, 'all but the active segment');
    // Record i of each batch has timestamp base + i: the first at or after base + 1 is offset 1.
    assert.deepEqual(await b.listOffset('keep', 0, 1_700_000_000_001), {
      errorCode: 0,
      offset: 1,
      timestamp: 1_700_000_000_001,
    });
    assert.equal((await b.listOffset('keep', 0, 1_800_000_000_000)).offset, -1);
  } finally {
    await b.close();
    remove();
  }
});

test('a topic created again does not inherit the files a crashed deletion left', async () => {
  const { dir, remove } = tempDir('leftover');
  let b = await open(dir);
  try {
    await withTopic(b, 'z', 2);
    await b.produce('z', 1, batch(['old']), -1, 1000);
    await b.close();
    // A deletion writes the meta file first: a crash then leaves z-0 and z-1 behind.
    const meta = JSON.parse(readFileSync(join(dir, META_FILE), 'utf8'));
    meta.topics = [];
    writeFileSync(join(dir, META_FILE), JSON.stringify(meta));
    b = await open(dir);
    assert.deepEqual((await b.metadata(null, false)).topics, []);
    await withTopic(b, 'z', 2);
    assert.equal(await hw(b, 'z', 1), 0, 'the new z starts empty');
  } finally {
    await b.close();
    remove();
  }
});
