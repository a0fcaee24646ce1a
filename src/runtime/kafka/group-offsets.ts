/** A group's committed offsets: OffsetCommit (key 8) v2–v5 and OffsetFetch (key 9) v1–v4. */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface OffsetCommitRequest {
  readonly groupId: string;
  /** -1 with member '' for a commit from outside any generation ("simple" consumer). */
  readonly generationId: number;
  readonly memberId: string;
  /** v2–v4; -1 (broker default) from v5, where the field is gone. */
  readonly retentionTimeMs: bigint;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly committedOffset: bigint;
      readonly committedMetadata: string | null;
    }[];
  }[];
}

export interface PartitionErrors {
  readonly throttleTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: number }[];
  }[];
}

export type OffsetCommitResponse = PartitionErrors;

export function decodeOffsetCommitRequest(r: WireReader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const retentionTimeMs = version <= 4 ? r.int64() : -1n;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({
      partitionIndex: r.int32(),
      committedOffset: r.int64(),
      committedMetadata: r.nullableString(),
    })),
  }));
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export function encodeOffsetCommitResponse(
  w: WireWriter,
  version: number,
  res: OffsetCommitResponse,
): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => void w.int32(p.partitionIndex).int16(p.errorCode));
  });
}

export interface OffsetFetchRequest {
  readonly groupId: string;
  /** null (v2+): every partition the group has committed for. */
  readonly topics:
    readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;
}

export interface OffsetFetchResponse {
  /** v3+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      /** -1: nothing committed. */
      readonly committedOffset: bigint;
      readonly metadata: string | null;
      readonly errorCode: number;
    }[];
  }[];
  /** v2+: a group-level error (e.g. NOT_COORDINATOR). */
  readonly errorCode: number;
}

export function decodeOffsetFetchRequest(r: WireReader, _version: number): OffsetFetchRequest {
  const groupId = r.string();
  const topics = r.nullableArray((r) => ({
    name: r.string(),
    partitionIndexes: r.array((r) => r.int32()),
  }));
  return { groupId, topics };
}

export function encodeOffsetFetchResponse(
  w: WireWriter,
  version: number,
  res: OffsetFetchResponse,
): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.metadata);
      w.int16(p.errorCode);
    });
  });
  if (version >= 2) w.int16(res.errorCode);
}
