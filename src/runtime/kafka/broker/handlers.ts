/**
 * From a decoded request to the backend's calls and back to a response frame: the broker's
 * request handling, one API each, with no state of its own. The group coordinator speaks base64
 * strings for the clients' opaque bytes (group-types.ts); this is where they are converted.
 */
import { supportedApiVersions, validClientSoftware } from '../api-versions.js';
import type { ApiName } from '../api-versions-table.js';
import { encodeResponse, type ApiMessages, type DecodedRequest } from '../dispatch.js';
import type { RequestHeader } from '../frame.js';
import { KafkaError } from '../kafka-errors.js';
import { GroupRequestError } from '../../../systems/kafka/group-errors.js';
import type { KafkaBackend } from './backend.js';
import { GroupStoreError } from './group-store.js';

export type Call = Extract<DecodedRequest, { kind: 'request' }>;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'base64');

/** Groups the entries of `items` by `topic` (in first-seen order), as responses nest them. */
function byTopic<T, R>(
  items: readonly T[],
  topic: (t: T) => string,
  map: (t: T) => R,
): { name: string; partitions: R[] }[] {
  const out = new Map<string, R[]>();
  for (const it of items) {
    const k = topic(it);
    let list = out.get(k);
    if (list === undefined) out.set(k, (list = []));
    list.push(map(it));
  }
  return [...out].map(([name, partitions]) => ({ name, partitions }));
}

/**
 * The group call, or — when the coordinator cannot answer (shutting down, its records not durable)
 * or was handed a number out of range — `fallback(code)`.
 */
async function groupCall<T>(run: () => Promise<T>, fallback: (errorCode: number) => T): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof GroupStoreError) return fallback(KafkaError.COORDINATOR_NOT_AVAILABLE);
    if (e instanceof GroupRequestError) return fallback(KafkaError.INVALID_REQUEST);
    throw e;
  }
}

/**
 * What to do after a request: send a frame, send nothing (a produce with acks=0), or close the
 * connection (an acks=0 produce that failed: the client reads no response, so, as Kafka does,
 * the broker closes the connection and the client learns from that that something went wrong).
 */
export type Outcome = Uint8Array | null | 'close';

