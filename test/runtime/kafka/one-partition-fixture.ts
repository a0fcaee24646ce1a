/**
 * A test fixture, not a broker: one node, one topic of one partition held in memory, answering
 * over loopback with nothing but the wire codec, so real librdkafka (kcat) can be pointed at our
 * encoders and decoders. No replication, groups or durability: just enough state for a client to
 * produce and read back, a group whose every join makes the joiner the only member and leader
 * (enough for one consumer), and a log of every (api, version) the client chose against our table.
 */
import net from 'node:net';
import { stampBatch } from '../../../src/runtime/kafka/batch-header.js';
import { supportedApiVersions } from '../../../src/runtime/kafka/api-versions.js';
import { encodeResponse, type DecodedRequest } from '../../../src/runtime/kafka/dispatch.js';
import { RequestStream } from '../../../src/runtime/kafka/request-stream.js';
import { KafkaError } from '../../../src/runtime/kafka/kafka-errors.js';
import { EARLIEST_TIMESTAMP } from '../../../src/runtime/kafka/list-offsets.js';
import { produceErrorFor, readRecordBatches } from '../../../src/runtime/kafka/record-batch.js';
import {
  decodeAssignment,
  decodeSubscription,
  type Assignment,
  type Subscription,
} from '../../../src/runtime/kafka/consumer-protocol.js';

export interface Fixture {
  readonly port: number;
  /** "Api vN" for every request served, in arrival order. */
  readonly calls: string[];
  /** Values produced, in offset order. */
  readonly values: string[];
  readonly closedFor: string[];
  /** The subscriptions and assignments the client sent, as consumer-protocol.ts read them. */
  readonly subscriptions: Subscription[];
  readonly assignments: (Assignment | null)[];
  /** Committed offsets by "group/topic/partition". */
  readonly committed: Map<string, bigint>;
  /** Topics asked to be created and deleted (nothing is: the one topic stays the one). */
  readonly created: string[];
  readonly deleted: string[];
  close(): Promise<void>;
}

