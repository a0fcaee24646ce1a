/**
 * KafkaPort with `maxInFlight` > 1 (what the replicated broker uses): a connection's requests
 * are handled at once — two 300 ms long polls sent together are both answered after about
 * 300 ms, not 600 as one at a time — and still answered in arrival order (the mutant
 * replies-as-ready, which writes each response as it is ready, is caught with pipelining on
 * too); a bad `maxInFlight` is refused by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WireWriter } from '../../../../src/runtime/kafka/wire-writer.js';
import {
  KafkaPort,
  KafkaPortOptionsError,
  type KafkaPortMutant,
} from '../../../../src/runtime/kafka/broker/server.js';
import { startBroker, tempDir, type InProcessBroker } from './broker-fixture.js';

function frame(apiKey: number, version: number, id: number, body: (w: WireWriter) => void) {
  const w = new WireWriter();
  w.int32(0).int16(apiKey).int16(version).int32(id).nullableString('raw');
  body(w);
  w.patchInt32(0, w.length - 4);
  return Buffer.from(w.toBytes());
}

const metadataV1 = (id: number) => frame(3, 1, id, (w) => void w.int32(-1));
/** Fetch v4 of partition 0 of `p` from offset 0, waiting up to `maxWaitMs`. */
const fetchV4 = (id: number, maxWaitMs: number) =>
  frame(1, 4, id, (w) => {
    w.int32(-1)
      .int32(maxWaitMs)
      .int32(1)
      .int32(1 << 20)
      .int8(0);
    w.array(['p'], (w, t) => {
      w.string(t);
      w.array(
        [0],
        (w, p) =>
          void w
            .int32(p)
            .int64(0n)
            .int32(1 << 20),
      );
    });
  });

/** Sends `bytes` on a new connection; resolves with the response ids and when each came. */
function exchange(port: number, bytes: Buffer, expect: number) {
  return new Promise<{ ids: number[]; ms: number[] }>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const t0 = Date.now();
    const ids: number[] = [];
    const ms: number[] = [];
    let buf = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        ids.push(buf.readInt32BE(4));
        ms.push(Date.now() - t0);
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
      if (ids.length === expect) {
        socket.destroy();
        resolve({ ids, ms });
      }
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

async function withBroker(
  maxInFlight: number,
  mutant: KafkaPortMutant | undefined,
  body: (b: InProcessBroker) => Promise<void>,
): Promise<void> {
  const { dir, remove } = tempDir('pipeline');
  const b = await startBroker({ dir }, { maxInFlight, ...(mutant ? { mutant } : {}) });
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

test('pipelined: two 300 ms long polls are waited out together', { timeout: 30_000 }, () =>
  withBroker(4, undefined, async (b) => {
    const r = await exchange(b.port, Buffer.concat([fetchV4(1, 300), fetchV4(2, 300)]), 2);
    assert.deepEqual(r.ids, [1, 2]);
    assert.ok((r.ms[1] ?? 0) < 550, `second answered after ${r.ms[1]} ms`);
  }),
);

test(
  'one at a time (the default): the second long poll starts after the first',
  { timeout: 30_000 },
  () =>
    withBroker(1, undefined, async (b) => {
      const r = await exchange(b.port, Buffer.concat([fetchV4(1, 300), fetchV4(2, 300)]), 2);
      assert.deepEqual(r.ids, [1, 2]);
      assert.ok((r.ms[1] ?? 0) >= 590, `second answered after ${r.ms[1]} ms`);
    }),
);

async function inOrder(mutant?: KafkaPortMutant): Promise<void> {
  await withBroker(4, mutant, async (b) => {
    // The metadata is ready at once, the fetch in 300 ms: answered in arrival order all the same.
    const r = await exchange(b.port, Buffer.concat([fetchV4(1, 300), metadataV1(2)]), 2);
    assert.deepEqual(r.ids, [1, 2]);
  });
}

test('pipelined requests are answered in arrival order', { timeout: 30_000 }, () => inOrder());
test('mutant replies-as-ready is caught with pipelining on', { timeout: 30_000 }, () =>
  assert.rejects(inOrder('replies-as-ready'), assert.AssertionError),
);

test('a bad maxInFlight is refused by name', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => new KafkaPort({ backend: undefined as never, maxInFlight: bad }),
      (e: unknown) => e instanceof KafkaPortOptionsError && /maxInFlight/.test(e.message),
    );
  }
});
