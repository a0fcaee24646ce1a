/**
 * PBFT's checkpoint rules (checkpoints.ts; Castro & Liskov, OSDI'99 §4.3, TOCS 2002 §4.3) over a
 * hand-driven replica n1 of four (f = 1, Q = 3): a checkpoint becomes stable with Q matching
 * CHECKPOINT messages from distinct replicas, only on the digest of the replica's own state;
 * the low watermark h moves only with a stable checkpoint, never back; CHECKPOINT messages are
 * kept only at multiples of K and up to one window past the high watermark. One rule per test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Json } from '../../../src/core/json.js';
import type { NodeEnv } from '../../../src/core/node.js';
import { Checkpoints, CHECKPOINT_INTERVAL } from '../../../src/protocols/pbft/checkpoints.js';
import { sha256Hex, signAs, type SignedMsg } from '../../../src/protocols/pbft/crypto.js';
import type { Body, BodyOf } from '../../../src/protocols/pbft/messages.js';
import type { Checkpoint } from '../../../src/protocols/pbft/records.js';
import { checkpoint, context } from './signed-fixture.js';

const K = CHECKPOINT_INTERVAL;

interface Harness {
  readonly cps: Checkpoints;
  readonly sent: SignedMsg[];
  readonly stableAt: number[];
  readonly metrics: string[];
  readonly disk: Map<string, Json>;
  /** Delivers a CHECKPOINT as the replica's message handler does (verified first). */
  deliver(msg: SignedMsg, high?: number): void;
}

/** Replica n1 of n1…n4; `lie` makes it sign another digest than its state's. */
function harness(lie?: (snap: string) => string): Harness {
  const ctx = context(4);
  const sent: SignedMsg[] = [];
  const stableAt: number[] = [];
  const metrics: string[] = [];
  const disk = new Map<string, Json>();
  const env = {
    id: 'n1',
    cluster: ctx.cluster,
    storage: { put: (k: string, v: Json) => disk.set(k, v), get: (k: string) => disk.get(k) },
    metric: (name: string) => metrics.push(name),
  } as unknown as NodeEnv<SignedMsg>;
  const cps = new Checkpoints({
    env,
    quorum: ctx.quorum,
    parse: (m) => ctx.parse(m),
    signed: (body: Body) => signAs('n1', body),
    broadcast: (m) => sent.push(m),
    digestToSign: lie ?? sha256Hex,
    digest: sha256Hex,
    stableAt: (n) => stableAt.push(n),
  });
  const deliver = (msg: SignedMsg, high = cps.low + 2 * K): void => {
    const body = ctx.parse(msg);
    assert.equal(body?.t, 'checkpoint', 'the fixture delivers verified checkpoints only');
    cps.onCheckpoint(msg, body as BodyOf<'checkpoint'>, high);
  };
  return { cps, sent, stableAt, metrics, disk, deliver };
}

const d = (snap: string) => sha256Hex(snap);

test('a fresh replica: stable checkpoint 0 with an empty state and proof, h = 0', () => {
  const h = harness();
  assert.deepEqual(h.cps.stable, { n: 0, snap: '', proof: [] });
  assert.equal(h.cps.low, 0);
  h.cps.resendMine();
  assert.deepEqual(h.sent, [], 'no checkpoint of ours to resend yet');
});

test('a replica multicasts CHECKPOINT(n, d) signed by itself, d the digest of its state at n', () => {
  const h = harness();
  h.cps.take(K, 's16');
  assert.equal(h.sent.length, 1);
  assert.deepEqual(JSON.parse((h.sent[0] as SignedMsg).p), {
    t: 'checkpoint',
    i: 'n1',
    n: K,
    d: d('s16'),
  });
  assert.equal(h.cps.low, 0, 'its own checkpoint alone is not stable');
});

