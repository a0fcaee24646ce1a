/**
 * InitProducerId (key 22), v0–v1: an idempotent producer's id and epoch, the key of its
 * per-partition sequence numbers. We have no transactions: the transactional id is read and
 * the broker refuses a non-null one.
 */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface InitProducerIdRequest {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export function decodeInitProducerIdRequest(
  r: WireReader,
  _version: number,
): InitProducerIdRequest {
  return { transactionalId: r.nullableString(), transactionTimeoutMs: r.int32() };
}

export function encodeInitProducerIdResponse(
  w: WireWriter,
  _version: number,
  res: InitProducerIdResponse,
): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch);
}
