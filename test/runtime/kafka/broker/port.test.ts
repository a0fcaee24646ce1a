/**
 * KafkaPort over loopback with hand-made frames: garbage and malformed requests close only their
 * own connection (a kafkajs session beside them carries on), a connection's requests are
 * answered in order even when an earlier one waits (mutant replies-as-ready caught), a client
 * that pipelines is not read past `maxQueued` requests (mutant unbounded-queue caught), and a
 * long-poll fetch is answered when a record arrives, not by the consumer asking again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { WireWriter } from '../../../../src/runtime/kafka/wire-writer.js';
import { buildRecordBatch } from '../../../../src/runtime/kafka/record-batch.js';
import type { KafkaPortMutant } from '../../../../src/runtime/kafka/broker/server.js';
import type { BackendMutant } from '../../../../src/runtime/kafka/broker/local-backend.js';
import { startBroker, tempDir, type InProcessBroker } from './broker-fixture.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { Kafka, logLevel } = require('kafkajs') as any;

/** A request frame: header v1 (api key, version, correlation id, client id) and `body`. */
function frame(
  apiKey: number,
  version: number,
  correlationId: number,
  body: (w: WireWriter) => void,
): Buffer {
  const w = new WireWriter();
  w.int32(0).int16(apiKey).int16(version).int32(correlationId).nullableString('raw');
  body(w);
  w.patchInt32(0, w.length - 4);
  return Buffer.from(w.toBytes());
}

const metadataV1 = (id: number) => frame(3, 1, id, (w) => void w.int32(-1));
/** Fetch v4 of partition 0 of `topic` from `offset`. */
const fetchV4 = (id: number, topic: string, offset: number, maxWaitMs: number) =>
  frame(1, 4, id, (w) => {
    w.int32(-1)
      .int32(maxWaitMs)
      .int32(1)
      .int32(1 << 20)
      .int8(0);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array(
        [0],
        (w, p) =>
          void w
            .int32(p)
            .int64(BigInt(offset))
            .int32(1 << 20),
      );
    });
  });

