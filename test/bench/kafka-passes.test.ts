/**
 * bench:kafka's passes against an in-memory stand-in for a cluster (no process, no socket): a
 * pass produces every record with the asked number in flight and reads each back; a stand-in
 * that acknowledges one record without keeping it (a lost write, the one rule of an honest log
 * removed) is caught by the read-back check that fails the run; and the failover pass measures
 * at least the time the killed leader's partitions refused writes, on those partitions only.
 * About a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFailover, runPass, type PassSpec } from '../../bench/kafka/passes.js';
import { PARTITIONS, type RunningTarget } from '../../bench/kafka/target.js';

interface MemoryOptions {
  /** Acknowledge this record id without storing it. */
  readonly dropId?: number;
  /** Partitions a kill takes down, and for how long they refuse writes. */
  readonly killed?: readonly number[];
  readonly downMs?: number;
}

function memoryTarget(o: MemoryOptions = {}): RunningTarget & { maxInFlight: () => number } {
  const topics = new Map<string, Uint8Array[][]>();
  const down = new Set<number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const log = (topic: string): Uint8Array[][] => {
    const t = topics.get(topic);
    if (t === undefined) throw new Error(`no topic ${topic}`);
    return t;
  };
  return {
    description: 'memory',
    maxInFlight: () => maxInFlight,
    pids: () => [],
    async createTopic(topic) {
      topics.set(
        topic,
        Array.from({ length: PARTITIONS }, () => []),
      );
    },
    async producer(topic) {
      return {
        send: async (id, partition, payload) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            // An ack takes a turn of the event loop, as a socket's would.
            await new Promise((r) => setImmediate(r));
            if (down.has(partition)) throw new Error('NOT_LEADER_OR_FOLLOWER');
            if (id !== o.dropId) log(topic)[partition]?.push(payload);
          } finally {
            inFlight--;
          }
        },
        close: async () => undefined,
      };
    },
    async consume(topic, onRecord) {
      for (const partition of log(topic)) {
        for (const payload of partition) if (onRecord(payload)) return;
      }
    },
    async killLeader(_topic, now) {
      const partitions = o.killed ?? [0];
      const atMs = now();
      for (const p of partitions) down.add(p);
      setTimeout(() => down.clear(), o.downMs ?? 0);
      return { atMs, node: 'n1', partitions, note: 'memory' };
    },
    stop: async () => undefined,
  };
}

const spec: PassSpec = {
  records: 300,
  inFlight: 8,
  phaseTimeoutMs: 10_000,
  consumeTimeoutMs: 2000,
  retryDelayMs: 10,
  hardTimeoutMs: 1000,
};

test('a pass produces every record with exactly the asked number in flight, and reads each back', async () => {
  const target = memoryTarget();
  const r = await runPass(target, 't', spec);
  assert.equal(r.produce.acked, spec.records);
  assert.equal(r.produce.errors, 0);
  assert.equal(r.produce.givenUp, 0);
  assert.equal(target.maxInFlight(), spec.inFlight);
  assert.ok(r.produce.recordsPerSec > 0 && Number.isFinite(r.produce.p99Ms));
  assert.equal(r.consume.read, spec.records);
  assert.equal(r.consume.duplicates, 0);
  assert.deepEqual(r.consume.lost, []);
});

test('a system that acks a record it does not keep is caught: that record is reported lost', async () => {
  const r = await runPass(memoryTarget({ dropId: 123 }), 't', spec);
  assert.equal(r.produce.acked, spec.records);
  assert.deepEqual(r.consume.lost, [123]);
});

test('failover: the gap covers the time the killed leader’s partitions refused writes', async () => {
  const downMs = 300;
  const r = await runFailover(memoryTarget({ killed: [0, 3], downMs }), 'f', spec, {
    killAtMs: 100,
    afterKillMs: 700,
  });
  assert.deepEqual(r.killed.partitions, [0, 3]);
  assert.ok(r.gapMs >= downMs, `gap ${r.gapMs} ms < ${downMs} ms down`);
  assert.ok(r.gapMs < downMs + 500, `gap ${r.gapMs} ms: far beyond the ${downMs} ms down`);
  assert.ok(r.produce.errors > 0, 'sends to the dead leader failed and were retried');
  assert.deepEqual(r.consume.lost, []);
});
