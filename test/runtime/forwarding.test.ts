/**
 * Forwarding (src/runtime/forwarding.ts) on its own: batching per peer and turn, batch bounds,
 * per-request timeouts and abandon, and hostile batches from an authenticated but buggy peer.
 * Two instances stand for a follower and a leader; their messages are carried by hand, as JSON
 * text (what the transport would deliver).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../src/core/json.js';
import type { ClientReply, Message, NodeId } from '../../src/core/node.js';
import {
  ANSWER_TOO_LARGE,
  Forwarding,
  MAX_BATCH,
  MAX_BATCH_CHARS,
} from '../../src/runtime/forwarding.js';
import { until } from '../support/wait.js';

interface Sent {
  readonly to: NodeId;
  readonly json: string;
  readonly msg: Message & { batch?: Record<string, Json>[] };
}

interface Submitted {
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
  readonly onReply: (reply: ClientReply) => void;
  abandoned: boolean;
}

function harness(
  serveTimeoutMs?: number,
  maxAnswerBytes?: number,
  appliedEntry?: () => { index: number; term: number } | undefined,
): {
  f: Forwarding;
  sent: Sent[];
  submitted: Submitted[];
} {
  const sent: Sent[] = [];
  const submitted: Submitted[] = [];
  const f = new Forwarding({
    send: (to, json, type) => {
      const msg = JSON.parse(json) as Sent['msg'];
      assert.equal(msg.type, type);
      sent.push({ to, json, msg });
    },
    submitLocal: (client, seq, op, onReply) => {
      const s: Submitted = { client, seq, op, onReply, abandoned: false };
      submitted.push(s);
      return () => {
        s.abandoned = true;
      };
    },
    info: () => ({ etcd: null }),
    ...(serveTimeoutMs !== undefined ? { serveTimeoutMs } : {}),
    ...(maxAnswerBytes !== undefined ? { maxAnswerBytes } : {}),
    ...(appliedEntry !== undefined ? { appliedEntry } : {}),
  });
  return { f, sent, submitted };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** A message as it arrives from the wire: parsed from JSON text. */
const wire = (v: unknown): Message => JSON.parse(JSON.stringify(v)) as Message;

test('requests forwarded in one turn leave as one message, and their answers as one', async () => {
  const follower = harness();
  const leader = harness();
  const got: (ClientReply | null)[] = [];
  for (let i = 0; i < 50; i++) {
    follower.f.forward('n1', 'c', i, { f: 'put', i }, 5000, (r) => got.push(r));
  }
  assert.equal(follower.sent.length, 0, 'nothing is sent before the turn ends');
  await turn();
  assert.equal(follower.sent.length, 1);
  const fwd = follower.sent[0] as Sent;
  assert.equal(fwd.to, 'n1');
  assert.equal(fwd.msg.type, '$forward');
  assert.equal(fwd.msg.batch?.length, 50);
  assert.deepEqual(fwd.msg.batch?.[7], { fid: 8, client: 'c', seq: 7, op: { f: 'put', i: 7 } });

  leader.f.handle('n2', wire(fwd.msg));
  assert.equal(leader.submitted.length, 50);
  assert.deepEqual(
    leader.submitted.map((s) => s.seq),
    Array.from({ length: 50 }, (_, i) => i),
    'served in order',
  );
  for (const [i, s] of leader.submitted.entries()) {
    const reply = { ok: true as const, value: { i } };
    s.onReply(reply);
    reply.value.i = -1; // the node mutating its reply later changes nothing already given
  }
  assert.equal(leader.sent.length, 0);
  await turn();
  assert.equal(leader.sent.length, 1);
  const back = leader.sent[0] as Sent;
  assert.equal(back.to, 'n2');
  assert.equal(back.msg.type, '$forwarded');
  assert.equal(back.msg.batch?.length, 50);

  follower.f.handle('n1', wire(back.msg));
  assert.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => ({ ok: true, value: { i } })),
  );
  const none = { lost: 0, dropped: 0, tooLarge: 0 };
  assert.deepEqual(follower.f.stats, { served: 0, forwarded: 50, ...none });
  assert.deepEqual(leader.f.stats, { served: 50, forwarded: 0, ...none });
  follower.f.close();
  leader.f.close();
});

