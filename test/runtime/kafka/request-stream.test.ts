/**
 * RequestStream: TCP chunks in, decoded requests out, whatever the chunking; Kafka's answer to
 * ApiVersions above our range; close events with a reason and nothing after them; and views
 * handed out earlier (a produce's records) unchanged by later chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../../src/runtime/kafka/api-versions-table.js';
import { RequestStream, type StreamEvent } from '../../../src/runtime/kafka/request-stream.js';
import { readRecordBatches } from '../../../src/runtime/kafka/record-batch.js';
import { WireWriter } from '../../../src/runtime/kafka/wire-writer.js';
import { kafkajsFrame } from './kafkajs-harness.js';

async function frames(): Promise<Buffer> {
  return Buffer.concat([
    await kafkajsFrame('apiVersions', 2, {}),
    await kafkajsFrame('produce', 7, {
      acks: -1,
      timeout: 100,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'kept' }] }] }],
    }),
    await kafkajsFrame('metadata', 6, { topics: ['t'] }),
  ]);
}

const summary = (evs: StreamEvent[]) =>
  evs.map((e) => (e.kind === 'request' ? `${e.api} v${e.header.apiVersion}` : e.kind));

test('the same requests come out whatever the chunking, and earlier views stay intact', async () => {
  const bytes = await frames();
  const whole = new RequestStream().push(bytes);
  assert.deepEqual(summary(whole), ['ApiVersions v2', 'Produce v7', 'Metadata v6']);
  for (const size of [1, 3, 7, 64]) {
    const s = new RequestStream(1 << 16);
    const evs: StreamEvent[] = [];
    for (let at = 0; at < bytes.length; at += size)
      evs.push(...s.push(bytes.subarray(at, at + size)));
    assert.deepEqual(summary(evs), summary(whole), `chunks of ${size}`);
    const produce = evs[1];
    assert.ok(produce?.kind === 'request' && produce.api === 'Produce');
    // More bytes after the produce was handed out must not disturb its records.
    for (let i = 0; i < 50; i++) s.push(bytes);
    const records = produce.request.topics[0]?.partitions[0]?.records;
    assert.ok(records);
    assert.equal(
      Buffer.from(readRecordBatches(records)[0]?.records[0]?.value ?? []).toString(),
      'kept',
    );
  }
});

test('ApiVersions above our range is answered and the stream goes on; a refusal closes it', () => {
  const w = new WireWriter();
  const v9 = new WireWriter()
    .int16(ApiKey.ApiVersions)
    .int16(9)
    .int32(1)
    .nullableString(null)
    .taggedFields()
    .toBytes();
  const metadataV0 = new WireWriter()
    .int16(ApiKey.Metadata)
    .int16(0)
    .int32(2)
    .nullableString(null)
    .int32(0)
    .toBytes();
  const v0 = new WireWriter()
    .int16(ApiKey.ApiVersions)
    .int16(0)
    .int32(3)
    .nullableString(null)
    .toBytes();
  for (const body of [v9, v0, metadataV0, v0]) w.int32(body.length).raw(body);
  const s = new RequestStream();
  const evs = s.push(w.toBytes());
  assert.deepEqual(summary(evs), ['answer', 'ApiVersions v0', 'close']);
  const closing = evs[2];
  assert.ok(closing?.kind === 'close');
  assert.equal(closing.reason, 'unsupported-version');
  assert.deepEqual(s.push(v0), [], 'nothing after close');
});

test('a frame over the limit or bytes that do not parse close with the WireError code', () => {
  const big = new RequestStream(1024);
  const [ev] = big.push(new WireWriter().int32(5000).toBytes());
  assert.ok(ev?.kind === 'close');
  assert.equal(ev.reason, 'frame-size');
  const bad = new RequestStream();
  const body = new WireWriter()
    .int16(ApiKey.Metadata)
    .int16(1)
    .int32(1)
    .nullableString(null)
    .int32(-7)
    .toBytes();
  const [ev2] = bad.push(new WireWriter().int32(body.length).raw(body).toBytes());
  assert.ok(ev2?.kind === 'close');
  assert.equal(ev2.reason, 'negative-length');
  assert.throws(() => new RequestStream(4), RangeError);
});
