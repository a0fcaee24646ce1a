import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_HEADER_BYTES,
  BatchError,
  readBatchHeader,
  stampBatch,
} from '../../../src/runtime/kafka/batch-header.js';
import { crc32c } from '../../../src/runtime/kafka/crc32c.js';

/** A batch of `count` empty-bodied records, as a producer would frame its header. */
function batch(count: number, body = 5): Uint8Array {
  const bytes = new Uint8Array(BATCH_HEADER_BYTES + body);
  const v = new DataView(bytes.buffer);
  v.setInt32(8, bytes.length - 12);
  v.setInt32(12, -1);
  v.setInt8(16, 2);
  v.setInt32(23, count - 1);
  v.setBigInt64(27, 1000n);
  v.setBigInt64(35, 1002n);
  v.setBigInt64(43, 7n);
  v.setInt16(51, 1);
  v.setInt32(53, 40);
  v.setInt32(57, count);
  bytes.fill(0x5a, BATCH_HEADER_BYTES);
  v.setUint32(17, crc32c(bytes, 21));
  return bytes;
}

const code = (c: string) => (e: unknown) => e instanceof BatchError && e.code === c;

test('a batch header is read field by field; stamping keeps its CRC valid', () => {
  const b = batch(3);
  const h = readBatchHeader(b);
  assert.equal(h.sizeInBytes, b.length);
  assert.equal(h.recordCount, 3);
  assert.equal(h.lastOffsetDelta, 2);
  assert.equal(h.producerId, 7n);
  assert.equal(h.producerEpoch, 1);
  assert.equal(h.baseSequence, 40);
  assert.equal(h.maxTimestamp, 1002n);
  stampBatch(b, 0, 1234n, 9);
  const s = readBatchHeader(b);
  assert.equal(s.baseOffset, 1234n);
  assert.equal(s.partitionLeaderEpoch, 9);
});

test('a torn, flipped or foreign batch is refused with its code', () => {
  const b = batch(2);
  assert.throws(() => readBatchHeader(b.subarray(0, 40)), code('short'));
  assert.throws(() => readBatchHeader(b.subarray(0, b.length - 1)), code('length'));
  const flipped = b.slice();
  flipped[BATCH_HEADER_BYTES + 2] = (flipped[BATCH_HEADER_BYTES + 2] ?? 0) ^ 1;
  assert.throws(() => readBatchHeader(flipped), code('crc'));
  assert.doesNotThrow(() => readBatchHeader(flipped, 0, false));
  const v1 = b.slice();
  v1[16] = 1;
  assert.throws(() => readBatchHeader(v1), code('magic'));
  const lying = batch(2);
  new DataView(lying.buffer).setInt32(57, 9);
  new DataView(lying.buffer).setUint32(17, crc32c(lying, 21));
  assert.throws(() => readBatchHeader(lying), code('count'));
});