test('batches are bounded by count and size, in order, one queue per peer', async () => {
  const { f, sent } = harness();
  for (let i = 0; i < 2500; i++) f.forward('n1', 'c', i, null, 5000, () => {});
  f.forward('n3', 'c', 0, null, 5000, () => {});
  await turn();
  assert.deepEqual(
    sent.map((s) => [s.to, s.msg.batch?.length]),
    [
      ['n1', MAX_BATCH],
      ['n1', MAX_BATCH],
      ['n1', 500],
      ['n3', 1],
    ],
  );
  const seqs = sent.filter((s) => s.to === 'n1').flatMap((s) => s.msg.batch?.map((e) => e.seq));
  assert.deepEqual(
    seqs,
    Array.from({ length: 2500 }, (_, i) => i),
  );
  // Large requests: a message carries about MAX_BATCH_CHARS of them; a larger one goes alone.
  sent.length = 0;
  const big = 'x'.repeat(MAX_BATCH_CHARS * 0.4);
  for (let i = 0; i < 5; i++) f.forward('n1', 'c', i, big, 5000, () => {});
  f.forward('n1', 'c', 5, 'y'.repeat(MAX_BATCH_CHARS + 10), 5000, () => {});
  f.forward('n1', 'c', 6, 'small', 5000, () => {});
  await turn();
  assert.deepEqual(
    sent.map((s) => s.msg.batch?.map((e) => e.seq)),
    [[0, 1], [2, 3], [4], [5], [6]],
  );
  for (const s of sent.slice(0, 3)) assert.ok(s.json.length < MAX_BATCH_CHARS + 200);
  f.close();
});

test('malformed elements are dropped one by one; the rest are served and answered', async () => {
  const leader = harness();
  const good = (fid: number): Json => ({ fid, client: 'c', seq: fid, op: { f: 'get' } });
  leader.f.handle(
    'n2',
    wire({
      type: '$forward',
      batch: [
        good(1),
        null,
        7,
        'x',
        [],
        { fid: '1', client: 'c', seq: 1, op: 1 },
        { fid: 2, client: '', seq: 1, op: 1 },
        { fid: 3, client: 'c', seq: -1, op: 1 },
        { fid: 4, client: 'c', seq: 1.5, op: 1 },
        { fid: 5, client: 'c', seq: 1 },
        { fid: 6, client: 5, seq: 1, op: 1 },
        { fid: 7, client: 'c', seq: 2 ** 60, op: 1 },
        good(9),
      ],
    }),
  );
  assert.deepEqual(
    leader.submitted.map((s) => s.seq),
    [1, 9],
  );
  assert.equal(leader.f.stats.dropped, 11);
  assert.equal(leader.f.stats.served, 2);
  for (const s of leader.submitted) s.onReply({ ok: false, error: 'not leader', definite: true });
  await turn();
  assert.deepEqual(
    leader.sent.map((s) => s.msg.batch?.map((e) => e.fid)),
    [[1, 9]],
  );

  // On the follower's side: only well-formed answers are taken; the others' forwards time out.
  const follower = harness();
  const got = new Map<number, ClientReply | null>();
  for (let seq = 1; seq <= 4; seq++) {
    follower.f.forward('n1', 'c', seq, null, 50, (r) => got.set(seq, r));
  }
  follower.f.handle(
    'n1',
    wire({
      type: '$forwarded',
      batch: [
        { fid: 1, reply: { ok: 'yes' } },
        { fid: 2, reply: { ok: false, error: 'x' } }, // no `definite`
        null,
        { fid: '3', reply: { ok: true, value: 3 } },
        { fid: 3, reply: { ok: true, value: 3 } },
        { fid: 4 },
        { fid: 999, reply: { ok: true, value: 0 } }, // nobody waits for it: ignored
      ],
    }),
  );
  assert.deepEqual([...got], [[3, { ok: true, value: 3 }]]);
  assert.equal(follower.f.stats.dropped, 5);
  await until(() => got.size === 4, { what: 'the three other forwards to time out' });
  assert.deepEqual(
    [...got].sort((a, b) => a[0] - b[0]),
    [
      [1, null],
      [2, null],
      [3, { ok: true, value: 3 }],
      [4, null],
    ],
  );
  assert.equal(follower.f.stats.lost, 3);
  leader.f.close();
  follower.f.close();
});

