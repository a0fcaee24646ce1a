/** Topic administration: CreateTopics (key 19) v0–v3 and DeleteTopics (key 20) v0–v1. */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface CreatableTopic {
  readonly name: string;
  /** -1: the broker's default (then assignments must be empty, or it is the whole layout). */
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly assignments: readonly {
    readonly partitionIndex: number;
    readonly brokerIds: readonly number[];
  }[];
  readonly configs: readonly { readonly name: string; readonly value: string | null }[];
}

export interface CreateTopicsRequest {
  readonly topics: readonly CreatableTopic[];
  readonly timeoutMs: number;
  /** v1+. */
  readonly validateOnly: boolean;
}

export interface CreateTopicsResponse {
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly errorCode: number;
    /** v1+. */
    readonly errorMessage: string | null;
  }[];
}

export function decodeCreateTopicsRequest(r: WireReader, version: number): CreateTopicsRequest {
  const topics = r.array((r): CreatableTopic => ({
    name: r.string(),
    numPartitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((r) => ({
      partitionIndex: r.int32(),
      brokerIds: r.array((r) => r.int32()),
    })),
    configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
  }));
  const timeoutMs = r.int32();
  const validateOnly = version >= 1 ? r.bool() : false;
  return { topics, timeoutMs, validateOnly };
}

export function encodeCreateTopicsResponse(
  w: WireWriter,
  version: number,
  res: CreateTopicsResponse,
): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name).int16(t.errorCode);
    if (version >= 1) w.nullableString(t.errorMessage);
  });
}

export interface DeleteTopicsRequest {
  readonly topicNames: readonly string[];
  readonly timeoutMs: number;
}

export interface DeleteTopicsResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly { readonly name: string; readonly errorCode: number }[];
}

export function decodeDeleteTopicsRequest(r: WireReader, _version: number): DeleteTopicsRequest {
  const topicNames = r.array((r) => r.string());
  return { topicNames, timeoutMs: r.int32() };
}

export function encodeDeleteTopicsResponse(
  w: WireWriter,
  version: number,
  res: DeleteTopicsResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => void w.string(t.name).int16(t.errorCode));
}
