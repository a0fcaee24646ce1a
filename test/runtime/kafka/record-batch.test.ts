/**
 * Record batch v2 bodies against kafkajs's batch builder and decoder, the consumer protocol's
 * payloads against kafkajs's assigner protocol, and the varint primitives against kafkajs's
 * encoder at their boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchError } from '../../../src/runtime/kafka/batch-header.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/runtime/kafka/consumer-protocol.js';
import { crc32c } from '../../../src/runtime/kafka/crc32c.js';
import { KafkaError } from '../../../src/runtime/kafka/kafka-errors.js';
import {
  buildRecordBatch,
  produceErrorFor,
  readRecordBatch,
  readRecordBatches,
  RecordBatchError,
} from '../../../src/runtime/kafka/record-batch.js';
import { WireError } from '../../../src/runtime/kafka/wire-error.js';
import { WireReader } from '../../../src/runtime/kafka/wire-reader.js';
import { WireWriter } from '../../../src/runtime/kafka/wire-writer.js';
import { kjs } from './kafkajs-harness.js';

const { RecordBatch } = kjs('recordBatch/v0');
const Record = kjs('recordBatch/record/v0');
const decodeBatch = kjs('recordBatch/v0/decoder');
const Decoder = kjs('decoder');
const Encoder = kjs('encoder');
const { Types } = kjs('message/compression');
const { MemberMetadata, MemberAssignment } = kjs('../consumer/assignerProtocol');

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());

async function kafkajsBatch(compression = Types.None): Promise<Buffer> {
  const batch = await RecordBatch({
    compression,
    firstOffset: '0',
    firstTimestamp: 1700000000000,
    maxTimestamp: 1700000000300,
    producerId: '99',
    producerEpoch: 1,
    firstSequence: 7,
    lastOffsetDelta: 2,
    records: [
      Record({ offsetDelta: 0, key: Buffer.from('a'), value: Buffer.from('1') }),
      Record({
        offsetDelta: 1,
        timestampDelta: 100,
        key: null,
        value: Buffer.from('two'),
        headers: { x: 'y', z: ['1', '2'] },
      }),
      Record({ offsetDelta: 2, timestampDelta: 300, key: Buffer.from(''), value: null }),
    ],
  });
  return batch.buffer;
}

test('a kafkajs-built batch reads field by field, its CRC checked', async () => {
  const bytes = await kafkajsBatch();
  const { header, records } = readRecordBatch(bytes);
  assert.equal(header.sizeInBytes, bytes.length);
  assert.deepEqual([header.producerId, header.producerEpoch, header.baseSequence], [99n, 1, 7]);
  assert.deepEqual(
    records.map((r) => [r.offsetDelta, r.timestampDelta, text(r.key), text(r.value)]),
    [
      [0, 0n, 'a', '1'],
      [1, 100n, null, 'two'],
      [2, 300n, '', null],
    ],
  );
  assert.deepEqual(
    records[1]?.headers.map((h) => [h.key, text(h.value)]),
    [
      ['x', 'y'],
      ['z', '1'],
      ['z', '2'],
    ],
  );
  const two = Buffer.concat([bytes, bytes]);
  assert.equal(readRecordBatches(two).length, 2);
});

test('a batch we build is read back by kafkajs, offsets and timestamps in place', async () => {
  const bytes = buildRecordBatch({
    baseOffset: 500n,
    partitionLeaderEpoch: 4,
    baseTimestamp: 1700000000000n,
    producerId: 12n,
    producerEpoch: 3,
    baseSequence: 40,
    records: [
      {
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: [{ key: 'h', value: Buffer.from('hv') }],
      },
      { value: Buffer.from('w'), timestampDelta: 70n },
      { value: null, timestampDelta: 2n },
    ],
  });
  const out = await decodeBatch(new Decoder(Buffer.from(bytes)));
  assert.deepEqual(
    [
      out.firstOffset,
      out.partitionLeaderEpoch,
      out.lastOffsetDelta,
      out.maxTimestamp,
      out.producerId,
      out.firstSequence,
    ],
    ['500', 4, 2, '1700000000070', '12', 40],
  );
  assert.deepEqual(
    out.records.map(
      (r: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null }) => [
        r.offset,
        r.timestamp,
        r.key?.toString() ?? null,
        r.value?.toString() ?? null,
      ],
    ),
    [
      ['500', '1700000000000', 'k', 'v'],
      ['501', '1700000000070', null, 'w'],
      ['502', '1700000000002', null, null],
    ],
  );
  assert.equal(out.records[0].headers.h.toString(), 'hv');
  assert.equal(readRecordBatch(bytes).records.length, 3);
});

test('refusals: compressed (UNSUPPORTED_COMPRESSION_TYPE), bad CRC and bad records (CORRUPT_MESSAGE)', async () => {
  const gz = await kafkajsBatch(Types.GZIP);
  assert.throws(
    () => readRecordBatch(gz),
    (e) => e instanceof RecordBatchError && e.code === 'compressed',
  );
  const refusal = (() => {
    try {
      return readRecordBatch(gz);
    } catch (e) {
      return e;
    }
  })();
  assert.equal(produceErrorFor(refusal), KafkaError.UNSUPPORTED_COMPRESSION_TYPE);
  const flipped = Uint8Array.from(await kafkajsBatch());
  flipped[flipped.length - 2] = (flipped[flipped.length - 2] ?? 0) ^ 1;
  assert.throws(
    () => readRecordBatch(flipped),
    (e) => e instanceof BatchError && e.code === 'crc',
  );
  assert.equal(produceErrorFor(new BatchError('crc', 'x')), KafkaError.CORRUPT_MESSAGE);

  // Records that lie, with the CRC recomputed so only the record rule can catch them.
  const restamp = (b: Uint8Array) => {
    new DataView(b.buffer, b.byteOffset).setUint32(17, crc32c(b, 21));
    return b;
  };
  const good = buildRecordBatch({
    baseTimestamp: 0n,
    records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }],
  });
  const badDelta = Uint8Array.from(good);
  // First record: length varint @61, attributes @62, timestampDelta @63, offsetDelta @64.
  assert.equal(badDelta[64], 0);
  badDelta[64] = 2; // zigzag 1: the first record claims offset delta 1
  assert.throws(
    () => readRecordBatch(restamp(badDelta)),
    (e) => e instanceof RecordBatchError && e.code === 'record',
  );
  const badLength = Uint8Array.from(good);
  badLength[61] = 0x7e; // a record of 63 bytes in a batch that holds far fewer
  assert.throws(
    () => readRecordBatch(restamp(badLength)),
    (e) => e instanceof RecordBatchError && e.code === 'record',
  );
  assert.equal(produceErrorFor(new RecordBatchError('record', 'x')), KafkaError.CORRUPT_MESSAGE);
  const extra = new Uint8Array(good.length + 1);
  extra.set(good);
  new DataView(extra.buffer).setInt32(8, extra.length - 12);
  assert.throws(
    () => readRecordBatch(restamp(extra)),
    (e) => e instanceof RecordBatchError && e.code === 'record',
  );
});

test('consumer protocol: kafkajs subscriptions and assignments, both ways; v1-v3 round trip', () => {
  const meta = MemberMetadata.encode({
    version: 0,
    topics: ['a', 'b'],
    userData: Buffer.from('ud'),
  });
  const sub = decodeSubscription(meta);
  assert.deepEqual(
    [sub.version, sub.topics, text(sub.userData), sub.ownedPartitions],
    [0, ['a', 'b'], 'ud', []],
  );
  assert.deepEqual(Buffer.from(encodeSubscription(sub)), meta);

  const assignment = encodeAssignment({
    version: 0,
    partitions: [
      { topic: 'a', partitions: [0, 2] },
      { topic: 'b', partitions: [1] },
    ],
    userData: null,
  });
  const back = MemberAssignment.decode(Buffer.from(assignment));
  assert.deepEqual([back.version, back.assignment], [0, { a: [0, 2], b: [1] }]);
  const fromKafkajs = decodeAssignment(
    MemberAssignment.encode({ version: 0, assignment: { t: [3, 4] } }),
  );
  assert.deepEqual(fromKafkajs?.partitions, [{ topic: 't', partitions: [3, 4] }]);
  assert.equal(decodeAssignment(new Uint8Array(0)), null);

  const v3 = {
    version: 3,
    topics: ['t'],
    userData: null,
    ownedPartitions: [{ topic: 't', partitions: [0] }],
    generationId: 8,
    rackId: 'r1',
  };
  assert.deepEqual(decodeSubscription(encodeSubscription(v3)), v3);
  // A newer version's extra fields are ignored; a known version's are refused.
  const v4 = new WireWriter().raw(encodeSubscription(v3)).int32(1).toBytes();
  new DataView(v4.buffer).setInt16(0, 4);
  assert.equal(decodeSubscription(v4).rackId, 'r1');
  const v3extra = new WireWriter().raw(encodeSubscription(v3)).int8(0).toBytes();
  assert.throws(
    () => decodeSubscription(v3extra),
    (e) => e instanceof WireError && e.code === 'trailing-bytes',
  );
});

test('varints at their boundaries agree with kafkajs, both ways', () => {
  const ints = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2147483647, -2147483648];
  for (const v of ints) {
    const ours = new WireWriter().varint(v).toBytes();
    const theirs = new Encoder().writeVarInt(v).buffer;
    assert.deepEqual(Buffer.from(ours), theirs, `varint ${v}`);
    assert.equal(new WireReader(theirs).varint(), v);
  }
  const longs = [
    0n,
    -1n,
    1n,
    9007199254740993n,
    -9007199254740993n,
    9223372036854775807n,
    -9223372036854775808n,
  ];
  for (const v of longs) {
    const ours = new WireWriter().varlong(v).toBytes();
    const theirs = new Encoder().writeVarLong(v.toString()).buffer;
    assert.deepEqual(Buffer.from(ours), theirs, `varlong ${v}`);
    assert.equal(new WireReader(theirs).varlong(), v);
  }
  for (const v of [0, 1, 127, 128, 16383, 16384, 0xffffffff]) {
    const ours = new WireWriter().uvarint(v).toBytes();
    assert.equal(new WireReader(ours).uvarint(), v);
    if (v <= 0x7fffffff)
      assert.deepEqual(Buffer.from(ours), new Encoder().writeUVarInt(v).buffer, `uvarint ${v}`);
  }
  const s = new WireWriter()
    .compactString('héllo')
    .compactNullableString(null)
    .compactNullableBytes(Buffer.from([1]))
    .toBytes();
  const r = new WireReader(s);
  assert.deepEqual(
    [r.compactString(), r.compactNullableString(), [...(r.compactNullableBytes() ?? [])]],
    ['héllo', null, [1]],
  );
  const d = new Decoder(Buffer.from(s));
  assert.equal(d.readUVarIntString(), 'héllo');
  const tagged = new WireWriter()
    .taggedFields(
      new Map([
        [3, Uint8Array.of(9)],
        [1, Uint8Array.of()],
      ]),
    )
    .toBytes();
  assert.deepEqual(
    [...new WireReader(tagged).taggedFields()].map(([t, b]) => [t, [...b]]),
    [
      [1, []],
      [3, [9]],
    ],
  );
  assert.throws(
    () =>
      new WireReader(
        Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
      ).varlong(),
    (e) => e instanceof WireError && e.code === 'bad-varint',
  );
  assert.throws(
    () => new WireReader(Uint8Array.of(0x80)).uvarint(),
    (e) => e instanceof WireError && e.code === 'truncated',
  );
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

test('fuzz: 2,000 mutated batches, CRC restamped so the records are parsed, refuse with a typed error only', async () => {
  const base = Uint8Array.from(await kafkajsBatch());
  const next = rng(0x62617463);
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from(base);
    for (let e = 1 + (next() % 3); e > 0; e--) {
      const at = 61 + (next() % (b.length - 61));
      b[at] = next() & 0xff;
    }
    new DataView(b.buffer).setUint32(17, crc32c(b, 21));
    try {
      readRecordBatch(b);
    } catch (e) {
      assert.ok(
        e instanceof RecordBatchError || e instanceof BatchError,
        `mutation ${i}: ${String(e)}`,
      );
      refused++;
    }
  }
  assert.ok(refused > 500, `most mutations are refused (${refused})`);
});

test('a writer that starts at one byte grows through every write and loses none', () => {
  const w = new WireWriter(1);
  const big = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  for (let i = 1; i <= 40; i++) {
    w.int8(-i)
      .uvarint(300 * i)
      .int16(i)
      .varlong(BigInt(-i) << 40n)
      .int32(i * 1000)
      .raw(big);
    w.int64(BigInt(i)).uint32(i).compactString(`s${i}`).varint(-i);
  }
  const r = new WireReader(w.toBytes());
  for (let i = 1; i <= 40; i++) {
    assert.deepEqual(
      [r.int8(), r.uvarint(), r.int16(), r.varlong(), r.int32(), [...r.raw(300)]],
      [-i, 300 * i, i, BigInt(-i) << 40n, i * 1000, [...big]],
    );
    assert.deepEqual(
      [r.int64(), r.uint32(), r.compactString(), r.varint()],
      [BigInt(i), i, `s${i}`, -i],
    );
  }
  r.expectEnd('the writes');
});
