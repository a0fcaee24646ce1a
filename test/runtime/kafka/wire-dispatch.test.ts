/**
 * What the dispatcher does with requests it cannot serve as asked (Kafka's choices: answer an
 * unknown ApiVersions version in v0 with UNSUPPORTED_VERSION, close on anything else we do not
 * speak), ApiVersions v3 (flexible) byte by byte, frames, and malformed bytes: typed WireErrors,
 * never another exception, including under a bounded seeded fuzz of kafkajs's own requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_TABLE, ApiKey } from '../../../src/runtime/kafka/api-versions-table.js';
import {
  supportedApiVersions,
  validClientSoftware,
} from '../../../src/runtime/kafka/api-versions.js';
import { decodeRequest, encodeResponse } from '../../../src/runtime/kafka/dispatch.js';
import { readFrame, responseFrame } from '../../../src/runtime/kafka/frame.js';
import { KafkaError } from '../../../src/runtime/kafka/kafka-errors.js';
import { WireError, type WireProblemCode } from '../../../src/runtime/kafka/wire-error.js';
import { WireReader } from '../../../src/runtime/kafka/wire-reader.js';
import { WireWriter } from '../../../src/runtime/kafka/wire-writer.js';
import { kafkajsFrame, kjs } from './kafkajs-harness.js';

const wire = (code: WireProblemCode) => (e: unknown) => e instanceof WireError && e.code === code;

/** A request body: header v1 (or v2 with tagged fields) then `body`. */
function request(
  key: number,
  version: number,
  body: (w: WireWriter) => void,
  flexible = false,
): Uint8Array {
  const w = new WireWriter();
  w.int16(key).int16(version).int32(77).nullableString('rdkafka');
  if (flexible) w.taggedFields();
  body(w);
  return w.toBytes();
}