/** A raw client: correlation ids of the responses, in arrival order, and whether it closed. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const ids: number[] = [];
  /** When each response arrived (ms since the epoch). */
  const at: number[] = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      ids.push(buf.readInt32BE(4));
      at.push(Date.now());
      buf = buf.subarray(4 + buf.readInt32BE(0));
    }
  });
  socket.on('error', () => undefined);
  const gone = new Promise<void>((r) => socket.on('close', () => ((closed = true), r())));
  return { socket, ids, at, gone, closed: () => closed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function withBroker(
  mutant: KafkaPortMutant | undefined,
  body: (b: InProcessBroker) => Promise<void>,
  maxQueued?: number,
  backendMutant?: BackendMutant,
): Promise<void> {
  const { dir, remove } = tempDir('port');
  const b = await startBroker(
    { dir, ...(backendMutant !== undefined ? { mutant: backendMutant } : {}) },
    {
      ...(mutant !== undefined ? { mutant } : {}),
      ...(maxQueued !== undefined ? { maxQueued } : {}),
    },
  );
  try {
    const [r] = await b.backend.createTopics(
      [{ name: 'p', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      false,
    );
    assert.equal(r?.errorCode, 0);
    await body(b);
  } finally {
    await b.close();
    remove();
  }
}

test('garbage and malformed requests close only their own connection', { timeout: 30_000 }, () =>
  withBroker(undefined, async (b) => {
    const kafka = new Kafka({
      clientId: 'ok',
      brokers: [`127.0.0.1:${b.port}`],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const consumer = kafka.consumer({
      groupId: 'steady',
      maxWaitTimeInMs: 100,
      heartbeatInterval: 300,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ['p'], fromBeginning: true });
    const got: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }: { message: { value: Buffer } }) =>
        void got.push(message.value.toString()),
    });
    await producer.send({ topic: 'p', acks: -1, messages: [{ value: 'before' }] });
    await until('the first record', () => got.length === 1);

    const garbage = rawClient(b.port);
    garbage.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const truncated = rawClient(b.port);
    // A Metadata v1 whose topic array claims 5 names and holds none.
    truncated.socket.write(frame(3, 1, 7, (w) => void w.int32(5)));
    const unknownApi = rawClient(b.port);
    unknownApi.socket.write(frame(999, 0, 8, () => undefined));
    const badVersion = rawClient(b.port);
    badVersion.socket.write(frame(3, 99, 9, (w) => void w.int32(-1)));
    await Promise.all([garbage.gone, truncated.gone, unknownApi.gone, badVersion.gone]);
    for (const c of [garbage, truncated, unknownApi, badVersion])
      assert.deepEqual(c.ids, [], 'closed unanswered');
    assert.equal(b.kafka.stats.refusedConnections, 4);
    assert.equal(
      b.logs.filter((l) => l.startsWith('kafka connection closed: request refused')).length,
      4,
    );

    for (let i = 0; i < 10; i++)
      await producer.send({ topic: 'p', acks: -1, messages: [{ value: `after-${i}` }] });
    await until('the records after', () => got.length === 11);
    await consumer.disconnect();
    await producer.disconnect();
    assert.deepEqual(got, ['before', ...Array.from({ length: 10 }, (_, i) => `after-${i}`)]);
  }),
);

async function inOrder(mutant?: KafkaPortMutant): Promise<void> {
  await withBroker(mutant, async (b) => {
    const c = rawClient(b.port);
    // The fetch waits (an empty partition, 300 ms); the metadata behind it could be answered at
    // once, but Kafka answers a connection's requests in order.
    c.socket.write(Buffer.concat([fetchV4(1, 'p', 0, 300), metadataV1(2)]));
    await until('two responses', () => c.ids.length === 2);
    assert.deepEqual(c.ids, [1, 2]);
    c.socket.destroy();
  });
}

test('a connection’s requests are answered in order', { timeout: 30_000 }, () => inOrder());
test('mutant replies-as-ready is caught', { timeout: 30_000 }, () =>
  assert.rejects(inOrder('replies-as-ready'), assert.AssertionError),
);

async function queueBound(mutant?: KafkaPortMutant): Promise<void> {
  await withBroker(
    mutant,
    async (b) => {
      const c = rawClient(b.port);
      for (let i = 1; i <= 8; i++) {
        c.socket.write(fetchV4(i, 'p', 0, 400));
        await sleep(15);
      }
      await sleep(100);
      // Two requests queued: the connection is not read from until one is answered.
      assert.ok(
        b.kafka.stats.received <= 3,
        `read ${b.kafka.stats.received} requests past the bound`,
      );
      await until('every answer', () => c.ids.length === 8);
      assert.deepEqual(c.ids, [1, 2, 3, 4, 5, 6, 7, 8]);
      c.socket.destroy();
    },
    2,
  );
}

test('a pipelining client is not read past maxQueued', { timeout: 30_000 }, () => queueBound());
test('mutant unbounded-queue is caught', { timeout: 30_000 }, () =>
  assert.rejects(queueBound('unbounded-queue'), assert.AssertionError),
);

async function rawLongPoll(mutant?: BackendMutant): Promise<void> {
  await withBroker(
    undefined,
    async (b) => {
      // A raw fetch, maxWait 60 s, on the empty partition: one request, answered when the
      // record lands. Judged by events, not times: parked until then, answered on the append.
      const c = rawClient(b.port);
      const before = b.kafka.stats.received;
      c.socket.write(fetchV4(1, 'p', 0, 60_000));
      await until('the fetch to arrive', () => b.kafka.stats.received - before === 1);
      // Anchor for "parked": a request on another connection, sent after the fetch arrived, is
      // answered; an immediate answer to the fetch would have come first.
      const other = rawClient(b.port);
      other.socket.write(metadataV1(2));
      await until("the other connection's answer", () => other.ids.length === 1);
      other.socket.destroy();
      assert.deepEqual(c.ids, [], 'the fetch on the empty partition is parked');
      const r = await b.backend.produce(
        'p',
        0,
        buildRecordBatch({
          baseTimestamp: BigInt(Date.now()),
          records: [{ value: Buffer.from('late') }],
        }),
        -1,
        1000,
      );
      assert.equal(r.errorCode, 0);
      // The append wakes it; waiting for maxWait (60 s) would run past this generous bound.
      await until('the fetch answer', () => c.ids.length === 1).catch(() =>
        assert.fail('the parked fetch was not answered when the record landed'),
      );
      assert.equal(
        b.kafka.stats.received - before,
        2,
        'one fetch request (and the anchor), no polling',
      );
      c.socket.destroy();
    },
    undefined,
    mutant,
  );
}

test('long poll: a parked fetch is answered when a record lands', { timeout: 30_000 }, () =>
  rawLongPoll(),
);
test('mutant no-long-poll is caught', { timeout: 30_000 }, () =>
  assert.rejects(rawLongPoll('no-long-poll'), assert.AssertionError),
);
test('mutant no-wake-on-append is caught', { timeout: 30_000 }, () =>
  assert.rejects(rawLongPoll('no-wake-on-append'), assert.AssertionError),
);

test(
  'long poll: a waiting kafkajs consumer gets a record produced 200 ms later, without polling',
  { timeout: 30_000 },
  () =>
    withBroker(undefined, async (b) => {
      // kafkajs with a 3 s maxWait: its fetches while waiting are counted on the backend.
      const kafka = new Kafka({
        clientId: 'lp',
        brokers: [`127.0.0.1:${b.port}`],
        logLevel: logLevel.NOTHING,
      });
      let fetches = 0;
      const fetch = b.backend.fetch.bind(b.backend);
      b.backend.fetch = (q) => {
        fetches++;
        return fetch(q);
      };
      const consumer = kafka.consumer({ groupId: 'lp', maxWaitTimeInMs: 3000 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['p'], fromBeginning: false });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
      const got: { value: string; at: number }[] = [];
      await consumer.run({
        eachMessage: async ({ message }: { message: { value: Buffer } }) =>
          void got.push({ value: message.value.toString(), at: Date.now() }),
      });
      await until('the join', () => joined);
      await sleep(300);
      const before2 = fetches;
      const sent = Date.now() + 200;
      await sleep(200);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'p', acks: -1, messages: [{ value: 'fresh' }] });
      await until('the fresh record', () => got.length === 1);
      const latency = (got[0]?.at ?? 0) - sent;
      const during = fetches - before2;
      await producer.disconnect();
      await consumer.disconnect();
      assert.equal(got[0]?.value, 'fresh');
      assert.ok(latency < 1000, `delivered ${latency} ms after the produce`);
      assert.ok(during <= 3, `${during} fetches while waiting ~500 ms (maxWait 3 s)`);
    }),
);

