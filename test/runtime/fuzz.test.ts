/**
 * The fuzzing harness at a small fixed budget (bench/fuzz, `npm run fuzz` runs 1,000,000): the
 * runtime's decoders and connection handlers take 25,000 seeded inputs without a finding, a real
 * node takes a few hundred over its three ports and keeps answering, and the harness catches a
 * decoder with one rule removed (each mutant below), so a clean run means something.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdFault, opFor } from '../../src/runtime/etcd/codec.js';
import { FrameDecoder } from '../../src/runtime/frames.js';
import { ClientServer } from '../../src/runtime/client-server.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../src/runtime/json-depth.js';
import { acceptOn, FakeSocket } from '../../bench/fuzz/fake-socket.js';
import { runE2e } from '../../bench/fuzz/e2e.js';
import { h2Target } from '../../bench/fuzz/h2-target.js';
import { DEFAULT_H2_FILTER_LIMITS } from '../../src/runtime/h2/request-filter.js';
import {
  allTargets,
  etcdTarget,
  framesTarget,
  peerTarget,
  REAL_FRAME_CODEC,
} from '../../bench/fuzz/targets.js';
import type { Finding, Target } from '../../bench/fuzz/target.js';

const SEED = 20260;

function firstFinding(t: Target, n: number): Finding | undefined {
  for (let i = 0; i < n; i++) {
    const f = t.run(SEED, i);
    if (f !== undefined) return f;
  }
  return undefined;
}

test('25,000 in-process inputs over frames, client, peer, etcd decoding and the HTTP/2 filter: no finding', () => {
  for (const t of allTargets()) {
    const f = firstFinding(t, 5000);
    t.close?.();
    assert.equal(
      f,
      undefined,
      f && `${f.target} #${f.index}: ${f.problem}\n${f.input.slice(0, 400)}`,
    );
  }
});

test('a finding is reproducible from its seed and index', () => {
  const mutant = framesTarget({ ...REAL_FRAME_CODEC, decodeJson: (b) => JSON.parse(b.toString()) });
  const f = firstFinding(mutant, 2000);
  assert.ok(f);
  assert.deepEqual(mutant.run(f.seed, f.index), f);
});

test('mutant: a frame decoder without the length limit is caught', () => {
  class NoLimit extends FrameDecoder {
    override next(): Buffer | undefined {
      const saved = this.limit;
      this.limit = Number.MAX_SAFE_INTEGER;
      try {
        return super.next();
      } finally {
        this.limit = saved;
      }
    }
  }
  const f = firstFinding(
    framesTarget({ ...REAL_FRAME_CODEC, newDecoder: (l) => new NoLimit(l) }),
    2000,
  );
  assert.match(f?.problem ?? '', /over the limit .* was not refused/);
});

test('mutant: decodeJsonFrame letting SyntaxError escape is caught', () => {
  const codec = {
    ...REAL_FRAME_CODEC,
    decodeJson: (b: Buffer) => JSON.parse(b.toString()) as unknown,
  };
  assert.match(firstFinding(framesTarget(codec), 2000)?.problem ?? '', /SyntaxError/);
});

test('mutant: a peer transport without its message check is caught', () => {
  const f = firstFinding(
    peerTarget(() => undefined),
    2000,
  );
  assert.match(f?.problem ?? '', /malformed message reached the node/);
});

test('mutant: an etcd request decoder throwing a plain error is caught', () => {
  const sloppy = (method: string, m: Record<string, unknown>): unknown => {
    try {
      return opFor(method, m);
    } catch (e) {
      throw e instanceof EtcdFault ? new TypeError(e.message) : e;
    }
  };
  assert.match(firstFinding(etcdTarget(sloppy), 2000)?.problem ?? '', /TypeError/);
});

test('mutant: an HTTP/2 filter without its header list cap is caught (an HPACK bomb)', () => {
  const uncapped = h2Target({ ...DEFAULT_H2_FILTER_LIMITS, maxHeaderListSize: Infinity });
  assert.match(firstFinding(uncapped, 2000)?.problem ?? '', /could not decode a header block/);
});

test('the depth limit: a client line nested past it is refused, one within it is served', () => {
  let server: ClientServer;
  const served: unknown[] = [];
  // eslint-disable-next-line prefer-const
  server = new ClientServer({
    listen: { host: '127.0.0.1', port: 0 },
    onRequest: (q) => {
      served.push(q.op);
      server.reply(q.id, { ok: true, value: null });
    },
    status: () => null,
    log: () => {},
  });
  const socket = new FakeSocket();
  acceptOn(server, socket);
  const deep = (d: number): string => '['.repeat(d) + ']'.repeat(d);
  // Without the check this receive throws RangeError (echoing the rid overflows the stack),
  // which over a real socket killed the node.
  socket.receive(Buffer.from(`{"rid":${deep(20000)},"status":true}\n`));
  socket.receive(Buffer.from(`{"rid":1,"client":"c","seq":1,"op":${deep(MAX_JSON_DEPTH - 1)}}\n`));
  const answers = Buffer.concat(socket.written).toString().trim().split('\n');
  assert.equal(answers.length, 2);
  assert.match(answers[0] ?? '', new RegExp(`nested deeper than ${MAX_JSON_DEPTH}`));
  assert.match(answers[1] ?? '', /"ok":true/);
  assert.equal(served.length, 1);
  assert.equal(nestedDeeperThan(JSON.parse(deep(MAX_JSON_DEPTH)), MAX_JSON_DEPTH), false);
  assert.equal(nestedDeeperThan(JSON.parse(deep(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH), true);
  socket.destroy();
});

test('end to end: a real etcd-raft node takes 320 mutated inputs on its three ports and answers', async () => {
  const r = await runE2e({
    seed: SEED,
    inputs: 320,
    parallel: 32,
    // Peer snapshots included: a malformed one is refused, no longer a crash (snapshot-schema.ts).
    noPeerSnapshots: false,
    rssBound: 64 * 1024 * 1024,
  });
  assert.deepEqual(r.findings, []);
  assert.ok(r.inputs >= 320 && r.rssAfter > 0, JSON.stringify(r));
});