test('ApiVersions v3 (flexible): compact request read, compact response with header v0', () => {
  const body = request(
    ApiKey.ApiVersions,
    3,
    (w) => w.compactString('librdkafka').compactString('2.0.2').taggedFields(),
    true,
  );
  const d = decodeRequest(body);
  assert.equal(d.kind, 'request');
  if (d.kind !== 'request' || d.api !== 'ApiVersions') throw new Error('not ApiVersions');
  assert.deepEqual(d.request, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
  assert.equal(d.header.clientId, 'rdkafka');

  const frame = encodeResponse('ApiVersions', d.header, supportedApiVersions());
  const r = new WireReader(frame);
  assert.equal(r.int32(), frame.length - 4);
  assert.equal(r.int32(), 77); // header v0: no tagged fields, even in v3
  assert.equal(r.int16(), 0);
  const keys = r.compactArray((r) => {
    const k = [r.int16(), r.int16(), r.int16()];
    assert.equal(r.taggedFields().size, 0);
    return k;
  });
  assert.deepEqual(
    keys,
    API_TABLE.map((x) => [x.key, x.min, x.max]),
  );
  assert.equal(r.int32(), 0);
  assert.equal(r.taggedFields().size, 0);
  r.expectEnd('ApiVersions v3 response');
  // The names Kafka answers with INVALID_REQUEST instead (the broker checks, with this).
  for (const ok of ['librdkafka', '2.0.2', 'confluent-kafka-python', 'a'])
    assert.ok(validClientSoftware(ok), ok);
  for (const bad of ['', '-x', 'x-', 'has space', 'é']) assert.ok(!validClientSoftware(bad), bad);
});

test('ApiVersions above our max: answered in v0 with UNSUPPORTED_VERSION and our range', async () => {
  const body = request(
    ApiKey.ApiVersions,
    4,
    (w) => w.compactString('future').compactString('9').taggedFields(),
    true,
  );
  const d = decodeRequest(body);
  assert.equal(d.kind, 'answer');
  if (d.kind !== 'answer') throw new Error('unreachable');
  assert.equal(d.errorCode, KafkaError.UNSUPPORTED_VERSION);
  assert.equal(d.header.correlationId, 77);
  const r = new WireReader(d.frame);
  assert.equal(r.int32(), d.frame.length - 4);
  assert.equal(r.int32(), 77);
  assert.equal(r.int16(), 35);
  assert.deepEqual(
    r.array((r) => [r.int16(), r.int16(), r.int16()]),
    [[18, 0, 3]],
  );
  r.expectEnd('v0 body');
  // kafkajs's v0 decoder turns it into the error its negotiation steps down on.
  const { decode } = kjs('requests/apiVersions/v0/response');
  await assert.rejects(decode(Buffer.from(d.frame.subarray(8))), { type: 'UNSUPPORTED_VERSION' });
});

test('any other API at a version we do not speak, or an unknown key: close, as Kafka does', () => {
  const cases: [number, number, string][] = [
    [ApiKey.Metadata, 7, 'unsupported-version'],
    [ApiKey.Metadata, 0, 'unsupported-version'],
    [ApiKey.Produce, 2, 'unsupported-version'],
    [ApiKey.Fetch, 12, 'unsupported-version'],
    [17, 1, 'unknown-api-key'], // SaslHandshake: we offer no SASL
    [999, 0, 'unknown-api-key'],
    [-1, 0, 'unknown-api-key'],
  ];
  for (const [key, version, reason] of cases) {
    const d = decodeRequest(request(key, version, () => {}));
    assert.equal(d.kind, 'close', `${key} v${version}`);
    if (d.kind === 'close') {
      assert.equal(d.reason, reason);
      assert.equal(d.header.correlationId, 77);
    }
  }
});

test('frames: partial waits, two frames split, sizes outside [0, max] refused', () => {
  const w = new WireWriter();
  w.int32(3)
    .raw(new Uint8Array([1, 2, 3]))
    .int32(0)
    .int32(2)
    .raw(new Uint8Array([9]));
  const buf = w.toBytes();
  const first = readFrame(buf);
  assert.deepEqual([...(first?.body ?? [])], [1, 2, 3]);
  const second = readFrame(buf, first?.next);
  assert.equal(second?.body.length, 0);
  assert.equal(readFrame(buf, second?.next), null, 'a frame missing a byte waits');
  assert.equal(readFrame(buf.subarray(0, 3)), null, 'a size prefix missing a byte waits');
  const neg = new WireWriter().int32(-1).toBytes();
  assert.throws(() => readFrame(neg), wire('frame-size'));
  const huge = new WireWriter().int32(1000).toBytes();
  assert.throws(() => readFrame(huge, 0, 999), wire('frame-size'));
  assert.equal(readFrame(huge, 0, 1000), null);
  // Response header v0 is the correlation id; v1 (flexible responses) adds an empty tag section.
  assert.deepEqual([...responseFrame(9, 0, (w) => w.int8(5))], [0, 0, 0, 5, 0, 0, 0, 9, 5]);
  assert.deepEqual([...responseFrame(9, 1, (w) => w.int8(5))], [0, 0, 0, 6, 0, 0, 0, 9, 0, 5]);
});

test('malformed requests: truncation, negative lengths, huge counts, bad varints, leftovers', async () => {
  assert.throws(() => decodeRequest(new Uint8Array(7)), wire('truncated'));
  const meta = (body: (w: WireWriter) => void) => request(ApiKey.Metadata, 1, body);
  assert.throws(() => decodeRequest(meta((w) => w.int32(1e9))), wire('too-many'));
  assert.throws(() => decodeRequest(meta((w) => w.int32(-2))), wire('negative-length'));
  assert.throws(() => decodeRequest(meta((w) => w.int32(1).int16(-5))), wire('negative-length'));
  assert.throws(() => decodeRequest(meta((w) => w.int32(1).int16(-1))), wire('negative-length'));
  assert.throws(
    () => decodeRequest(meta((w) => w.int32(1).int16(10).raw(new Uint8Array(3)))),
    wire('truncated'),
  );
  assert.throws(
    () =>
      decodeRequest(
        meta((w) =>
          w
            .int32(1)
            .int16(2)
            .raw(new Uint8Array([0xc3, 0x28])),
        ),
      ),
    wire('bad-string'),
  );
  assert.throws(() => decodeRequest(meta((w) => w.int32(0).int8(0))), wire('trailing-bytes'));
  const badVarint = request(
    ApiKey.ApiVersions,
    3,
    (w) => w.raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
    true,
  );
  assert.throws(() => decodeRequest(badVarint), wire('bad-varint'));
  const outOfOrderTags = request(
    ApiKey.ApiVersions,
    3,
    (w) => {
      w.compactString('a').compactString('b');
      w.uvarint(2).uvarint(5).uvarint(0).uvarint(1).uvarint(0);
    },
    true,
  );
  assert.throws(() => decodeRequest(outOfOrderTags), wire('bad-value'));
  // A whole kafkajs Produce, cut anywhere before its end.
  const produce = await kafkajsFrame('produce', 7, {
    acks: 1,
    timeout: 100,
    topicData: [
      { topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] },
    ],
  });
  const body = produce.subarray(4);
  for (let cut = 0; cut < body.length; cut++) {
    assert.throws(() => decodeRequest(body.subarray(0, cut)), WireError, `cut at ${cut}`);
  }
});