export async function startFixture(topic: string): Promise<Fixture> {
  const batches: Uint8Array[] = [];
  const values: string[] = [];
  const calls: string[] = [];
  const closedFor: string[] = [];
  const subscriptions: Subscription[] = [];
  const assignments: (Assignment | null)[] = [];
  const committed = new Map<string, bigint>();
  let next = 0n;
  let port = 0;
  const created: string[] = [];
  const deleted: string[] = [];
  const groups = new Set<string>();
  let members = 0;
  let generation = 0;
  let assignment: Uint8Array = new Uint8Array(0);

  const answer = (d: Extract<DecodedRequest, { kind: 'request' }>): Uint8Array | null => {
    calls.push(`${d.api} v${d.header.apiVersion}`);
    const h = d.header;
    switch (d.api) {
      case 'ApiVersions':
        return encodeResponse('ApiVersions', h, supportedApiVersions());
      case 'Metadata': {
        const names = d.request.topics ?? [topic];
        return encodeResponse('Metadata', h, {
          throttleTimeMs: 0,
          brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
          clusterId: 'fixture',
          controllerId: 1,
          topics: names.map((name) => ({
            errorCode: name === topic ? KafkaError.NONE : KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
            name,
            isInternal: false,
            partitions:
              name === topic
                ? [
                    {
                      errorCode: 0,
                      partitionIndex: 0,
                      leaderId: 1,
                      replicaNodes: [1],
                      isrNodes: [1],
                      offlineReplicas: [],
                    },
                  ]
                : [],
          })),
        });
      }
      case 'Produce': {
        const topics = d.request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const base = next;
            let errorCode: number = KafkaError.NONE;
            const records = p.records ?? new Uint8Array(0);
            try {
              let at = 0;
              for (const b of readRecordBatches(records)) {
                const bytes = records.slice(at, at + b.header.sizeInBytes);
                at += b.header.sizeInBytes;
                stampBatch(bytes, 0, next, 0);
                batches.push(bytes);
                for (const r of b.records) values.push(Buffer.from(r.value ?? []).toString());
                next += BigInt(b.header.recordCount);
              }
            } catch (e) {
              errorCode = produceErrorFor(e);
            }
            return {
              index: p.index,
              errorCode,
              baseOffset: base,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
            };
          }),
        }));
        return d.request.acks === 0
          ? null
          : encodeResponse('Produce', h, { topics, throttleTimeMs: 0 });
      }
      case 'ListOffsets':
        return encodeResponse('ListOffsets', h, {
          throttleTimeMs: 0,
          topics: d.request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              errorCode: 0,
              timestamp: -1n,
              offset: p.timestamp === EARLIEST_TIMESTAMP ? 0n : next,
            })),
          })),
        });
      case 'Fetch':
        return encodeResponse('Fetch', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          topics: d.request.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => {
              const from = batches.filter((b) => {
                const v = new DataView(b.buffer, b.byteOffset);
                return v.getBigInt64(0) + BigInt(v.getInt32(23)) >= p.fetchOffset;
              });
              return {
                partitionIndex: p.partition,
                errorCode: p.fetchOffset > next ? KafkaError.OFFSET_OUT_OF_RANGE : 0,
                highWatermark: next,
                lastStableOffset: next,
                logStartOffset: 0n,
                abortedTransactions: [],
                preferredReadReplica: -1,
                records: Buffer.concat(from),
              };
            }),
          })),
        });
      case 'FindCoordinator':
        return encodeResponse('FindCoordinator', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          nodeId: 1,
          host: '127.0.0.1',
          port,
        });
      case 'JoinGroup': {
        const req = d.request;
        const base = {
          throttleTimeMs: 0,
          generationId: -1,
          protocolName: '',
          leader: '',
          members: [],
        };
        if (req.memberId === '' && h.apiVersion >= 4) {
          // Kafka's KIP-394 first round trip: here is your id, join again with it.
          members++;
          return encodeResponse('JoinGroup', h, {
            ...base,
            errorCode: KafkaError.MEMBER_ID_REQUIRED,
            memberId: `m-${members}`,
          });
        }
        const memberId = req.memberId === '' ? `m-${++members}` : req.memberId;
        const protocol = req.protocols[0];
        if (protocol === undefined) {
          return encodeResponse('JoinGroup', h, {
            ...base,
            errorCode: KafkaError.INCONSISTENT_GROUP_PROTOCOL,
            memberId,
          });
        }
        subscriptions.push(decodeSubscription(protocol.metadata));
        groups.add(req.groupId);
        generation++;
        return encodeResponse('JoinGroup', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          generationId: generation,
          protocolName: protocol.name,
          leader: memberId,
          memberId,
          members: [{ memberId, groupInstanceId: null, metadata: protocol.metadata }],
        });
      }
      case 'SyncGroup': {
        const mine = d.request.assignments.find((a) => a.memberId === d.request.memberId);
        if (mine !== undefined) assignment = Uint8Array.from(mine.assignment);
        assignments.push(decodeAssignment(assignment));
        return encodeResponse('SyncGroup', h, { throttleTimeMs: 0, errorCode: 0, assignment });
      }
      case 'Heartbeat':
        return encodeResponse('Heartbeat', h, { throttleTimeMs: 0, errorCode: 0 });
      case 'LeaveGroup':
        return encodeResponse('LeaveGroup', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          members: d.request.members.map((m) => ({ ...m, errorCode: 0 })),
        });
      case 'OffsetCommit': {
        const group = d.request.groupId;
        return encodeResponse('OffsetCommit', h, {
          throttleTimeMs: 0,
          topics: d.request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              committed.set(`${group}/${t.name}/${p.partitionIndex}`, p.committedOffset);
              return { partitionIndex: p.partitionIndex, errorCode: 0 };
            }),
          })),
        });
      }
      case 'OffsetFetch': {
        const group = d.request.groupId;
        return encodeResponse('OffsetFetch', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          topics: (d.request.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((i) => ({
              partitionIndex: i,
              committedOffset: committed.get(`${group}/${t.name}/${i}`) ?? -1n,
              metadata: '',
              errorCode: 0,
            })),
          })),
        });
      }
      case 'InitProducerId':
        return encodeResponse('InitProducerId', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          producerId: 1000n,
          producerEpoch: 0,
        });
      case 'CreateTopics':
        return encodeResponse('CreateTopics', h, {
          throttleTimeMs: 0,
          topics: d.request.topics.map((t) => {
            created.push(t.name);
            const exists = t.name === topic;
            return {
              name: t.name,
              errorCode: exists ? KafkaError.TOPIC_ALREADY_EXISTS : KafkaError.NONE,
              errorMessage: exists ? `topic ${t.name} exists` : null,
            };
          }),
        });
      case 'DeleteTopics':
        return encodeResponse('DeleteTopics', h, {
          throttleTimeMs: 0,
          topics: d.request.topicNames.map((name) => {
            deleted.push(name);
            return { name, errorCode: 0 };
          }),
        });
      case 'ListGroups':
        return encodeResponse('ListGroups', h, {
          throttleTimeMs: 0,
          errorCode: 0,
          groups: [...groups].map((groupId) => ({ groupId, protocolType: 'consumer' })),
        });
      case 'DescribeGroups':
        return encodeResponse('DescribeGroups', h, {
          throttleTimeMs: 0,
          groups: d.request.groups.map((groupId) => ({
            errorCode: groups.has(groupId) ? 0 : KafkaError.GROUP_ID_NOT_FOUND,
            groupId,
            groupState: groups.has(groupId) ? 'Stable' : 'Dead',
            protocolType: 'consumer',
            protocolData: '',
            members: [],
          })),
        });
      default:
        return null;
    }
  };

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const stream = new RequestStream();
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      for (const ev of stream.push(chunk)) {
        if (ev.kind === 'close') {
          closedFor.push(`${ev.reason}: ${ev.detail}`);
          socket.destroy();
          return;
        }
        if (ev.kind === 'answer') {
          calls.push(`ApiVersions v${ev.header.apiVersion} (answered ${ev.errorCode})`);
          socket.write(ev.frame);
          continue;
        }
        const out = answer(ev);
        if (out !== null) socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  port = address.port;
  return {
    port,
    calls,
    values,
    closedFor,
    subscriptions,
    assignments,
    committed,
    created,
    deleted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
