/**
 * The records inside a record batch v2 (magic 2): reading them (for the checker, the lab and
 * tests) and building a batch (for tests, and for a broker that writes its own). The 61-byte
 * header is batch-header.ts's; here is what follows it, `recordCount` records, each:
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint, key | valueLength varint, value | headerCount varint,
 *   (keyLength varint, key utf-8 | valueLength varint, value)*
 *
 * (varints zigzag-encoded; a length of -1 is null). Only uncompressed batches: the codec bits
 * of the attributes must be 0, else RecordBatchError 'compressed', which a broker answers with
 * UNSUPPORTED_COMPRESSION_TYPE (76) — truthkit stores and serves what it can read.
 */
import {
  BATCH_HEADER_BYTES,
  BatchError,
  readBatchHeader,
  type BatchHeader,
} from './batch-header.js';
import { crc32c } from './crc32c.js';
import { KafkaError } from './kafka-errors.js';
import { WireError, type WireMutant } from './wire-error.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/** Attributes bits 0–2: none, gzip, snappy, lz4, zstd. */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const TRANSACTIONAL_FLAG = 0x10;
export const CONTROL_FLAG = 0x20;

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface KafkaRecord {
  readonly attributes: number;
  readonly timestampDelta: bigint;
  readonly offsetDelta: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

export interface RecordBatch {
  readonly header: BatchHeader;
  readonly records: readonly KafkaRecord[];
}

export type RecordBatchProblem = 'compressed' | 'record';

/** Why a batch's records cannot be read; `code` for programs, `message` for people. */
export class RecordBatchError extends Error {
  constructor(
    readonly code: RecordBatchProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RecordBatchError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One record, read within its own length: a lying field cannot reach into the next record. */
function readRecord(outer: WireReader, mutant: WireMutant | undefined): KafkaRecord {
  const length = outer.varint();
  if (length < 0) throw new WireError('negative-length', `record length ${length}`);
  const r = new WireReader(outer.raw(length), 0, length, mutant);
  const attributes = r.int8();
  const timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  const key = varBytes(r);
  const value = varBytes(r);
  const headerCount = r.varint();
  if (headerCount < 0 || headerCount > r.remaining) {
    throw new WireError('too-many', `${headerCount} record headers`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const k = varBytes(r);
    if (k === null) throw new WireError('negative-length', 'record header key is null');
    headers.push({ key: headerKey(k), value: varBytes(r) });
  }
  r.expectEnd(`a record of ${length} bytes`);
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

function headerKey(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WireError('bad-string', 'record header key is not UTF-8');
  }
}

function varBytes(r: WireReader): Uint8Array | null {
  const n = r.varint();
  if (n === -1) return null;
  if (n < -1) throw new WireError('negative-length', `record field length ${n}`);
  return r.raw(n);
}

/**
 * The batch at `bytes[at]` with its records, CRC checked. Throws BatchError for a bad header or
 * CRC, RecordBatchError 'compressed' for a compressed batch, and 'record' when the records do
 * not fill the batch exactly or their offset deltas are not 0, 1, 2, … (Kafka's LogValidator
 * refuses those too). `mutant` is for tests only (wire-error.ts).
 */
export function readRecordBatch(bytes: Uint8Array, at = 0, mutant?: WireMutant): RecordBatch {
  const header = readBatchHeader(bytes, at);
  if ((header.attributes & COMPRESSION_MASK) !== 0 && mutant !== 'accept-compressed') {
    throw new RecordBatchError(
      'compressed',
      `batch compressed with codec ${header.attributes & COMPRESSION_MASK}; only uncompressed batches are supported`,
    );
  }
  const r = new WireReader(bytes, at + BATCH_HEADER_BYTES, at + header.sizeInBytes, mutant);
  const records: KafkaRecord[] = [];
  try {
    for (let i = 0; i < header.recordCount; i++) {
      const rec = readRecord(r, mutant);
      if (rec.offsetDelta !== i && mutant !== 'no-offset-delta-check') {
        throw new RecordBatchError('record', `record ${i} has offset delta ${rec.offsetDelta}`);
      }
      records.push(rec);
    }
    r.expectEnd(`${header.recordCount} records`);
  } catch (e) {
    if (e instanceof WireError) throw new RecordBatchError('record', `batch records: ${e.message}`);
    throw e;
  }
  return { header, records };
}

/** Every batch in a records field (a produce request's, a fetch response's), in order. */
export function readRecordBatches(bytes: Uint8Array, mutant?: WireMutant): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let at = 0; at < bytes.length;) {
    const b = readRecordBatch(bytes, at, mutant);
    out.push(b);
    at += b.header.sizeInBytes;
  }
  return out;
}

/** The error code a Produce answers for a batch that readRecordBatch refused. */
export function produceErrorFor(e: unknown): number {
  if (e instanceof RecordBatchError) {
    return e.code === 'compressed'
      ? KafkaError.UNSUPPORTED_COMPRESSION_TYPE
      : KafkaError.CORRUPT_MESSAGE;
  }
  if (e instanceof BatchError) return KafkaError.CORRUPT_MESSAGE;
  throw e;
}

export interface NewRecord {
  readonly key?: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  /** Milliseconds after the batch's base timestamp; 0 if absent. */
  readonly timestampDelta?: bigint;
}

export interface NewBatch {
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
  /** Only the timestamp-type and transactional bits; compression is always none. */
  readonly attributes?: number;
  readonly baseTimestamp: bigint;
  /** -1 and 0 for a producer that is not idempotent. */
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly records: readonly NewRecord[];
}

function writeVarBytes(w: WireWriter, b: Uint8Array | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).raw(b);
}

/** A whole uncompressed v2 batch, CRC-32C stamped. */
export function buildRecordBatch(batch: NewBatch): Uint8Array {
  if (batch.records.length === 0) throw new RangeError('a record batch holds at least one record');
  const attributes = batch.attributes ?? 0;
  if ((attributes & COMPRESSION_MASK) !== 0)
    throw new RangeError('buildRecordBatch writes uncompressed batches only');
  const encoder = new TextEncoder();
  let maxDelta = 0n;
  const body = new WireWriter();
  batch.records.forEach((rec, i) => {
    const delta = rec.timestampDelta ?? 0n;
    if (delta > maxDelta) maxDelta = delta;
    const one = new WireWriter();
    one.int8(0).varlong(delta).varint(i);
    writeVarBytes(one, rec.key ?? null);
    writeVarBytes(one, rec.value);
    const headers = rec.headers ?? [];
    one.varint(headers.length);
    for (const h of headers) {
      writeVarBytes(one, encoder.encode(h.key));
      writeVarBytes(one, h.value);
    }
    body.varint(one.length).raw(one.toBytes());
  });
  const w = new WireWriter(BATCH_HEADER_BYTES + body.length);
  w.int64(batch.baseOffset ?? 0n);
  w.int32(BATCH_HEADER_BYTES - 12 + body.length);
  w.int32(batch.partitionLeaderEpoch ?? -1);
  w.int8(2);
  w.uint32(0);
  w.int16(attributes);
  w.int32(batch.records.length - 1);
  w.int64(batch.baseTimestamp);
  w.int64(batch.baseTimestamp + maxDelta);
  w.int64(batch.producerId ?? -1n);
  w.int16(batch.producerEpoch ?? -1);
  w.int32(batch.baseSequence ?? -1);
  w.int32(batch.records.length);
  w.raw(body.toBytes());
  const bytes = w.toBytes();
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(17, crc32c(bytes, 21));
  return bytes;
}
