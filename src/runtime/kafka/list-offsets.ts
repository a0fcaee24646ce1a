/**
 * ListOffsets (key 2), v1–v3: an offset by timestamp; -1 asks for the log end (the high
 * watermark, or the last stable offset under READ_COMMITTED), -2 for the log start.
 */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;

export interface ListOffsetsRequest {
  readonly replicaId: number;
  /** v2+; 0 before. */
  readonly isolationLevel: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly timestamp: bigint }[];
  }[];
}

export interface ListOffsetsResponse {
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly errorCode: number;
      readonly timestamp: bigint;
      readonly offset: bigint;
    }[];
  }[];
}

export function decodeListOffsetsRequest(r: WireReader, version: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ partitionIndex: r.int32(), timestamp: r.int64() })),
  }));
  return { replicaId, isolationLevel, topics };
}

export function encodeListOffsetsResponse(
  w: WireWriter,
  version: number,
  res: ListOffsetsResponse,
): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode).int64(p.timestamp).int64(p.offset);
    });
  });
}