test(
  'close answers a parked long poll at once, then drops the connection',
  { timeout: 30_000 },
  async () => {
    const { dir, remove } = tempDir('close');
    const b = await startBroker({ dir });
    try {
      await b.backend.createTopics(
        [{ name: 'p', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        false,
      );
      const c = rawClient(b.port);
      c.socket.write(fetchV4(1, 'p', 0, 10_000));
      await until('the fetch parked', () => b.kafka.stats.received === 1);
      // The grace is far past until()'s bound: a close that waited it out fails loudly.
      let closed = false;
      void b.kafka.close(60_000).then(() => (closed = true));
      await until('the close', () => closed);
      await c.gone;
      assert.deepEqual(c.ids, [1], 'the parked fetch was answered before the connection closed');
    } finally {
      await b.close();
      remove();
    }
  },
);

/** Produce v3 of `records` to partition 0 of `topic`. */
const produceV3 = (id: number, topic: string, acks: number, records: Uint8Array) =>
  frame(0, 3, id, (w) => {
    w.nullableString(null).int16(acks).int32(1000);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([0], (w, p) => void w.int32(p).nullableBytes(records));
    });
  });

test('acks=0: no response; a failed one closes the connection', { timeout: 30_000 }, () =>
  withBroker(undefined, async (b) => {
    const records = buildRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.from('z') }] });
    const c = rawClient(b.port);
    c.socket.write(Buffer.concat([produceV3(1, 'p', 0, records), metadataV1(2)]));
    await until('the metadata answer', () => c.ids.length >= 1);
    assert.deepEqual(c.ids, [2], 'the acks=0 produce got no response');
    // Nobody waits for an acks=0 batch's fsync, but it is flushed by the same rounds.
    for (let i = 0; i < 100 && (await b.backend.listOffset('p', 0, -1)).offset < 1; i++)
      await sleep(10);
    assert.equal((await b.backend.listOffset('p', 0, -1)).offset, 1);
    c.socket.write(Buffer.concat([produceV3(3, 'missing', 0, records), metadataV1(4)]));
    await c.gone;
    assert.deepEqual(c.ids, [2], 'closed, unanswered, after the failed acks=0 produce');
  }),
);