test('per-request timeouts and abandon work as before batching', async () => {
  const follower = harness();
  const calls: [number, ClientReply | null][] = [];
  follower.f.forward('n1', 'c', 1, null, 20, (r) => calls.push([1, r]));
  const abandon = follower.f.forward('n1', 'c', 2, null, 20, (r) => calls.push([2, r]));
  abandon();
  await turn();
  const batch = follower.sent[0]?.msg.batch ?? [];
  assert.equal(batch.length, 2, 'an abandoned request may still go out (as before)');
  // "Never reports" needs an event to stand on: a forward made after the abandon, with the same
  // timeout, times out after the abandoned one would have.
  follower.f.forward('n1', 'c', 3, null, 20, (r) => calls.push([3, r]));
  await until(() => calls.some(([seq]) => seq === 3), { what: 'the later forward to time out' });
  assert.deepEqual(
    calls,
    [
      [1, null],
      [3, null],
    ],
    'the forwards timed out; the abandoned one never reports',
  );
  assert.equal(follower.f.stats.lost, 2);
  // Answers that come after the timeout or the abandon are ignored.
  follower.f.handle(
    'n1',
    wire({ type: '$forwarded', batch: batch.map((e) => ({ fid: e.fid, reply: { ok: true } })) }),
  );
  assert.equal(calls.length, 2);

  // The leader gives up on what its node did not answer within serveTimeoutMs.
  const leader = harness(30);
  leader.f.handle(
    'n2',
    wire({
      type: '$forward',
      batch: [1, 2, 3].map((fid) => ({ fid, client: 'c', seq: fid, op: null })),
    }),
  );
  const [first, second, third] = leader.submitted as [Submitted, Submitted, Submitted];
  first.onReply({ ok: true, value: 1 });
  await until(() => second.abandoned && third.abandoned, {
    what: 'the leader to give up on the unanswered two',
  });
  assert.deepEqual(
    leader.submitted.map((s) => s.abandoned),
    [false, true, true],
  );
  second.onReply({ ok: true, value: 2 }); // too late
  third.onReply({ ok: true, value: 3 });
  await turn();
  assert.deepEqual(
    leader.sent.map((s) => s.msg.batch?.map((e) => e.fid)),
    [[1]],
  );
  follower.f.close();
  leader.f.close();
});

test('hostile batch shapes are dropped without throwing', async () => {
  const { f, sent, submitted } = harness();
  const hostile: unknown[] = [
    { type: '$forward' },
    { type: '$forward', batch: null },
    { type: '$forward', batch: 'fid' },
    { type: '$forward', batch: 5 },
    { type: '$forward', batch: { 0: { fid: 1, client: 'c', seq: 1, op: 1 }, length: 1 } },
    { type: '$forward', batch: new Array(200_000).fill(null) },
    { type: '$forward', batch: [[[[[]]]], { fid: {}, client: {}, seq: '1', op: [] }] },
    { type: '$forwarded' },
    { type: '$forwarded', batch: {} },
    { type: '$forwarded', batch: new Array(50_000).fill({ fid: 1, reply: null }) },
    { type: '$forwarded', batch: [{ fid: null, reply: { ok: true } }, 'reply'] },
    { type: '$info?', qid: 'x' },
    { type: '$info', qid: {} },
    { type: '$nonsense', batch: [1] },
  ];
  for (const m of hostile) assert.doesNotThrow(() => f.handle('n2', wire(m)));
  // A prototype key from the wire is an own property there, nothing more.
  assert.doesNotThrow(() =>
    f.handle(
      'n2',
      JSON.parse(
        '{"type":"$forward","batch":[{"__proto__":{"fid":1,"client":"c","seq":1,"op":1}}]}',
      ) as Message,
    ),
  );
  assert.equal(submitted.length, 0);
  // More elements than an honest peer sends: MAX_BATCH are served, the rest dropped.
  const before = f.stats.dropped;
  f.handle(
    'n2',
    wire({
      type: '$forward',
      batch: Array.from({ length: MAX_BATCH + 500 }, (_, i) => ({
        fid: i,
        client: 'c',
        seq: i,
        op: null,
      })),
    }),
  );
  assert.equal(submitted.length, MAX_BATCH);
  assert.equal(f.stats.dropped - before, 500);
  await turn();
  assert.deepEqual(sent, [], 'nothing was answered, so nothing is sent');
  f.close();
});

test('close reports waiting forwards at once and sends nothing more', async () => {
  const { f, sent } = harness();
  const got: (ClientReply | null)[] = [];
  f.forward('n1', 'c', 1, null, 60_000, (r) => got.push(r));
  f.close();
  assert.equal(got.length, 1);
  f.forward('n1', 'c', 2, null, 60_000, (r) => got.push(r));
  assert.deepEqual(got, [null, null]);
  await turn();
  assert.deepEqual(sent, []);
});

