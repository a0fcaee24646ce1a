/**
 * Every codec mutant (one rule removed, WIRE_MUTANTS in wire-error.ts) is caught: each scenario
 * below holds for the real codec and fails for the mutant it is listed against.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../../src/runtime/kafka/api-versions-table.js';
import { decodeRequest } from '../../../src/runtime/kafka/dispatch.js';
import { readFrame } from '../../../src/runtime/kafka/frame.js';
import { crc32c } from '../../../src/runtime/kafka/crc32c.js';
import {
  buildRecordBatch,
  readRecordBatch,
  RecordBatchError,
} from '../../../src/runtime/kafka/record-batch.js';
import {
  WIRE_MUTANTS,
  WireError,
  type WireMutant,
  type WireProblemCode,
} from '../../../src/runtime/kafka/wire-error.js';
import { WireWriter } from '../../../src/runtime/kafka/wire-writer.js';
import { kjs } from './kafkajs-harness.js';

const wire = (code: WireProblemCode) => (e: unknown) => e instanceof WireError && e.code === code;
const batchProblem = (code: string) => (e: unknown) =>
  e instanceof RecordBatchError && e.code === code;

function metadataV1(body: (w: WireWriter) => void): Uint8Array {
  const w = new WireWriter().int16(ApiKey.Metadata).int16(1).int32(5).nullableString('c');
  body(w);
  return w.toBytes();
}

async function countChecked(m?: WireMutant): Promise<void> {
  assert.throws(
    () =>
      decodeRequest(
        metadataV1((w) => w.int32(1e9).string('a')),
        m,
      ),
    wire('too-many'),
  );
}

async function trailingChecked(m?: WireMutant): Promise<void> {
  assert.throws(
    () =>
      decodeRequest(
        metadataV1((w) => w.int32(0).int8(1)),
        m,
      ),
    wire('trailing-bytes'),
  );
}

async function frameLimited(m?: WireMutant): Promise<void> {
  const prefix = new WireWriter().int32(1025).toBytes();
  assert.throws(() => readFrame(prefix, 0, 1024, m), wire('frame-size'));
}

async function offsetDeltasChecked(m?: WireMutant): Promise<void> {
  const b = buildRecordBatch({ baseTimestamp: 0n, records: [{ value: Uint8Array.of(1) }] });
  b[64] = 4; // the only record claims offset delta 2
  new DataView(b.buffer).setUint32(17, crc32c(b, 21));
  assert.throws(() => readRecordBatch(b, 0, m), batchProblem('record'));
}

async function compressedRefused(m?: WireMutant): Promise<void> {
  const { RecordBatch } = kjs('recordBatch/v0');
  const Record = kjs('recordBatch/record/v0');
  const { Types } = kjs('message/compression');
  const gz = await RecordBatch({
    compression: Types.GZIP,
    records: [Record({ value: Buffer.from('compressed') })],
  });
  assert.throws(() => readRecordBatch(gz.buffer, 0, m), batchProblem('compressed'));
}

async function apiVersionsFallsBack(m?: WireMutant): Promise<void> {
  const w = new WireWriter().int16(ApiKey.ApiVersions).int16(9).int32(5).nullableString('c');
  assert.equal(decodeRequest(w.taggedFields().toBytes(), m).kind, 'answer');
}

const CATCHES: Record<WireMutant, (m?: WireMutant) => Promise<void>> = {
  'no-count-check': countChecked,
  'no-trailing-check': trailingChecked,
  'no-frame-limit': frameLimited,
  'no-offset-delta-check': offsetDeltasChecked,
  'accept-compressed': compressedRefused,
  'no-api-versions-fallback': apiVersionsFallsBack,
};

test('each scenario holds for the real codec', async () => {
  for (const scenario of new Set(Object.values(CATCHES))) await scenario();
});

test('every wire mutant is caught', async () => {
  for (const mutant of WIRE_MUTANTS) {
    await assert.rejects(CATCHES[mutant](mutant), `mutant ${mutant} was not caught`);
  }
});