test('a stable checkpoint needs 2f + 1 matching CHECKPOINT messages (its own among them)', () => {
  const h = harness();
  h.cps.take(K, 's16');
  const mine = h.sent[0] as SignedMsg;
  h.deliver(mine);
  h.deliver(checkpoint('n2', K, d('s16')));
  assert.equal(h.cps.low, 0, '2f matching are not enough');
  assert.deepEqual(h.stableAt, []);
  const third = checkpoint('n3', K, d('s16'));
  h.deliver(third);
  assert.equal(h.cps.low, K, '2f + 1 make it stable: h moves to it');
  const want: Checkpoint = {
    n: K,
    snap: 's16',
    proof: [mine, checkpoint('n2', K, d('s16')), third],
  };
  assert.deepEqual(h.cps.stable, want, 'the Q messages are its proof');
  assert.deepEqual(h.stableAt, [K], 'the log at or below it is collected');
  assert.deepEqual(h.disk.get('ckpt'), want, 'written to disk with its proof');
  assert.deepEqual(h.metrics, ['pbft.stable-checkpoints']);
});

test('checkpoints of another digest do not count: Q must match the state the replica has', () => {
  const h = harness();
  h.cps.take(K, 's16');
  h.deliver(h.sent[0] as SignedMsg);
  h.deliver(checkpoint('n2', K, d('s16')));
  h.deliver(checkpoint('n3', K, d('forked')));
  h.deliver(checkpoint('n4', K, d('forked')));
  assert.equal(h.cps.low, 0, 'two matching and two of another state');
  assert.deepEqual(h.stableAt, []);
});

test('a replica that signs a lie still judges stability by its real state', () => {
  const h = harness(() => 'lie');
  h.cps.take(K, 's16');
  assert.equal((JSON.parse((h.sent[0] as SignedMsg).p) as { d: string }).d, 'lie');
  h.deliver(h.sent[0] as SignedMsg);
  h.deliver(checkpoint('n2', K, d('s16')));
  h.deliver(checkpoint('n3', K, d('s16')));
  assert.equal(h.cps.low, 0, 'its own lie is not one of the Q');
  h.deliver(checkpoint('n4', K, d('s16')));
  assert.equal(h.cps.low, K);
  assert.equal(h.cps.stable.proof.length, 3);
});

test('matching checkpoints are counted from distinct replicas: one per sender, its first', () => {
  const h = harness();
  h.cps.take(K, 's16');
  h.deliver(h.sent[0] as SignedMsg);
  h.deliver(checkpoint('n2', K, d('s16')));
  h.deliver(checkpoint('n2', K, d('s16')));
  assert.equal(h.cps.low, 0, 'n2 twice is one replica');
  h.deliver(checkpoint('n3', K, d('forked')));
  h.deliver(checkpoint('n3', K, d('s16')));
  assert.equal(h.cps.low, 0, 'n3 signed another digest first: its second message is not counted');
  h.deliver(checkpoint('n4', K, d('s16')));
  assert.equal(h.cps.low, K);
});

test('no checkpoint is stable before the replica has its own state at n', () => {
  const h = harness();
  for (const i of ['n2', 'n3', 'n4']) h.deliver(checkpoint(i, K, d('s16')));
  assert.equal(h.cps.low, 0, 'Q others say so, but it has not executed through n');
  assert.deepEqual(h.stableAt, []);
  h.cps.take(K, 's16');
  assert.equal(h.cps.low, K, 'stable as soon as it takes its own');
});

test('taking a checkpoint no other replica has sent yet makes nothing stable', () => {
  const h = harness();
  h.cps.take(K, 's16');
  h.cps.take(2 * K, 's32');
  assert.equal(h.cps.low, 0);
  assert.equal(h.sent.length, 2);
});

test('CHECKPOINT messages are kept only at multiples of K', () => {
  const h = harness();
  h.cps.take(K / 2, 's8');
  h.deliver(h.sent[0] as SignedMsg);
  for (const i of ['n2', 'n3', 'n4']) h.deliver(checkpoint(i, K / 2, d('s8')));
  assert.equal(h.cps.low, 0, 'Q checkpoints at 8 (K = 16) are ignored');
});

