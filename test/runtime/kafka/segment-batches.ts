/** What the segment tests share: v2 batches framed around an opaque body, and temp directories. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_HEADER_BYTES } from '../../../src/runtime/kafka/batch-header.js';
import { crc32c } from '../../../src/runtime/kafka/crc32c.js';

export interface BatchSpec {
  readonly baseOffset: number;
  readonly count: number;
  /** Bytes of opaque record data after the header. */
  readonly body?: number;
  readonly maxTimestamp?: number;
  readonly epoch?: number;
}

/** A v2 batch: the 61-byte header, a body of `body` bytes, a valid CRC-32C. */
export function batch(spec: BatchSpec): Buffer {
  const body = spec.body ?? 20;
  const bytes = Buffer.alloc(BATCH_HEADER_BYTES + body);
  const ts = BigInt(spec.maxTimestamp ?? 1_000);
  bytes.writeBigInt64BE(BigInt(spec.baseOffset), 0);
  bytes.writeInt32BE(bytes.length - 12, 8);
  bytes.writeInt32BE(spec.epoch ?? 0, 12);
  bytes.writeInt8(2, 16);
  bytes.writeInt32BE(spec.count - 1, 23);
  bytes.writeBigInt64BE(ts, 27);
  bytes.writeBigInt64BE(ts, 35);
  bytes.writeBigInt64BE(-1n, 43);
  bytes.writeInt16BE(-1, 51);
  bytes.writeInt32BE(-1, 53);
  bytes.writeInt32BE(spec.count, 57);
  for (let i = 0; i < body; i++) bytes[BATCH_HEADER_BYTES + i] = (spec.baseOffset * 31 + i) & 0xff;
  bytes.writeUInt32BE(crc32c(bytes, 21), 17);
  return bytes;
}

/** The base offsets of the batches back to back in `bytes`. */
export function baseOffsetsIn(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readInt32BE(at + 8) + 12) {
    out.push(Number(bytes.readBigInt64BE(at)));
  }
  return out;
}

/** A fresh directory, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-kafka-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
