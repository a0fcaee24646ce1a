/** Metadata (key 3), v1–v6: brokers, controller, and per topic its partitions' leaders. */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface MetadataRequest {
  /** null: every topic (v1+); an empty list: none. */
  readonly topics: readonly string[] | null;
  /** v4+; earlier versions always let the broker auto-create (we report true). */
  readonly allowAutoTopicCreation: boolean;
}

export interface MetadataBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface MetadataPartition {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  /** v5+. */
  readonly offlineReplicas: readonly number[];
}

export interface MetadataTopic {
  readonly errorCode: number;
  readonly name: string;
  readonly isInternal: boolean;
  readonly partitions: readonly MetadataPartition[];
}

export interface MetadataResponse {
  readonly throttleTimeMs: number;
  readonly brokers: readonly MetadataBroker[];
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly topics: readonly MetadataTopic[];
}

export function decodeMetadataRequest(r: WireReader, version: number): MetadataRequest {
  const topics = r.nullableArray((r) => r.string());
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  return { topics, allowAutoTopicCreation };
}

const int32s = (w: WireWriter, xs: readonly number[]) =>
  void w.array(xs, (w, x) => void w.int32(x));

export function encodeMetadataResponse(
  w: WireWriter,
  version: number,
  res: MetadataResponse,
): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.brokers, (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port).nullableString(b.rack);
  });
  if (version >= 2) w.nullableString(res.clusterId);
  w.int32(res.controllerId);
  w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name).bool(t.isInternal);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      int32s(w, p.replicaNodes);
      int32s(w, p.isrNodes);
      if (version >= 5) int32s(w, p.offlineReplicas);
    });
  });
}