test('CHECKPOINT messages are kept up to one window (2K) past the high watermark, not beyond', () => {
  const high = 2 * K;
  const near = harness();
  for (const i of ['n2', 'n3', 'n4']) near.deliver(checkpoint(i, high + 2 * K, d('s')), high);
  near.cps.take(high + 2 * K, 's');
  assert.equal(near.cps.low, high + 2 * K, 'at H + 2K they were kept');
  const far = harness();
  for (const i of ['n2', 'n3', 'n4']) far.deliver(checkpoint(i, high + 3 * K, d('s')), high);
  far.cps.take(high + 3 * K, 's');
  assert.equal(far.cps.low, 0, 'past H + 2K they were dropped');
});

test('the low watermark moves only up: a stable checkpoint is not replaced by an older one', () => {
  const h = harness();
  h.cps.take(K, 's16');
  h.cps.take(2 * K, 's32');
  for (const i of ['n1', 'n2', 'n3']) h.deliver(checkpoint(i, 2 * K, d('s32')));
  assert.equal(h.cps.low, 2 * K);
  for (const i of ['n1', 'n2', 'n3', 'n4']) h.deliver(checkpoint(i, K, d('s16')));
  assert.equal(h.cps.low, 2 * K, 'checkpoints at 16 below h change nothing');
  assert.deepEqual(h.stableAt, [2 * K]);
  for (const i of ['n4']) h.deliver(checkpoint(i, 2 * K, d('s32')));
  assert.deepEqual(h.stableAt, [2 * K], 'nor does a fourth checkpoint at h');
});

test('the low watermark never moves back, nor is h made stable again, after h is read from disk', () => {
  // Reached only through restored(): every other path to h collects the messages at or below
  // it, so this is the class's own guard, not the replica's.
  const below = harness();
  for (const i of ['n2', 'n3', 'n4']) below.deliver(checkpoint(i, K, d('s16')));
  below.cps.restored({ n: 2 * K, snap: 's32', proof: [] });
  below.cps.take(K, 's16');
  assert.equal(below.cps.low, 2 * K, 'Q checkpoints at 16 < h do not take h back');
  assert.deepEqual(below.stableAt, []);
  const at = harness();
  for (const i of ['n2', 'n3', 'n4']) at.deliver(checkpoint(i, 2 * K, d('s32')));
  at.cps.restored({ n: 2 * K, snap: 's32', proof: [] });
  at.cps.take(2 * K, 's32');
  assert.deepEqual(at.stableAt, [], 'h itself is not made stable twice');
  assert.deepEqual([...at.disk.keys()], []);
});

test('collecting at a stable checkpoint keeps the states and messages above it', () => {
  const h = harness();
  h.cps.take(K, 's16');
  h.cps.take(2 * K, 's32');
  h.deliver(checkpoint('n2', 2 * K, d('s32')));
  h.deliver(checkpoint('n3', 2 * K, d('s32')));
  for (const i of ['n1', 'n2', 'n3']) h.deliver(checkpoint(i, K, d('s16')));
  assert.equal(h.cps.low, K);
  h.deliver(checkpoint('n1', 2 * K, d('s32')));
  assert.equal(h.cps.low, 2 * K, 'state and two CHECKPOINTs at 32 survived the collection at 16');
  assert.deepEqual(h.stableAt, [K, 2 * K]);
});

test('our CHECKPOINT is resent while it is not stable, and no longer once it is', () => {
  const h = harness();
  h.cps.take(K, 's16');
  h.cps.resendMine();
  assert.equal(h.sent.length, 2);
  assert.deepEqual(h.sent[1], h.sent[0], 'the same signed message');
  for (const i of ['n1', 'n2', 'n3']) h.deliver(checkpoint(i, K, d('s16')));
  h.cps.resendMine();
  assert.equal(h.sent.length, 2, 'stable: not resent');
});

test('a checkpoint read back from disk sets h without writing, counting or collecting', () => {
  const h = harness();
  const ck: Checkpoint = { n: 2 * K, snap: 's32', proof: [checkpoint('n2', 2 * K, d('s32'))] };
  h.cps.restored(ck);
  assert.equal(h.cps.low, 2 * K);
  assert.deepEqual(h.cps.stable, ck);
  assert.deepEqual([...h.disk.keys()], []);
  assert.deepEqual(h.metrics, []);
  assert.deepEqual(h.stableAt, []);
});
