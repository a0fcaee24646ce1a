/**
 * From a request frame's body to a typed request, and from a typed response to a frame: the one
 * place a broker's connection handler needs. What Kafka's broker does with what it cannot serve,
 * we do too (RequestContext.parseRequest and SocketServer in Apache Kafka):
 *  - ApiVersions at a version we do not speak: answered, with a v0 body carrying
 *    UNSUPPORTED_VERSION (KIP-511), so a newer client learns our range and retries;
 *  - any other API at a version we do not speak, or an api key we do not know: the connection is
 *    closed (no response: the client cannot be assumed to read one);
 *  - bytes that do not parse under the schema: WireError thrown, the connection is closed.
 */
import {
  decodeApiVersionsRequest,
  encodeApiVersionsResponse,
  unsupportedApiVersions,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from './api-versions.js';
import {
  ApiKey,
  apiRange,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiName,
} from './api-versions-table.js';
import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponse,
} from './fetch.js';
import { readHeaderPrefix, readHeaderRest, responseFrame, type RequestHeader } from './frame.js';
import {
  decodeDescribeGroupsRequest,
  decodeListGroupsRequest,
  encodeDescribeGroupsResponse,
  encodeListGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
} from './group-admin.js';
import {
  decodeFindCoordinatorRequest,
  decodeHeartbeatRequest,
  decodeJoinGroupRequest,
  decodeLeaveGroupRequest,
  decodeSyncGroupRequest,
  encodeFindCoordinatorResponse,
  encodeHeartbeatResponse,
  encodeJoinGroupResponse,
  encodeLeaveGroupResponse,
  encodeSyncGroupResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from './group-membership.js';
import {
  decodeOffsetCommitRequest,
  decodeOffsetFetchRequest,
  encodeOffsetCommitResponse,
  encodeOffsetFetchResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from './group-offsets.js';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from './init-producer-id.js';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from './list-offsets.js';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataRequest,
  type MetadataResponse,
} from './metadata.js';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
} from './produce.js';
import {
  decodeCreateTopicsRequest,
  decodeDeleteTopicsRequest,
  encodeCreateTopicsResponse,
  encodeDeleteTopicsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from './topic-admin.js';
import { WireError, type WireMutant } from './wire-error.js';
import { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';
import { KafkaError } from './kafka-errors.js';

/** Each API's request and response types. */
export interface ApiMessages {
  Produce: { request: ProduceRequest; response: ProduceResponse };
  Fetch: { request: FetchRequest; response: FetchResponse };
  ListOffsets: { request: ListOffsetsRequest; response: ListOffsetsResponse };
  Metadata: { request: MetadataRequest; response: MetadataResponse };
  OffsetCommit: { request: OffsetCommitRequest; response: OffsetCommitResponse };
  OffsetFetch: { request: OffsetFetchRequest; response: OffsetFetchResponse };
  FindCoordinator: { request: FindCoordinatorRequest; response: FindCoordinatorResponse };
  JoinGroup: { request: JoinGroupRequest; response: JoinGroupResponse };
  Heartbeat: { request: HeartbeatRequest; response: HeartbeatResponse };
  LeaveGroup: { request: LeaveGroupRequest; response: LeaveGroupResponse };
  SyncGroup: { request: SyncGroupRequest; response: SyncGroupResponse };
  DescribeGroups: { request: DescribeGroupsRequest; response: DescribeGroupsResponse };
  ListGroups: { request: ListGroupsRequest; response: ListGroupsResponse };
  ApiVersions: { request: ApiVersionsRequest; response: ApiVersionsResponse };
  CreateTopics: { request: CreateTopicsRequest; response: CreateTopicsResponse };
  DeleteTopics: { request: DeleteTopicsRequest; response: DeleteTopicsResponse };
  InitProducerId: { request: InitProducerIdRequest; response: InitProducerIdResponse };
}

interface Codec<K extends ApiName> {
  decode(r: WireReader, version: number): ApiMessages[K]['request'];
  encode(w: WireWriter, version: number, response: ApiMessages[K]['response']): void;
}

const CODECS: { readonly [K in ApiName]: Codec<K> } = {
  Produce: { decode: decodeProduceRequest, encode: encodeProduceResponse },
  Fetch: { decode: decodeFetchRequest, encode: encodeFetchResponse },
  ListOffsets: { decode: decodeListOffsetsRequest, encode: encodeListOffsetsResponse },
  Metadata: { decode: decodeMetadataRequest, encode: encodeMetadataResponse },
  OffsetCommit: { decode: decodeOffsetCommitRequest, encode: encodeOffsetCommitResponse },
  OffsetFetch: { decode: decodeOffsetFetchRequest, encode: encodeOffsetFetchResponse },
  FindCoordinator: { decode: decodeFindCoordinatorRequest, encode: encodeFindCoordinatorResponse },
  JoinGroup: { decode: decodeJoinGroupRequest, encode: encodeJoinGroupResponse },
  Heartbeat: { decode: decodeHeartbeatRequest, encode: encodeHeartbeatResponse },
  LeaveGroup: { decode: decodeLeaveGroupRequest, encode: encodeLeaveGroupResponse },
  SyncGroup: { decode: decodeSyncGroupRequest, encode: encodeSyncGroupResponse },
  DescribeGroups: { decode: decodeDescribeGroupsRequest, encode: encodeDescribeGroupsResponse },
  ListGroups: { decode: decodeListGroupsRequest, encode: encodeListGroupsResponse },
  ApiVersions: { decode: decodeApiVersionsRequest, encode: encodeApiVersionsResponse },
  CreateTopics: { decode: decodeCreateTopicsRequest, encode: encodeCreateTopicsResponse },
  DeleteTopics: { decode: decodeDeleteTopicsRequest, encode: encodeDeleteTopicsResponse },
  InitProducerId: { decode: decodeInitProducerIdRequest, encode: encodeInitProducerIdResponse },
};

/** A request we speak, typed by its API. */
export type ApiCall = {
  [K in ApiName]: { readonly api: K; readonly request: ApiMessages[K]['request'] };
}[ApiName];

export type CloseReason = 'unknown-api-key' | 'unsupported-version';

export type DecodedRequest =
  | ({ readonly kind: 'request'; readonly header: RequestHeader } & ApiCall)
  /** Send `frame` and keep the connection (ApiVersions at a version above ours). */
  | {
      readonly kind: 'answer';
      readonly header: RequestHeader;
      readonly errorCode: number;
      readonly frame: Uint8Array;
    }
  /** Close the connection without answering, as Kafka does. */
  | { readonly kind: 'close'; readonly header: RequestHeader; readonly reason: CloseReason };

/**
 * Reads one request from a frame's body (readFrame's `body`). Throws WireError when the bytes
 * do not parse: the caller closes that connection. `mutant` is for tests only (wire-error.ts).
 */
export function decodeRequest(body: Uint8Array, mutant?: WireMutant): DecodedRequest {
  const r = new WireReader(body, 0, body.length, mutant);
  const prefix = readHeaderPrefix(r);
  const range = apiRange(prefix.apiKey);
  if (range === undefined) {
    return { kind: 'close', header: { ...prefix, clientId: null }, reason: 'unknown-api-key' };
  }
  const { apiVersion } = prefix;
  if (apiVersion < range.min || apiVersion > range.max) {
    if (range.key !== ApiKey.ApiVersions || mutant === 'no-api-versions-fallback') {
      return {
        kind: 'close',
        header: { ...prefix, clientId: null },
        reason: 'unsupported-version',
      };
    }
    // The header of a version we do not know may be laid out differently: only its fixed
    // prefix is needed to answer, so a client id we cannot read is left out, not fatal.
    let clientId: string | null = null;
    try {
      clientId = r.nullableString();
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
    const header = { ...prefix, clientId };
    const frame = responseFrame(prefix.correlationId, 0, (w) =>
      encodeApiVersionsResponse(w, 0, unsupportedApiVersions()),
    );
    return { kind: 'answer', header, errorCode: KafkaError.UNSUPPORTED_VERSION, frame };
  }
  const clientId = readHeaderRest(r, requestHeaderVersion(range, apiVersion));
  const header: RequestHeader = { ...prefix, clientId };
  const request = CODECS[range.api].decode(r, apiVersion);
  r.expectEnd(`${range.api} v${apiVersion} request`);
  // The cast only restates what CODECS's mapped type guarantees: TypeScript cannot correlate
  // `range.api` with CODECS[range.api]'s result across the union of APIs.
  return { kind: 'request', header, api: range.api, request } as DecodedRequest;
}

/**
 * The response frame (size prefix included) answering `header`'s request, which must be an API
 * and version we speak (decodeRequest only hands those out).
 */
export function encodeResponse<K extends ApiName>(
  api: K,
  header: RequestHeader,
  response: ApiMessages[K]['response'],
): Uint8Array {
  const range = apiRange(ApiKey[api]);
  if (range === undefined || header.apiKey !== range.key) {
    throw new Error(`encodeResponse: ${api} does not answer api key ${header.apiKey}`);
  }
  const v = header.apiVersion;
  if (v < range.min || v > range.max) {
    throw new Error(`encodeResponse: ${api} v${v} is outside our v${range.min}-v${range.max}`);
  }
  const codec: Codec<K> = CODECS[api];
  return responseFrame(header.correlationId, responseHeaderVersion(range, v), (w) =>
    codec.encode(w, v, response),
  );
}