/** Serves one request. */
export async function handle(
  backend: KafkaBackend,
  call: Call,
  clientHost: string,
): Promise<Outcome> {
  const h = call.header;
  const reply = <K extends ApiName>(api: K, response: ApiMessages[K]['response']) =>
    encodeResponse(api, h, response);
  switch (call.api) {
    case 'ApiVersions': {
      const r = call.request;
      const ok =
        r.clientSoftwareName === null ||
        (validClientSoftware(r.clientSoftwareName) &&
          validClientSoftware(r.clientSoftwareVersion ?? ''));
      return reply(
        'ApiVersions',
        ok
          ? supportedApiVersions()
          : { errorCode: KafkaError.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 },
      );
    }
    case 'Metadata': {
      const m = await backend.metadata(call.request.topics, call.request.allowAutoTopicCreation);
      return reply('Metadata', {
        throttleTimeMs: 0,
        brokers: m.brokers.map((b) => ({ ...b, rack: null })),
        clusterId: m.clusterId,
        controllerId: m.controllerId,
        topics: m.topics.map((t) => ({
          errorCode: t.errorCode,
          name: t.name,
          isInternal: t.internal,
          partitions: t.partitions.map((p) => ({
            errorCode: p.errorCode,
            partitionIndex: p.partition,
            leaderId: p.leader,
            replicaNodes: p.replicas,
            isrNodes: p.isr,
            offlineReplicas: [],
          })),
        })),
      });
    }
    case 'Produce':
      return produce(backend, call.request, h);
    case 'Fetch': {
      const r = call.request;
      const parts = r.topics.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.topic,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          maxBytes: Math.max(0, p.partitionMaxBytes),
        })),
      );
      const got = await backend.fetch({
        maxWaitMs: Math.max(0, r.maxWaitMs),
        minBytes: Math.max(0, r.minBytes),
        maxBytes: Math.max(0, r.maxBytes),
        partitions: parts,
      });
      return reply('Fetch', {
        throttleTimeMs: 0,
        errorCode: KafkaError.NONE,
        sessionId: 0,
        topics: byTopic(
          got,
          (g) => g.topic,
          (g) => ({
            partitionIndex: g.partition,
            errorCode: g.errorCode,
            highWatermark: BigInt(g.highWatermark),
            lastStableOffset: BigInt(g.highWatermark),
            logStartOffset: BigInt(g.logStartOffset),
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: g.records,
          }),
        ).map((t) => ({ topic: t.name, partitions: t.partitions })),
      });
    }
    case 'ListOffsets': {
      const topics = await Promise.all(
        call.request.topics.map(async (t) => ({
          name: t.name,
          partitions: await Promise.all(
            t.partitions.map(async (p) => {
              const o = await backend.listOffset(t.name, p.partitionIndex, Number(p.timestamp));
              return {
                partitionIndex: p.partitionIndex,
                errorCode: o.errorCode,
                timestamp: BigInt(o.timestamp),
                offset: BigInt(o.offset),
              };
            }),
          ),
        })),
      );
      return reply('ListOffsets', { throttleTimeMs: 0, topics });
    }
    case 'CreateTopics': {
      const r = call.request;
      const results = await backend.createTopics(
        r.topics.map((t) => ({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments.map((a) => ({
            partition: a.partitionIndex,
            brokers: a.brokerIds,
          })),
          configs: t.configs,
        })),
        r.validateOnly,
      );
      return reply('CreateTopics', { throttleTimeMs: 0, topics: results });
    }
    case 'DeleteTopics': {
      const results = await backend.deleteTopics(call.request.topicNames);
      return reply('DeleteTopics', {
        throttleTimeMs: 0,
        topics: results.map((t) => ({ name: t.name, errorCode: t.errorCode })),
      });
    }
    case 'InitProducerId': {
      const r = await backend.initProducerId(call.request.transactionalId);
      return reply('InitProducerId', {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        producerId: BigInt(r.producerId),
        producerEpoch: r.producerEpoch,
      });
    }
    case 'FindCoordinator': {
      const r = call.request;
      if (r.keyType !== 0) {
        return reply('FindCoordinator', {
          throttleTimeMs: 0,
          errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE,
          errorMessage: 'this broker has no transaction coordinator',
          nodeId: -1,
          host: '',
          port: -1,
        });
      }
      const c = await backend.findCoordinator(r.key);
      return reply('FindCoordinator', {
        throttleTimeMs: 0,
        errorCode: c.errorCode,
        errorMessage: null,
        nodeId: c.broker?.nodeId ?? -1,
        host: c.broker?.host ?? '',
        port: c.broker?.port ?? -1,
      });
    }
    case 'JoinGroup': {
      const r = call.request;
      const res = await groupCall(
        () =>
          backend.joinGroup({
            requestId: '',
            groupId: r.groupId,
            memberId: r.memberId,
            clientId: h.clientId ?? '',
            clientHost,
            sessionTimeoutMs: r.sessionTimeoutMs,
            rebalanceTimeoutMs: r.rebalanceTimeoutMs,
            protocolType: r.protocolType,
            protocols: r.protocols.map((p) => ({ name: p.name, metadata: b64(p.metadata) })),
            requireKnownMemberId: h.apiVersion >= 4,
          }),
        (errorCode) => ({
          api: 'JoinGroup' as const,
          errorCode,
          generationId: -1,
          protocolType: null,
          protocolName: null,
          leader: '',
          memberId: r.memberId,
          members: [],
        }),
      );
      return reply('JoinGroup', {
        throttleTimeMs: 0,
        errorCode: res.errorCode,
        generationId: res.generationId,
        protocolName: res.protocolName ?? '',
        leader: res.leader,
        memberId: res.memberId,
        members: res.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: null,
          metadata: bytes(m.metadata),
        })),
      });
    }
    case 'SyncGroup': {
      const r = call.request;
      const res = await groupCall(
        () =>
          backend.syncGroup({
            requestId: '',
            groupId: r.groupId,
            generationId: r.generationId,
            memberId: r.memberId,
            protocolType: null,
            protocolName: null,
            assignments: r.assignments.map((a) => ({
              memberId: a.memberId,
              assignment: b64(a.assignment),
            })),
          }),
        (errorCode) => ({
          api: 'SyncGroup' as const,
          errorCode,
          protocolType: null,
          protocolName: null,
          assignment: '',
        }),
      );
      return reply('SyncGroup', {
        throttleTimeMs: 0,
        errorCode: res.errorCode,
        assignment: bytes(res.assignment),
      });
    }
    case 'Heartbeat': {
      const r = call.request;
      const res = await groupCall(
        () =>
          backend.heartbeat({
            requestId: '',
            groupId: r.groupId,
            generationId: r.generationId,
            memberId: r.memberId,
          }),
        (errorCode) => ({ api: 'Heartbeat' as const, errorCode }),
      );
      return reply('Heartbeat', { throttleTimeMs: 0, errorCode: res.errorCode });
    }
    case 'LeaveGroup': {
      const r = call.request;
      const res = await groupCall(
        () =>
          backend.leaveGroup({
            requestId: '',
            groupId: r.groupId,
            memberIds: r.members.map((m) => m.memberId),
          }),
        (errorCode) => ({ api: 'LeaveGroup' as const, errorCode, members: [] }),
      );
      return reply('LeaveGroup', {
        throttleTimeMs: 0,
        errorCode: res.errorCode,
        members: res.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: null,
          errorCode: m.errorCode,
        })),
      });
    }
    case 'OffsetCommit': {
      const r = call.request;
      const res = await groupCall(
        () =>
          backend.commitOffsets({
            requestId: '',
            groupId: r.groupId,
            generationId: r.generationId,
            memberId: r.memberId,
            topics: r.topics.map((t) => ({
              topic: t.name,
              partitions: t.partitions.map((p) => ({
                partition: p.partitionIndex,
                offset: Number(p.committedOffset),
                leaderEpoch: -1,
                metadata: p.committedMetadata ?? '',
              })),
            })),
          }),
        (errorCode) => ({
          api: 'OffsetCommit' as const,
          topics: r.topics.map((t) => ({
            topic: t.name,
            partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode })),
          })),
        }),
      );
      return reply('OffsetCommit', {
        throttleTimeMs: 0,
        topics: res.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            errorCode: p.errorCode,
          })),
        })),
      });
    }
    case 'OffsetFetch': {
      const r = call.request;
      const res = await groupCall(
        () =>
          backend.fetchOffsets({
            groupId: r.groupId,
            topics:
              r.topics === null
                ? null
                : r.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })),
          }),
        (errorCode) => ({ errorCode, topics: [] }),
      );
      return reply('OffsetFetch', {
        throttleTimeMs: 0,
        errorCode: res.errorCode,
        topics: res.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: BigInt(p.offset),
            metadata: p.metadata,
            errorCode: p.errorCode,
          })),
        })),
      });
    }
    case 'DescribeGroups': {
      const groups = await groupCall(
        () => backend.describeGroups(call.request.groups),
        (errorCode) =>
          call.request.groups.map((groupId) => ({
            groupId,
            errorCode,
            state: 'Dead' as const,
            protocolType: '',
            protocolData: '',
            members: [],
          })),
      );
      return reply('DescribeGroups', {
        throttleTimeMs: 0,
        groups: groups.map((g) => ({
          errorCode: g.errorCode,
          groupId: g.groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: bytes(m.metadata),
            memberAssignment: bytes(m.assignment),
          })),
        })),
      });
    }
    case 'ListGroups': {
      let errorCode: number = KafkaError.NONE;
      const groups = await groupCall(
        () => backend.listGroups(),
        (code) => {
          errorCode = code;
          return [];
        },
      );
      return reply('ListGroups', {
        throttleTimeMs: 0,
        errorCode,
        groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })),
      });
    }
  }
}

async function produce(
  backend: KafkaBackend,
  r: ApiMessages['Produce']['request'],
  h: RequestHeader,
): Promise<Outcome> {
  const topics = await Promise.all(
    r.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const res =
            r.transactionalId !== null
              ? {
                  errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                  baseOffset: -1,
                  logStartOffset: -1,
                }
              : p.records === null
                ? { errorCode: KafkaError.CORRUPT_MESSAGE, baseOffset: -1, logStartOffset: -1 }
                : await backend.produce(t.name, p.index, p.records, r.acks, r.timeoutMs);
          return {
            index: p.index,
            errorCode: res.errorCode,
            baseOffset: BigInt(res.baseOffset),
            logAppendTimeMs: -1n,
            logStartOffset: BigInt(res.logStartOffset),
          };
        }),
      ),
    })),
  );
  // acks=0: Kafka answers nothing; an error closes the connection instead (KafkaApis does so).
  if (r.acks === 0) {
    const failed = topics.some((t) => t.partitions.some((p) => p.errorCode !== KafkaError.NONE));
    return failed ? 'close' : null;
  }
  return encodeResponse('Produce', h, { topics, throttleTimeMs: 0 });
}
