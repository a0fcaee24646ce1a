/**
 * Fetch (key 1), v4–v11: the consumer's (and a follower's) read. v4 is the first that returns
 * record batch v2 and the isolation level; v5 adds log start offsets; v7 fetch sessions
 * (KIP-227: we answer session id 0, "no session", so every fetch is a full one); v9 the current
 * leader epoch (KIP-320); v11 the rack and the preferred read replica (KIP-392).
 */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface FetchPartition {
  readonly partition: number;
  /** v9+; -1 when the client does not know it. */
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: bigint;
  /** v5+; only followers set it, -1 otherwise. */
  readonly logStartOffset: bigint;
  readonly partitionMaxBytes: number;
}

export interface FetchRequest {
  /** -1 for a consumer, the broker id for a follower. */
  readonly replicaId: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** 0 READ_UNCOMMITTED, 1 READ_COMMITTED. */
  readonly isolationLevel: number;
  /** v7+; 0 = no session. */
  readonly sessionId: number;
  readonly sessionEpoch: number;
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly FetchPartition[];
  }[];
  readonly forgottenTopics: readonly {
    readonly topic: string;
    readonly partitions: readonly number[];
  }[];
  /** v11+; '' before. */
  readonly rackId: string;
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

export interface FetchPartitionResponse {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  /** v5+. */
  readonly logStartOffset: bigint;
  /** null or empty: we have no transactions to abort. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  /** v11+; -1: read from the leader. */
  readonly preferredReadReplica: number;
  /** Whole v2 batches as stored (a fetch may end in a partial one; clients skip it). */
  readonly records: Uint8Array | null;
}

export interface FetchResponse {
  readonly throttleTimeMs: number;
  /** v7+: the top-level error (fetch session errors). */
  readonly errorCode: number;
  readonly sessionId: number;
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly FetchPartitionResponse[];
  }[];
}

export function decodeFetchRequest(r: WireReader, version: number): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  const isolationLevel = r.int8();
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topics = r.array((r) => ({
    topic: r.string(),
    partitions: r.array((r): FetchPartition => ({
      partition: r.int32(),
      currentLeaderEpoch: version >= 9 ? r.int32() : -1,
      fetchOffset: r.int64(),
      logStartOffset: version >= 5 ? r.int64() : -1n,
      partitionMaxBytes: r.int32(),
    })),
  }));
  const forgottenTopics =
    version >= 7
      ? r.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) }))
      : [];
  const rackId = version >= 11 ? r.string() : '';
  return {
    replicaId,
    maxWaitMs,
    minBytes,
    maxBytes,
    isolationLevel,
    sessionId,
    sessionEpoch,
    topics,
    forgottenTopics,
    rackId,
  };
}

export function encodeFetchResponse(w: WireWriter, version: number, res: FetchResponse): void {
  w.int32(res.throttleTimeMs);
  if (version >= 7) w.int16(res.errorCode).int32(res.sessionId);
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark);
      w.int64(p.lastStableOffset);
      if (version >= 5) w.int64(p.logStartOffset);
      w.nullableArray(
        p.abortedTransactions,
        (w, a) => void w.int64(a.producerId).int64(a.firstOffset),
      );
      if (version >= 11) w.int32(p.preferredReadReplica);
      w.nullableBytes(p.records);
    });
  });
}