/** xorshift32: the fuzz's own deterministic stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

test('fuzz: 5,000 mutated requests of every API give a result or a WireError, nothing else', async () => {
  const seeds: Buffer[] = [
    await kafkajsFrame('metadata', 6, { topics: ['a', 'b'], allowAutoTopicCreation: true }),
    await kafkajsFrame('fetch', 11, {
      replicaId: -1,
      maxWaitTime: 1,
      minBytes: 1,
      maxBytes: 10,
      isolationLevel: 1,
      topics: [{ topic: 'a', partitions: [{ partition: 0, fetchOffset: '5', maxBytes: 10 }] }],
    }),
    await kafkajsFrame('joinGroup', 5, {
      groupId: 'g',
      sessionTimeout: 1,
      rebalanceTimeout: 2,
      memberId: '',
      protocolType: 'consumer',
      groupProtocols: [
        { name: 'rr', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 97, 0, 0, 0, 0]) },
      ],
    }),
    await kafkajsFrame('offsetCommit', 5, {
      groupId: 'g',
      groupGenerationId: 1,
      memberId: 'm',
      topics: [{ topic: 'a', partitions: [{ partition: 0, offset: '1' }] }],
    }),
    await kafkajsFrame('createTopics', 3, {
      topics: [{ topic: 'a', numPartitions: 1 }],
      timeout: 1,
    }),
    await kafkajsFrame('produce', 7, {
      acks: -1,
      timeout: 1,
      topicData: [{ topic: 'a', partitions: [{ partition: 0, messages: [{ value: 'v' }] }] }],
    }),
    await kafkajsFrame('listOffsets', 3, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ topic: 'a', partitions: [{ partition: 0 }] }],
    }),
    await kafkajsFrame('offsetFetch', 4, {
      groupId: 'g',
      topics: [{ topic: 'a', partitions: [{ partition: 0 }] }],
    }),
    await kafkajsFrame('findCoordinator', 2, { coordinatorKey: 'g', coordinatorType: 0 }),
    await kafkajsFrame('heartbeat', 3, { groupId: 'g', groupGenerationId: 1, memberId: 'm' }),
    await kafkajsFrame('leaveGroup', 3, { groupId: 'g', members: [{ memberId: 'm' }] }),
    await kafkajsFrame('syncGroup', 3, {
      groupId: 'g',
      generationId: 1,
      memberId: 'm',
      groupAssignment: [{ memberId: 'm', memberAssignment: Buffer.from([0, 0, 0, 0, 0, 0]) }],
    }),
    await kafkajsFrame('describeGroups', 2, { groupIds: ['g'] }),
    await kafkajsFrame('listGroups', 2, {}),
    await kafkajsFrame('apiVersions', 2, {}),
    await kafkajsFrame('deleteTopics', 1, { topics: ['a'], timeout: 1 }),
    await kafkajsFrame('initProducerId', 1, { transactionalId: null, transactionTimeout: 1 }),
    Buffer.concat([
      Buffer.alloc(4),
      request(
        ApiKey.ApiVersions,
        3,
        (w) => w.compactString('x').compactString('1').taggedFields(),
        true,
      ),
    ]),
  ];
  // Every API of the table is among the seeds, at its highest version.
  assert.deepEqual(
    new Set(seeds.map((b) => b.readInt16BE(4))),
    new Set(API_TABLE.map((r) => r.key)),
  );
  const next = rng(0x6b61666b);
  let errors = 0;
  for (let i = 0; i < 5000; i++) {
    const base = seeds[next() % seeds.length] as Buffer;
    const bytes = Uint8Array.from(base.subarray(4));
    const edits = 1 + (next() % 4);
    let view = bytes;
    for (let e = 0; e < edits; e++) {
      const kind = next() % 3;
      const at = next() % Math.max(1, view.length);
      if (kind === 0) view[at] = next() & 0xff;
      else if (kind === 1) view = view.subarray(0, at);
      else view[at] = [0x00, 0x7f, 0x80, 0xff][next() % 4] as number;
    }
    try {
      decodeRequest(view);
    } catch (e) {
      assert.ok(e instanceof WireError, `mutation ${i}: ${String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 1000, `most mutations are refused (${errors})`);
});