test('info queries still go one message per peer', async () => {
  const a = harness();
  const b = harness();
  const answers = a.f.ask(['n2'], 1000);
  assert.equal(a.sent[0]?.msg.type, '$info?');
  b.f.handle('n1', wire(a.sent[0]?.msg));
  assert.equal(b.sent[0]?.msg.type, '$info');
  a.f.handle('n2', wire(b.sent[0]?.msg));
  assert.deepEqual([...(await answers)], [['n2', { etcd: null }]]);
});

test('an answer too large for a frame comes back as a short error at once, not as silence', async () => {
  const follower = harness();
  const leader = harness(undefined, 1000);
  const got: (ClientReply | null)[] = [];
  for (let i = 0; i < 3; i++)
    follower.f.forward('n1', 'c', i, { f: 'get' }, 5000, (r) => got.push(r));
  await turn();
  leader.f.handle('n2', wire((follower.sent[0] as Sent).msg));
  const [small, ascii, accented] = leader.submitted as [Submitted, Submitted, Submitted];
  small.onReply({ ok: true, value: 'x'.repeat(900) });
  ascii.onReply({ ok: true, value: 'x'.repeat(5000) });
  // 600 characters, but 1,200 bytes in UTF-8: the limit is in bytes, as the frame's is.
  accented.onReply({ ok: true, value: 'é'.repeat(600) });
  await turn();
  const back = leader.sent[0] as Sent;
  assert.ok(back.json.length < 2000, `the answers are small (${back.json.length})`);
  follower.f.handle('n1', wire(back.msg));
  assert.deepEqual(got[0], { ok: true, value: 'x'.repeat(900) });
  for (const r of got.slice(1)) {
    assert.ok(r !== null && !r.ok && r.error.startsWith(ANSWER_TOO_LARGE), JSON.stringify(r));
    // The operation may have taken effect (a delete's prev_kv): not a definite failure.
    assert.equal(r !== null && !r.ok && r.definite, false);
  }
  assert.match(JSON.stringify(got[2]), /1\d{3} bytes, limit 1000/);
  assert.equal(leader.f.stats.tooLarge, 2);
});

test("a successful answer names the leader's applied entry; errors and malformed positions do not", async () => {
  const follower = harness();
  let applied = { index: 41, term: 3 };
  const leader = harness(undefined, undefined, () => applied);
  const got: [ClientReply | null, unknown][] = [];
  for (let i = 0; i < 3; i++)
    follower.f.forward('n1', 'c', i, { f: 'put' }, 5000, (r, at) => got.push([r, at]));
  await turn();
  leader.f.handle('n2', wire((follower.sent[0] as Sent).msg));
  const [first, second, third] = leader.submitted as [Submitted, Submitted, Submitted];
  first.onReply({ ok: true, value: 1 });
  // Read when the answer is given, not when it is sent: the entry that made this reply.
  applied = { index: 42, term: 3 };
  second.onReply({ ok: true, value: 2 });
  applied = { index: 43, term: 3 };
  third.onReply({ ok: false, error: 'not leader', definite: true });
  await turn();
  const back = leader.sent[0] as Sent;
  assert.deepEqual(
    back.msg.batch?.map((e) => e.at),
    [[41, 3], [42, 3], undefined],
  );
  follower.f.handle('n1', wire(back.msg));
  assert.deepEqual(got, [
    [
      { ok: true, value: 1 },
      { index: 41, term: 3 },
    ],
    [
      { ok: true, value: 2 },
      { index: 42, term: 3 },
    ],
    [{ ok: false, error: 'not leader', definite: true }, undefined],
  ]);

  // A buggy peer's positions: the reply is still delivered, without a position to wait for.
  got.length = 0;
  for (let i = 3; i < 7; i++)
    follower.f.forward('n1', 'c', i, { f: 'put' }, 5000, (r, at) => got.push([r, at]));
  const fids = follower.f.stats.forwarded;
  const bad = [[-1, 3], [1.5, 3], 'x', [1, 2, 3]];
  follower.f.handle(
    'n1',
    wire({
      type: '$forwarded',
      batch: bad.map((at, i) => ({ fid: fids - 3 + i, reply: { ok: true, value: i }, at })),
    }),
  );
  assert.deepEqual(
    got,
    bad.map((_, i) => [{ ok: true, value: i }, undefined]),
  );
  follower.f.close();
  leader.f.close();
});
