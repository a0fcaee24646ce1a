/**
 * Sessions (src/runtime/etcd/sessions.ts) against a scripted NodeGateway: the call loop's
 * deadline (one timer per call) ends a local attempt that never answers, forwards time out on
 * their own, and every retry of a call keeps its (client, seq).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../src/core/json.js';
import type { ClientReply } from '../../src/core/node.js';
import { status as Status } from '@grpc/grpc-js';
import { EtcdFault } from '../../src/runtime/etcd/codec.js';
import { Sessions, type NodeGateway } from '../../src/runtime/etcd/sessions.js';
import { ANSWER_TOO_LARGE } from '../../src/runtime/forwarding.js';
import { GENEROUS_MS, within } from '../support/wait.js';

type Local = (seq: number, onReply: (r: ClientReply) => void) => void;
type Forward = (seq: number, timeoutMs: number, done: (r: ClientReply | null) => void) => void;

function gateway(local: Local, forward: Forward) {
  const log = { local: [] as number[], forwards: [] as number[], abandoned: 0 };
  const gw: NodeGateway = {
    id: 'n2',
    submitLocal: (_client: string, seq: number, _op: Json, onReply) => {
      log.local.push(seq);
      local(seq, onReply);
      return () => log.abandoned++;
    },
    forward: (_to, _client, seq, _op, timeoutMs, done) => {
      log.forwards.push(seq);
      forward(seq, timeoutMs, done);
      return () => log.abandoned++;
    },
  };
  return { gw, log };
}

// Sessions' back-off sleeps do not hold the process open (a node has its sockets for that).
let keepAlive: NodeJS.Timeout | undefined;
before(() => (keepAlive = setInterval(() => {}, 1000)));
after(() => clearInterval(keepAlive));

const notLeader: ClientReply = { ok: false, error: 'not leader', definite: true, leader: 'n1' };

test('a local attempt that never answers ends at the call deadline', async () => {
  const { gw, log } = gateway(
    () => {},
    () => {},
  );
  const s = new Sessions(gw, { prefix: 'p' });
  const deadline = Date.now() + 80;
  await within(
    assert.rejects(s.call({ f: 'get' }, deadline), { message: 'etcdserver: no leader' }),
    { what: 'the call to end at its deadline' },
  );
  // A lower bound is the property here: the call must not give up before its deadline (5 ms
  // of slack for timer granularity). How long after it ends is not judged.
  assert.ok(Date.now() >= deadline - 5, `ended ${deadline - Date.now()} ms before its deadline`);
  assert.deepEqual(log.local, [1], 'one attempt, waiting until the deadline');
  assert.equal(log.abandoned, 1, 'and abandoned then');
  assert.equal(s.stats.timeouts, 1);
  assert.equal(s.inUse, 0, 'the slot is back');
});

test('forwards time out on their own and are retried with the same seq until the deadline', async () => {
  const { gw, log } = gateway(
    (_seq, onReply) => onReply(notLeader),
    (_seq, ms, done) => void setTimeout(() => done(null), ms),
  );
  const s = new Sessions(gw, { prefix: 'p', forwardTimeoutMs: 30 });
  await assert.rejects(s.call({ f: 'put' }, Date.now() + 200), {
    message: 'etcdserver: request timed out',
  });
  assert.ok(log.forwards.length >= 2, `forwarded ${log.forwards.length} times`);
  assert.ok(
    [...log.local, ...log.forwards].every((seq) => seq === 1),
    'one seq for all',
  );
  assert.equal(s.stats.forwarded, log.forwards.length);
  // The next call on the same slot has the next seq.
  const ok = gateway(
    (_seq, onReply) => setTimeout(() => onReply({ ok: true, value: 'v' }), 10),
    () => {},
  );
  const s2 = new Sessions(ok.gw, { prefix: 'p' });
  assert.equal(await s2.call({ f: 'get' }, Date.now() + 1000), 'v');
  assert.equal(await s2.call({ f: 'get' }, Date.now() + 1000), 'v');
  assert.deepEqual(ok.log.local, [1, 2]);
  assert.equal(ok.log.abandoned, 0);
});

test('a forwarded answer is returned; a definite etcd error is raised with its text', async () => {
  let n = 0;
  const { gw } = gateway(
    (_seq, onReply) => onReply(notLeader),
    (_seq, _ms, done) =>
      setImmediate(() =>
        done(
          n++ === 0
            ? { ok: true, value: { revision: 7 } }
            : { ok: false, error: 'etcdserver: requested lease not found', definite: true },
        ),
      ),
  );
  const s = new Sessions(gw, { prefix: 'p' });
  assert.deepEqual(await s.call({ f: 'put' }, Date.now() + 1000), { revision: 7 });
  await assert.rejects(s.call({ f: 'put' }, Date.now() + 1000), {
    message: 'etcdserver: requested lease not found',
  });
  assert.equal(s.stats.retries, 0);
});

test("a leader's answer too large to forward fails the call at once, without retrying", async () => {
  const { gw, log } = gateway(
    (_seq, onReply) => onReply(notLeader),
    (_seq, _ms, done) =>
      done({
        ok: false,
        error: `${ANSWER_TOO_LARGE} (20000000 bytes, limit 1000)`,
        definite: false,
      }),
  );
  const s = new Sessions(gw, { prefix: 'p' });
  // The deadline is far past the wait's timeout: a call that waited for it fails loudly.
  const failed = assert.rejects(
    s.call({ f: 'get' }, Date.now() + 10 * GENEROUS_MS),
    (e: unknown) => {
      assert.ok(e instanceof EtcdFault);
      assert.equal(e.code, Status.RESOURCE_EXHAUSTED);
      assert.match(e.message, /answer too large to forward \(20000000 bytes/);
      assert.match(e.message, /may have taken effect/);
      return true;
    },
  );
  await within(failed, { what: 'the call to fail before its deadline' });
  assert.deepEqual(log.forwards, [1], 'forwarded once, not retried');
  assert.equal(s.stats.retries, 0);
  assert.equal(s.inUse, 0);
});
