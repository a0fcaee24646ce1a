/**
 * Every API and version of our ApiVersions table against kafkajs 2.2.4's own code: its request
 * encoder's bytes decoded by us, field by field, and our response bytes decoded by its response
 * decoder, field by field and to the last byte. ApiVersions v3 (flexible; kafkajs stops at v2)
 * is checked byte by byte against the schema in wire-api-versions.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_TABLE, type ApiName } from '../../../src/runtime/kafka/api-versions-table.js';
import { supportedApiVersions } from '../../../src/runtime/kafka/api-versions.js';
import { readRecordBatches, buildRecordBatch } from '../../../src/runtime/kafka/record-batch.js';
import { decodeKafkajs, decodeWithKafkajs, versions } from './kafkajs-harness.js';

function table(api: ApiName): number[] {
  const r = API_TABLE.find((x) => x.api === api);
  assert.ok(r, `${api} is in the table`);
  return versions(r.min, api === 'ApiVersions' ? Math.min(r.max, 2) : r.max);
}

const enc = (s: string) => Buffer.from(s);
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());

test('ApiVersions v0-v2: kafkajs reads our table', async () => {
  for (const v of table('ApiVersions')) {
    const { header, request } = await decodeKafkajs('ApiVersions', 'apiVersions', v, {});
    assert.deepEqual(request, { clientSoftwareName: null, clientSoftwareVersion: null });
    const out = await decodeWithKafkajs(
      'ApiVersions',
      'apiVersions',
      header,
      supportedApiVersions(),
    );
    assert.equal(out.errorCode, 0);
    assert.deepEqual(
      out.apiVersions,
      API_TABLE.map((r) => ({ apiKey: r.key, minVersion: r.min, maxVersion: r.max })),
    );
  }
});

test('Metadata: topics and auto-create in, brokers, controller and partitions out', async () => {
  for (const v of table('Metadata')) {
    const { header, request } = await decodeKafkajs('Metadata', 'metadata', v, {
      topics: ['t1', 'other'],
      allowAutoTopicCreation: false,
    });
    assert.deepEqual(request.topics, ['t1', 'other']);
    assert.equal(request.allowAutoTopicCreation, v >= 4 ? false : true);
    const out = await decodeWithKafkajs('Metadata', 'metadata', header, {
      throttleTimeMs: 7,
      brokers: [
        { nodeId: 1, host: 'localhost', port: 9092, rack: null },
        { nodeId: 2, host: 'h2', port: 9093, rack: 'r2' },
      ],
      clusterId: 'tk-cluster',
      controllerId: 2,
      topics: [
        {
          errorCode: 0,
          name: 't1',
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              replicaNodes: [1, 2],
              isrNodes: [1],
              offlineReplicas: [2],
            },
          ],
        },
        { errorCode: 3, name: 'other', isInternal: false, partitions: [] },
      ],
    });
    assert.deepEqual(out.brokers[1], { nodeId: 2, host: 'h2', port: 9093, rack: 'r2' });
    assert.equal(out.brokers[0].rack, null);
    assert.equal(out.controllerId, 2);
    if (v >= 2) assert.equal(out.clusterId, 'tk-cluster');
    if (v >= 3) assert.equal(out.clientSideThrottleTime ?? out.throttleTime, 7);
    const [t1, other] = out.topicMetadata;
    assert.equal(t1.topic, 't1');
    assert.equal(other.topicErrorCode, 3);
    const p = t1.partitionMetadata[0];
    assert.deepEqual([p.partitionId, p.leader, p.replicas, p.isr], [0, 1, [1, 2], [1]]);
    if (v >= 5) assert.deepEqual(p.offlineReplicas, [2]);
  }
});

test('Produce v3+: kafkajs batches decode with their CRC, responses carry offsets', async () => {
  for (const v of table('Produce')) {
    const { header, request } = await decodeKafkajs('Produce', 'produce', v, {
      acks: -1,
      timeout: 3000,
      producerId: 17,
      producerEpoch: 2,
      topicData: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 4,
              firstSequence: 10,
              messages: [
                { key: 'k1', value: 'v1', timestamp: 1700000000000, headers: { h: 'x' } },
                { key: null, value: 'v2', timestamp: 1700000000005 },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(request.acks, -1);
    assert.equal(request.timeoutMs, 3000);
    assert.equal(request.transactionalId, null);
    const part = request.topics[0]?.partitions[0];
    assert.equal(request.topics[0]?.name, 'orders');
    assert.equal(part?.index, 4);
    assert.ok(part?.records);
    const [batch, ...more] = readRecordBatches(part.records);
    assert.equal(more.length, 0);
    assert.ok(batch);
    assert.equal(batch.header.producerId, 17n);
    assert.equal(batch.header.producerEpoch, 2);
    assert.equal(batch.header.baseSequence, 10);
    assert.equal(batch.header.baseTimestamp, 1700000000000n);
    assert.deepEqual(
      batch.records.map((r) => [text(r.key), text(r.value), r.offsetDelta, r.timestampDelta]),
      [
        ['k1', 'v1', 0, 0n],
        [null, 'v2', 1, 5n],
      ],
    );
    assert.deepEqual(
      batch.records[0]?.headers.map((h) => [h.key, text(h.value)]),
      [['h', 'x']],
    );

    const out = await decodeWithKafkajs('Produce', 'produce', header, {
      topics: [
        {
          name: 'orders',
          partitions: [
            { index: 4, errorCode: 0, baseOffset: 1234n, logAppendTimeMs: -1n, logStartOffset: 5n },
            { index: 5, errorCode: 19, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
    const [p4, p5] = out.topics[0].partitions;
    assert.equal(out.topics[0].topicName, 'orders');
    assert.deepEqual(
      [p4.partition, p4.errorCode, p4.baseOffset, p4.logAppendTime],
      [4, 0, '1234', '-1'],
    );
    if (v >= 5) assert.equal(p4.logStartOffset, '5');
    assert.equal(p5.errorCode, 19);
  }
});

test('Fetch v4+: isolation, sessions, epochs, rack in; batches kafkajs reads out', async () => {
  const batch = buildRecordBatch({
    baseOffset: 100n,
    partitionLeaderEpoch: 3,
    baseTimestamp: 1700000000000n,
    records: [
      { key: enc('a'), value: enc('alpha') },
      {
        key: null,
        value: enc('beta'),
        timestampDelta: 9n,
        headers: [{ key: 'hk', value: enc('hv') }],
      },
    ],
  });
  for (const v of table('Fetch')) {
    const { header, request } = await decodeKafkajs('Fetch', 'fetch', v, {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 0,
      rackId: 'rack-a',
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 2, currentLeaderEpoch: 3, fetchOffset: '100', maxBytes: 65536 },
          ],
        },
      ],
    });
    assert.deepEqual(
      [
        request.replicaId,
        request.maxWaitMs,
        request.minBytes,
        request.maxBytes,
        request.isolationLevel,
      ],
      [-1, 500, 1, 1048576, 0],
    );
    const p = request.topics[0]?.partitions[0];
    assert.equal(request.topics[0]?.topic, 'orders');
    assert.deepEqual([p?.partition, p?.fetchOffset, p?.partitionMaxBytes], [2, 100n, 65536]);
    assert.equal(p?.currentLeaderEpoch, v >= 9 ? 3 : -1);
    assert.equal(p?.logStartOffset, -1n);
    assert.equal(request.rackId, v >= 11 ? 'rack-a' : '');
    if (v >= 7) assert.deepEqual([request.sessionId, request.sessionEpoch], [0, -1]);

    const out = await decodeWithKafkajs('Fetch', 'fetch', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      topics: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 102n,
              lastStableOffset: 102n,
              logStartOffset: 50n,
              abortedTransactions: [],
              preferredReadReplica: -1,
              records: batch,
            },
            {
              partitionIndex: 3,
              errorCode: 1,
              highWatermark: -1n,
              lastStableOffset: -1n,
              logStartOffset: -1n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: null,
            },
          ],
        },
      ],
    });
    const [p2, p3] = out.responses[0].partitions;
    assert.equal(out.responses[0].topicName, 'orders');
    assert.deepEqual(
      [p2.partition, p2.errorCode, p2.highWatermark, p2.lastStableOffset],
      [2, 0, '102', '102'],
    );
    if (v >= 5) assert.equal(p2.lastStartOffset, '50');
    if (v >= 11) assert.equal(p2.preferredReadReplica, -1);
    assert.deepEqual(
      p2.messages.map(
        (m: {
          offset: string;
          key: Buffer | null;
          value: Buffer;
          timestamp: string;
          headers: Record<string, Buffer>;
        }) => [
          m.offset,
          m.key?.toString() ?? null,
          m.value.toString(),
          m.timestamp,
          Object.fromEntries(Object.entries(m.headers).map(([k, x]) => [k, x.toString()])),
        ],
      ),
      [
        ['100', 'a', 'alpha', '1700000000000', {}],
        ['101', null, 'beta', '1700000000009', { hk: 'hv' }],
      ],
    );
    assert.equal(p3.errorCode, 1);
    assert.deepEqual(p3.messages, []);
  }
});

test('ListOffsets v1-v3: timestamps in, offsets out', async () => {
  for (const v of table('ListOffsets')) {
    const { header, request } = await decodeKafkajs('ListOffsets', 'listOffsets', v, {
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        { topic: 'orders', partitions: [{ partition: 0, timestamp: -2 }, { partition: 1 }] },
      ],
    });
    assert.equal(request.replicaId, -1);
    assert.equal(request.isolationLevel, v >= 2 ? 1 : 0);
    assert.deepEqual(request.topics, [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, timestamp: -2n },
          { partitionIndex: 1, timestamp: -1n },
        ],
      },
    ]);
    const out = await decodeWithKafkajs('ListOffsets', 'listOffsets', header, {
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 0n },
            { partitionIndex: 1, errorCode: 6, timestamp: -1n, offset: -1n },
          ],
        },
      ],
    });
    assert.deepEqual(out.responses, [
      {
        topic: 'orders',
        partitions: [
          { partition: 0, errorCode: 0, timestamp: '-1', offset: '0' },
          { partition: 1, errorCode: 6, timestamp: '-1', offset: '-1' },
        ],
      },
    ]);
  }
});

test('OffsetCommit v2-v5 and OffsetFetch v1-v4', async () => {
  for (const v of table('OffsetCommit')) {
    const { header, request } = await decodeKafkajs('OffsetCommit', 'offsetCommit', v, {
      groupId: 'g',
      groupGenerationId: 5,
      memberId: 'm-1',
      retentionTime: 86400000,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 1, offset: '42', metadata: 'md' },
            { partition: 2, offset: '7' },
          ],
        },
      ],
    });
    assert.deepEqual(
      [request.groupId, request.generationId, request.memberId, request.retentionTimeMs],
      ['g', 5, 'm-1', v <= 4 ? 86400000n : -1n],
    );
    assert.deepEqual(request.topics, [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 1, committedOffset: 42n, committedMetadata: 'md' },
          { partitionIndex: 2, committedOffset: 7n, committedMetadata: null },
        ],
      },
    ]);
    const out = await decodeWithKafkajs('OffsetCommit', 'offsetCommit', header, {
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 1, errorCode: 0 },
            { partitionIndex: 2, errorCode: 22 },
          ],
        },
      ],
    });
    assert.deepEqual(out.responses, [
      {
        topic: 'orders',
        partitions: [
          { partition: 1, errorCode: 0 },
          { partition: 2, errorCode: 22 },
        ],
      },
    ]);
  }
  for (const v of table('OffsetFetch')) {
    const { header, request } = await decodeKafkajs('OffsetFetch', 'offsetFetch', v, {
      groupId: 'g',
      topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 3 }] }],
    });
    assert.deepEqual(request, {
      groupId: 'g',
      topics: [{ name: 'orders', partitionIndexes: [0, 3] }],
    });
    const out = await decodeWithKafkajs('OffsetFetch', 'offsetFetch', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, metadata: 'md', errorCode: 0 },
            { partitionIndex: 3, committedOffset: -1n, metadata: null, errorCode: 0 },
          ],
        },
      ],
    });
    assert.deepEqual(out.responses, [
      {
        topic: 'orders',
        partitions: [
          { partition: 0, offset: '42', metadata: 'md', errorCode: 0 },
          { partition: 3, offset: '-1', metadata: null, errorCode: 0 },
        ],
      },
    ]);
    if (v >= 2) assert.equal(out.errorCode, 0);
  }
});

test('FindCoordinator, Heartbeat, SyncGroup: every version', async () => {
  for (const v of table('FindCoordinator')) {
    const { header, request } = await decodeKafkajs('FindCoordinator', 'findCoordinator', v, {
      groupId: 'g',
      coordinatorKey: 'g',
      coordinatorType: 0,
    });
    assert.deepEqual(request, { key: 'g', keyType: 0 });
    const out = await decodeWithKafkajs('FindCoordinator', 'findCoordinator', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      nodeId: 2,
      host: 'localhost',
      port: 9093,
    });
    assert.deepEqual(out.coordinator, { nodeId: 2, host: 'localhost', port: 9093 });
    assert.equal(out.errorCode, 0);
  }
  for (const v of table('Heartbeat')) {
    const { header, request } = await decodeKafkajs('Heartbeat', 'heartbeat', v, {
      groupId: 'g',
      groupGenerationId: 9,
      memberId: 'm',
      groupInstanceId: null,
    });
    assert.deepEqual(request, {
      groupId: 'g',
      generationId: 9,
      memberId: 'm',
      groupInstanceId: null,
    });
    const out = await decodeWithKafkajs('Heartbeat', 'heartbeat', header, {
      throttleTimeMs: 0,
      errorCode: 27,
    });
    assert.equal(out.errorCode, 27);
  }
  for (const v of table('SyncGroup')) {
    const { header, request } = await decodeKafkajs('SyncGroup', 'syncGroup', v, {
      groupId: 'g',
      generationId: 9,
      memberId: 'm',
      groupAssignment: [{ memberId: 'm', memberAssignment: enc('assign-m') }],
    });
    assert.deepEqual(
      [request.groupId, request.generationId, request.memberId, request.groupInstanceId],
      ['g', 9, 'm', null],
    );
    assert.deepEqual(
      request.assignments.map((a) => [a.memberId, text(a.assignment)]),
      [['m', 'assign-m']],
    );
    const out = await decodeWithKafkajs('SyncGroup', 'syncGroup', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      assignment: enc('assign-m'),
    });
    assert.equal(out.memberAssignment.toString(), 'assign-m');
  }
});

test('JoinGroup v0-v5 and LeaveGroup v0-v3', async () => {
  for (const v of table('JoinGroup')) {
    const { header, request } = await decodeKafkajs('JoinGroup', 'joinGroup', v, {
      groupId: 'g',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: enc('meta') }],
    });
    assert.deepEqual(
      [
        request.groupId,
        request.sessionTimeoutMs,
        request.rebalanceTimeoutMs,
        request.memberId,
        request.protocolType,
      ],
      ['g', 30000, v >= 1 ? 60000 : 30000, '', 'consumer'],
    );
    assert.equal(request.groupInstanceId, null);
    assert.deepEqual(
      request.protocols.map((p) => [p.name, text(p.metadata)]),
      [['RoundRobinAssigner', 'meta']],
    );
    const out = await decodeWithKafkajs('JoinGroup', 'joinGroup', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 3,
      protocolName: 'RoundRobinAssigner',
      leader: 'm-1',
      memberId: 'm-1',
      members: [
        { memberId: 'm-1', groupInstanceId: null, metadata: enc('meta1') },
        { memberId: 'm-2', groupInstanceId: null, metadata: enc('meta2') },
      ],
    });
    assert.deepEqual(
      [out.errorCode, out.generationId, out.groupProtocol, out.leaderId, out.memberId],
      [0, 3, 'RoundRobinAssigner', 'm-1', 'm-1'],
    );
    assert.deepEqual(
      out.members.map((m: { memberId: string; memberMetadata: Buffer }) => [
        m.memberId,
        m.memberMetadata.toString(),
      ]),
      [
        ['m-1', 'meta1'],
        ['m-2', 'meta2'],
      ],
    );
  }
  for (const v of table('LeaveGroup')) {
    const { header, request } = await decodeKafkajs('LeaveGroup', 'leaveGroup', v, {
      groupId: 'g',
      memberId: 'm-1',
      members: [{ memberId: 'm-1' }],
    });
    assert.deepEqual(request, {
      groupId: 'g',
      members: [{ memberId: 'm-1', groupInstanceId: null }],
    });
    const out = await decodeWithKafkajs('LeaveGroup', 'leaveGroup', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      members: [{ memberId: 'm-1', groupInstanceId: null, errorCode: 25 }],
    });
    assert.equal(out.errorCode, 0);
    if (v >= 3)
      assert.deepEqual(out.members, [{ memberId: 'm-1', groupInstanceId: null, errorCode: 25 }]);
  }
});

test('DescribeGroups and ListGroups v0-v2', async () => {
  for (const v of table('DescribeGroups')) {
    const { header, request } = await decodeKafkajs('DescribeGroups', 'describeGroups', v, {
      groupIds: ['g', 'h'],
    });
    assert.deepEqual(request, { groups: ['g', 'h'] });
    const out = await decodeWithKafkajs('DescribeGroups', 'describeGroups', header, {
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: 0,
          groupId: 'g',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [
            {
              memberId: 'm',
              clientId: 'c',
              clientHost: '/127.0.0.1',
              memberMetadata: enc('md'),
              memberAssignment: enc('as'),
            },
          ],
        },
      ],
    });
    const [g] = out.groups;
    assert.deepEqual(
      [g.errorCode, g.groupId, g.state, g.protocolType, g.protocol],
      [0, 'g', 'Stable', 'consumer', 'RoundRobinAssigner'],
    );
    const [m] = g.members;
    assert.deepEqual(
      [
        m.memberId,
        m.clientId,
        m.clientHost,
        m.memberMetadata.toString(),
        m.memberAssignment.toString(),
      ],
      ['m', 'c', '/127.0.0.1', 'md', 'as'],
    );
  }
  for (const v of table('ListGroups')) {
    const { header, request } = await decodeKafkajs('ListGroups', 'listGroups', v, {});
    assert.deepEqual(request, {});
    const out = await decodeWithKafkajs('ListGroups', 'listGroups', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: [{ groupId: 'g', protocolType: 'consumer' }],
    });
    assert.deepEqual(
      [out.errorCode, out.groups],
      [0, [{ groupId: 'g', protocolType: 'consumer' }]],
    );
  }
});

test('CreateTopics v0-v3, DeleteTopics v0-v1, InitProducerId v0-v1', async () => {
  for (const v of table('CreateTopics')) {
    const { header, request } = await decodeKafkajs('CreateTopics', 'createTopics', v, {
      topics: [
        {
          topic: 'a',
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [{ name: 'retention.ms', value: '1000' }],
        },
        { topic: 'b', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
      ],
      timeout: 5000,
      validateOnly: true,
    });
    assert.deepEqual(request, {
      topics: [
        {
          name: 'a',
          numPartitions: 6,
          replicationFactor: 3,
          assignments: [],
          configs: [{ name: 'retention.ms', value: '1000' }],
        },
        {
          name: 'b',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
          configs: [],
        },
      ],
      timeoutMs: 5000,
      validateOnly: v >= 1,
    });
    const out = await decodeWithKafkajs('CreateTopics', 'createTopics', header, {
      throttleTimeMs: 0,
      topics: [
        { name: 'a', errorCode: 0, errorMessage: null },
        { name: 'b', errorCode: 36, errorMessage: 'exists' },
      ],
    });
    assert.deepEqual(
      out.topicErrors.map((t: { topic: string; errorCode: number; errorMessage?: string }) => [
        t.topic,
        t.errorCode,
      ]),
      [
        ['a', 0],
        ['b', 36],
      ],
    );
    if (v >= 1) assert.equal(out.topicErrors[1].errorMessage, 'exists');
  }
  for (const v of table('DeleteTopics')) {
    const { header, request } = await decodeKafkajs('DeleteTopics', 'deleteTopics', v, {
      topics: ['a', 'b'],
      timeout: 900,
    });
    assert.deepEqual(request, { topicNames: ['a', 'b'], timeoutMs: 900 });
    const out = await decodeWithKafkajs('DeleteTopics', 'deleteTopics', header, {
      throttleTimeMs: 0,
      topics: [
        { name: 'a', errorCode: 0 },
        { name: 'b', errorCode: 3 },
      ],
    });
    assert.deepEqual(out.topicErrors, [
      { topic: 'a', errorCode: 0 },
      { topic: 'b', errorCode: 3 },
    ]);
  }
  for (const v of table('InitProducerId')) {
    const { header, request } = await decodeKafkajs('InitProducerId', 'initProducerId', v, {
      transactionalId: null,
      transactionTimeout: 30000,
    });
    assert.deepEqual(request, { transactionalId: null, transactionTimeoutMs: 30000 });
    const out = await decodeWithKafkajs('InitProducerId', 'initProducerId', header, {
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: 9007199254740993n,
      producerEpoch: 4,
    });
    assert.deepEqual(
      [out.errorCode, out.producerId, out.producerEpoch],
      [0, '9007199254740993', 4],
    );
  }
});
