/**
 * Produce (key 0), v3–v7: record batch v2 only (v3 is the first version that carries it). The
 * records stay the bytes the producer sent: the broker checks them with readBatchHeader and
 * stores them as they are (record-batch.ts reads the records inside when someone needs them).
 */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface ProducePartitionData {
  readonly index: number;
  /** One or more v2 batches, concatenated; null if the client sent none. */
  readonly records: Uint8Array | null;
}

export interface ProduceTopicData {
  readonly name: string;
  readonly partitions: readonly ProducePartitionData[];
}

export interface ProduceRequest {
  readonly transactionalId: string | null;
  /** 0, 1 or -1 (all); any other value is the broker's INVALID_REQUIRED_ACKS. */
  readonly acks: number;
  readonly timeoutMs: number;
  readonly topics: readonly ProduceTopicData[];
}

export interface ProducePartitionResponse {
  readonly index: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
  /** -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: bigint;
  /** v5+. */
  readonly logStartOffset: bigint;
}

export interface ProduceResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly ProducePartitionResponse[];
  }[];
  readonly throttleTimeMs: number;
}

/** acks=0: Kafka sends no response at all, and the client expects none. */
export function produceExpectsResponse(req: ProduceRequest): boolean {
  return req.acks !== 0;
}

export function decodeProduceRequest(r: WireReader, _version: number): ProduceRequest {
  const transactionalId = r.nullableString();
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
  }));
  return { transactionalId, acks, timeoutMs, topics };
}

export function encodeProduceResponse(w: WireWriter, version: number, res: ProduceResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTimeMs);
      if (version >= 5) w.int64(p.logStartOffset);
    });
  });
  w.int32(res.throttleTimeMs);
}
