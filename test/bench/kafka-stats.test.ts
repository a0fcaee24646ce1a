/**
 * bench:kafka's own arithmetic, without a broker: the failover gap (per partition the killed
 * leader led, stretches ending after the kill), the longest ack gap, the lost-write check that
 * fails the run, the record payload that names each record, and the reading of `cluster up
 * --system kafka`'s output. Milliseconds of CPU; no process is started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idOf, RECORD_BYTES, recordPayload } from '../../bench/kafka/closed-loop.js';
import {
  failoverGapMs,
  longestAckGapMs,
  lostAcks,
  median,
  produceFigures,
  type Ack,
} from '../../bench/kafka/stats.js';
import { nodeAt, parseClusterUp } from '../../bench/kafka/truthkit-kafka.js';

const ack = (id: number, partition: number, atMs: number, latencyMs = 1): Ack => ({
  id,
  partition,
  atMs,
  latencyMs,
});

test('failover gap: the stall after the kill on a partition the dead leader led', () => {
  const acks = [
    ack(0, 0, 100),
    ack(1, 1, 110),
    // The kill is at 200. Acks the leader sent before it died still arrive just after…
    ack(2, 0, 190),
    ack(3, 0, 203),
    // …then partition 0 stalls until a new leader takes it at 1500.
    ack(4, 0, 1500),
    // Partition 1's leader lives: it acks through the kill.
    ack(5, 1, 300),
    ack(6, 1, 400),
  ];
  assert.equal(failoverGapMs(acks, 200, [0]), 1500 - 203);
  // Partition 1 alone shows no failover, and does not hide partition 0's when both are named.
  assert.equal(failoverGapMs(acks, 200, [1]), 300 - 110);
  assert.equal(failoverGapMs(acks, 200, [0, 1]), 1500 - 203);
  // Stretches that ended before the kill are not the failover's.
  assert.equal(failoverGapMs([ack(0, 0, 0), ack(1, 0, 900), ack(2, 0, 950)], 920, [0]), 50);
});

test('failover gap: no ack after the kill is an unbounded gap; no ack before counts from the start', () => {
  assert.equal(failoverGapMs([ack(0, 0, 100)], 200, [0]), Infinity);
  assert.equal(failoverGapMs([ack(0, 0, 100), ack(1, 1, 900)], 200, [0, 1]), Infinity);
  assert.equal(failoverGapMs([ack(0, 0, 700)], 200, [0], 50), 650);
  assert.throws(() => failoverGapMs([], 0, []), RangeError);
});

test('longest ack gap: over all partitions, from the start and to the end', () => {
  const acks = [ack(0, 0, 10), ack(1, 3, 20), ack(2, 1, 520), ack(3, 0, 530)];
  assert.equal(longestAckGapMs(acks, 0, 600), 500);
  assert.equal(longestAckGapMs(acks, 0, 2000), 2000 - 530);
  assert.equal(longestAckGapMs([], 5, 105), 100);
});

test('lost writes: an acknowledged record never read is reported; reading extras is not', () => {
  const consumed = new Set([0, 1, 2, 4, 9]);
  assert.deepEqual(lostAcks([4, 0, 1, 2], consumed), []);
  // One record dropped between ack and read: the check names it (the run then fails).
  assert.deepEqual(lostAcks([5, 0, 3, 1], consumed), [3, 5]);
});

test('produce figures: rate and nearest-rank percentiles of the ack latencies', () => {
  const acks = Array.from({ length: 100 }, (_, i) => ack(i, i % 6, i, i + 1));
  const f = produceFigures(acks, 3, 2);
  assert.equal(f.acked, 100);
  assert.equal(f.errors, 3);
  assert.equal(f.recordsPerSec, 50);
  assert.equal(f.p50Ms, 50);
  assert.equal(f.p99Ms, 99);
  assert.ok(Number.isNaN(produceFigures([], 0, 1).p50Ms));
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('record payloads: 100 bytes that name their record, read back from any view', () => {
  const p = recordPayload(1234);
  assert.equal(p.length, RECORD_BYTES);
  assert.equal(idOf(p), 1234);
  // A client may hand back a view into a larger buffer.
  const big = Buffer.concat([Buffer.from('xxxx'), p]);
  assert.equal(idOf(new Uint8Array(big.buffer, big.byteOffset + 4, RECORD_BYTES)), 1234);
  assert.equal(idOf(null), undefined);
  assert.equal(idOf(Buffer.from('short')), undefined);
  assert.equal(idOf(Buffer.alloc(RECORD_BYTES, 'z')), undefined);
  assert.throws(() => recordPayload(-1), RangeError);
  assert.throws(() => recordPayload(1e12), RangeError);
});

test('cluster up --system kafka: bootstrap servers and each node’s Kafka address', () => {
  const out = [
    'kafka: 3 node(s) running (state in /tmp/x)',
    'n1 127.0.0.1:4001  kafka 127.0.0.1:9001',
    'n2 127.0.0.1:4002  kafka 127.0.0.1:9002',
    'n3 127.0.0.1:4003  kafka 127.0.0.1:9003',
    'bootstrap servers: 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003',
    '',
  ].join('\n');
  const parsed = parseClusterUp(out);
  assert.deepEqual(parsed?.bootstrap, ['127.0.0.1:9001', '127.0.0.1:9002', '127.0.0.1:9003']);
  assert.equal(parsed?.nodeByAddress.get('127.0.0.1:9002'), 'n2');
  assert.equal(parsed?.nodeByAddress.size, 3);
  // Metadata may name the same loopback broker `localhost`: its port still finds the node.
  const byAddress = parsed?.nodeByAddress ?? new Map<string, string>();
  assert.equal(nodeAt(byAddress, '127.0.0.1:9003'), 'n3');
  assert.equal(nodeAt(byAddress, 'localhost:9003'), 'n3');
  assert.equal(nodeAt(byAddress, 'localhost:9999'), undefined);
  // A system without Kafka ports prints no bootstrap line: truthkit's rows are then not run.
  assert.equal(parseClusterUp('zookeeper: 3 node(s) running\nconnect string: a:1\n'), undefined);
});
