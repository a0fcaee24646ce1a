/**
 * The in-process fuzz targets. Each turns input `index` of a seed into bytes, feeds them to the
 * runtime's real decoder or handler, and returns a Finding when the module did anything but
 * decode the input or refuse it in its own documented way: any other exception (a node would
 * crash on it, or answer INTERNAL with a stack's message), an answer that breaks the port's
 * contract, or a frame decoded differently than the format says.
 */
import { Buffer } from 'node:buffer';
import type { Random } from '../../src/core/random.js';
import type { Message } from '../../src/core/node.js';
import { proof, PROTOCOL_VERSION } from '../../src/runtime/auth.js';
import { ClientServer } from '../../src/runtime/client-server.js';
import { EtcdFault, opFor } from '../../src/runtime/etcd/codec.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';
import {
  decodeJsonFrame,
  encodeFrame,
  encodeJsonFrame,
  FrameDecoder,
  FrameError,
} from '../../src/runtime/frames.js';
import { PeerTransport } from '../../src/runtime/peer-transport.js';
import { raftMessageProblem } from '../../src/protocols/raft/message-schema.js';
import { acceptOn, FakeSocket } from './fake-socket.js';
import { h2Target } from './h2-target.js';
import type { Finding, Target } from './target.js';
import { deepJson, depthOf, havoc, hex, inputRandom, mutateJson, wrongValue } from './mutate.js';

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Splits bytes into 1–4 chunks at random points (how TCP may deliver them). */
function chunks(r: Random, b: Buffer): Buffer[] {
  const cuts = [0, b.length];
  for (let k = r.int(4); k > 0; k--) cuts.push(r.int(b.length + 1));
  cuts.sort((x, y) => x - y);
  const out: Buffer[] = [];
  for (let i = 1; i < cuts.length; i++) out.push(b.subarray(cuts[i - 1], cuts[i]));
  return out;
}

// ---- corpora ----------------------------------------------------------------------------------

const RAFT_MESSAGES: readonly Record<string, unknown>[] = [
  { type: 'pre-vote', term: 3, lastIndex: 10, lastTerm: 2 },
  { type: 'vote', term: 3, lastIndex: 10, lastTerm: 2, transfer: false },
  { type: 'vote-resp', term: 3, granted: true },
  {
    type: 'append',
    term: 3,
    prevIndex: 9,
    prevTerm: 2,
    entries: [
      { term: 3, kind: 'noop' },
      {
        term: 3,
        kind: 'command',
        command: { client: 'c1', seq: 4, op: { f: 'put', key: 'k', value: 'v' } },
      },
      { term: 3, kind: 'config', config: { voters: ['n1', 'n2'], learners: [] } },
    ],
    commit: 8,
    round: 5,
  },
  {
    type: 'append-resp',
    term: 3,
    success: false,
    match: 0,
    rejected: 9,
    hintIndex: 4,
    hintTerm: 2,
    round: 5,
  },
  { type: 'heartbeat', term: 3, commit: 8, round: 6 },
  {
    type: 'snapshot',
    term: 3,
    index: 100,
    snapTerm: 2,
    config: { voters: ['n1', 'n2'], learners: [] },
    offset: 0,
    chunk: '{"kv":{}}',
    done: true,
    round: 7,
  },
  { type: 'timeout-now', term: 3 },
  { type: 'read-index', term: 3, ctx: 'abc' },
];

/** A Raft message, valid or with one field wrong. */
function raftMessage(r: Random): Record<string, unknown> {
  const m = r.pick(RAFT_MESSAGES);
  return r.chance(0.5) ? m : mutateJson(r, m);
}

const HELLO = { t: 'hello', v: PROTOCOL_VERSION, from: 'n2', to: 'n1', nonce: 'a'.repeat(32) };

function jsonPayload(r: Random): Buffer {
  if (r.chance(0.05)) {
    // A well-formed append but for an operation nested deeper than JSON.stringify's stack.
    const command = { client: 'c1', seq: 1, op: 'DEEP' };
    const m = { ...RAFT_MESSAGES[3], entries: [{ term: 3, kind: 'command', command }] };
    return Buffer.from(JSON.stringify(m).replace('"DEEP"', deepJson(r, depthOf(r))));
  }
  switch (r.int(4)) {
    case 0:
      return Buffer.from(deepJson(r, depthOf(r)));
    case 1:
      return Buffer.from(JSON.stringify(mutateJson(r, HELLO)));
    default:
      return Buffer.from(JSON.stringify(raftMessage(r)));
  }
}

/** A byte stream of frames: valid ones, mutated ones, ones whose length prefix lies. */
export function frameStream(r: Random): Buffer {
  const frames: Buffer[] = [];
  for (let k = 1 + r.int(3); k > 0; k--) frames.push(encodeFrame(jsonPayload(r)));
  let b: Buffer = Buffer.concat(frames);
  const roll = r.int(4);
  if (roll === 0) {
    b = havoc(r, b, frames);
  } else if (roll === 1) {
    // The length says more (a little, or gigabytes) or less than follows.
    const lie = r.pick([0, 1, 3, 4095, 4096, 4097, 0xffffffff, 0x7fffffff, 16 * 1024 * 1024 + 1]);
    b.writeUInt32BE(r.chance(0.5) ? lie : Math.max(0, b.readUInt32BE(0) + r.int(9) - 4), 0);
  }
  return b;
}

// ---- frames.ts ----------------------------------------------------------------------------------

export interface FrameCodec {
  readonly newDecoder: (limit: number) => { feed(chunk: Buffer): void; next(): Buffer | undefined };
  readonly decodeJson: (frame: Buffer) => unknown;
  readonly isOwnError: (e: unknown) => boolean;
}

export const REAL_FRAME_CODEC: FrameCodec = {
  newDecoder: (limit) => new FrameDecoder(limit),
  decodeJson: decodeJsonFrame,
  isOwnError: (e) => e instanceof FrameError,
};

/**
 * What the format says `stream` holds: its complete frames in order, then whether the next
 * frame's length is over `limit` (the decoder must refuse it).
 */
function referenceFrames(stream: Buffer, limit: number): { frames: Buffer[]; oversized: boolean } {
  const frames: Buffer[] = [];
  let at = 0;
  while (stream.length - at >= 4) {
    const len = stream.readUInt32BE(at);
    if (len > limit) return { frames, oversized: true };
    if (stream.length - at - 4 < len) break;
    frames.push(stream.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return { frames, oversized: false };
}

/** FrameDecoder and decodeJsonFrame against the format's definition. */
export function framesTarget(codec: FrameCodec = REAL_FRAME_CODEC): Target {
  return {
    name: 'frames',
    run(seed, index) {
      const r = inputRandom(seed, 'frames', index);
      const stream = frameStream(r);
      const limit = r.pick([4096, 16 * 1024 * 1024]);
      const found = (problem: string): Finding => ({
        target: 'frames',
        seed,
        index,
        input: hex(stream),
        problem,
      });
      const want = referenceFrames(stream, limit);
      const got: Buffer[] = [];
      let refused = false;
      const decoder = codec.newDecoder(limit);
      try {
        // As the peer transport reads: frames before a refused one are still delivered.
        for (const c of chunks(r, stream)) {
          decoder.feed(c);
          for (let f = decoder.next(); f !== undefined; f = decoder.next()) got.push(f);
        }
      } catch (e) {
        if (!codec.isOwnError(e)) return found(`decoder threw ${describe(e)}`);
        refused = true;
      }
      if (refused !== want.oversized) {
        return found(
          want.oversized
            ? `a frame over the limit ${limit} was not refused`
            : 'refused a valid frame',
        );
      }
      if (got.length !== want.frames.length || got.some((f, i) => !f.equals(want.frames[i]!))) {
        return found(`decoded ${got.length} frames, the format has ${want.frames.length}`);
      }
      for (const f of got) {
        try {
          codec.decodeJson(f);
        } catch (e) {
          if (!codec.isOwnError(e)) return found(`decodeJsonFrame threw ${describe(e)}`);
        }
      }
      return undefined;
    },
  };
}

// ---- the client port --------------------------------------------------------------------------

const CLIENT_LINES: readonly Record<string, unknown>[] = [
  { rid: 1, client: 'c1', seq: 7, op: { f: 'put', key: 'k', value: 'v' } },
  { rid: 'x', client: 'c2', seq: 0, op: { f: 'get', key: 'k' } },
  { rid: [1, 2], status: true },
  { rid: null, client: 'c3', seq: 9007199254740991, op: { f: 'delete', key: 'k' } },
];

/** Newline-delimited client lines, mutated; sometimes a reply tag nested thousands deep. */
export function clientStream(r: Random): Buffer {
  const lines: string[] = [];
  for (let k = 1 + r.int(3); k > 0; k--) {
    const base = r.pick(CLIENT_LINES);
    const roll = r.int(5);
    if (roll === 0) lines.push(`{"rid":${deepJson(r, depthOf(r))},"status":true}`);
    else if (roll === 1)
      lines.push(`{"rid":1,"client":"c","seq":1,"op":${deepJson(r, depthOf(r))}}`);
    else lines.push(JSON.stringify(roll === 2 ? base : mutateJson(r, base)));
  }
  const b = Buffer.from(lines.join('\n') + '\n');
  return r.chance(0.4) ? havoc(r, b, []) : b;
}

/**
 * ClientServer's connection handler, fed through a stand-in socket: every non-blank line gets
 * exactly one answer that is a JSON object (an error, a status or a reply), unless a line over
 * the limit closed the connection; nothing throws.
 */
export function clientTarget(): Target {
  const MAX_LINE = 64 * 1024;
  let server: ClientServer;
  // eslint-disable-next-line prefer-const
  server = new ClientServer({
    listen: { host: '127.0.0.1', port: 0 },
    onRequest: (q) => server.reply(q.id, { ok: true, value: null }),
    status: () => ({ role: 'leader' }),
    log: () => {},
    maxLine: MAX_LINE,
  });
  return {
    name: 'client',
    run(seed, index) {
      const r = inputRandom(seed, 'client', index);
      const stream = clientStream(r);
      const found = (problem: string): Finding => ({
        target: 'client',
        seed,
        index,
        input: hex(stream),
        problem,
      });
      const socket = new FakeSocket();
      try {
        acceptOn(server, socket);
        for (const c of chunks(r, stream)) socket.receive(c);
      } catch (e) {
        return found(`the connection handler threw ${describe(e)}`);
      } finally {
        socket.destroy();
      }
      const text = stream.toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const expected = complete.split('\n').filter((l) => l.trim() !== '').length;
      const answers = Buffer.concat(socket.written).toString('utf8').split('\n');
      answers.pop();
      // A line over the limit (havoc may make one) closes the connection with one last answer.
      const tooLong = text.split('\n').some((l) => l.length > MAX_LINE);
      if (tooLong ? answers.length > expected + 1 : answers.length !== expected) {
        return found(`${expected} lines got ${answers.length} answers`);
      }
      for (const a of answers) {
        const v = JSON.parse(a) as unknown;
        if (typeof v !== 'object' || v === null || !('rid' in v)) {
          return found(`answer without rid: ${a.slice(0, 200)}`);
        }
      }
      return undefined;
    },
    close: () => server.close(),
  };
}

// ---- the peer port ----------------------------------------------------------------------------

const SECRET = Buffer.from('fuzzing-secret-0123456789');

/**
 * PeerTransport's inbound handler. Half the inputs are a stranger's byte stream (mutated
 * hellos); the other half complete the handshake as member n2 and then send mutated Raft
 * frames. Nothing may throw, and only messages that pass Raft's schema may reach the node.
 */
/** The cluster the fuzzed node n1 belongs to, as its peers' Raft messages must name it. */
const PEER_CLUSTER = ['n1', 'n2', 'n3'];
const raftProblem = (m: unknown): string | undefined => raftMessageProblem(m, PEER_CLUSTER);

export function peerTarget(check: (m: Message) => string | undefined = raftProblem): Target {
  let delivered: Message[] = [];
  const transport = new PeerTransport({
    id: 'n1',
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map([['n2', { host: '127.0.0.1', port: 1 }]]),
    secret: SECRET,
    onMessage: (_from, m) => void delivered.push(m),
    checkMessage: check,
    log: () => {},
    handshakeMs: 60_000,
  });
  return {
    name: 'peer',
    run(seed, index) {
      const r = inputRandom(seed, 'peer', index);
      const authenticated = r.chance(0.5);
      const stream = authenticated
        ? frameStream(r)
        : havoc(r, encodeJsonFrame(HELLO), [encodeJsonFrame({ t: 'auth', proof: 'x' })]);
      const found = (problem: string): Finding => ({
        target: 'peer',
        seed,
        index,
        input: (authenticated ? 'after-handshake:' : '') + hex(stream),
        problem,
      });
      delivered = [];
      const socket = new FakeSocket();
      try {
        acceptOn(transport, socket);
        if (authenticated) {
          const nonce = 'b'.repeat(32);
          socket.receive(encodeJsonFrame({ ...HELLO, nonce }));
          const challenge = decodeJsonFrame((socket.written[0] ?? Buffer.alloc(4)).subarray(4)) as {
            nonce?: unknown;
          };
          if (typeof challenge.nonce !== 'string') return found('no challenge to a valid hello');
          const p = proof(SECRET, 'dialer', 'n2', 'n1', nonce, challenge.nonce);
          socket.receive(encodeJsonFrame({ t: 'auth', proof: p }));
          if (socket.destroyed) return found('a valid handshake was rejected');
        }
        for (const c of chunks(r, stream)) socket.receive(c);
      } catch (e) {
        return found(`the connection handler threw ${describe(e)}`);
      } finally {
        socket.destroy();
      }
      for (const m of delivered) {
        const problem = raftProblem(m);
        if (problem !== undefined) return found(`a malformed message reached the node: ${problem}`);
        try {
          JSON.stringify(m); // the node writes it to its WAL and may forward it
        } catch (e) {
          return found(`a message the node cannot re-encode reached it: ${describe(e)}`);
        }
      }
      return undefined;
    },
    close: () => transport.close(),
  };
}

// ---- the etcd gRPC port -----------------------------------------------------------------------

type Msg = Record<string, unknown>;

interface Method {
  readonly name: string;
  readonly serialize: (m: Msg) => Buffer;
  readonly deserialize: (b: Buffer) => Msg;
  readonly samples: readonly Msg[];
}

const KEY = Buffer.from('key');
const PUT = { key: KEY, value: Buffer.from('value'), lease: 0, prev_kv: true };
const RANGE = { key: KEY, range_end: Buffer.from('kez'), limit: 10, sort_order: 'DESCEND' };
const TXN = {
  compare: [{ result: 'EQUAL', target: 'VERSION', key: KEY, version: 1 }],
  success: [{ request_put: PUT }, { request_range: RANGE }],
  failure: [{ request_delete_range: { key: KEY, prev_kv: true } }],
};
const SAMPLES: Record<string, readonly Msg[]> = {
  Range: [RANGE, { key: KEY, revision: 5, keys_only: true, count_only: true }],
  Put: [PUT, { key: KEY, ignore_value: true, ignore_lease: true }],
  DeleteRange: [{ key: KEY, range_end: Buffer.from([0]), prev_kv: true }],
  Txn: [TXN, { success: [{ request_txn: TXN }] }],
  Compact: [{ revision: 3, physical: true }],
  LeaseGrant: [{ TTL: 10, ID: 7 }],
  LeaseRevoke: [{ ID: 7 }],
  LeaseTimeToLive: [{ ID: 7, keys: true }],
  LeaseLeases: [{}],
};

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A TxnRequest whose success branch holds a Txn, `depth` deep (protobuf bytes). */
export function nestedTxn(depth: number): Buffer {
  let txn = Buffer.alloc(0);
  for (let i = 0; i < depth; i++) {
    const op = Buffer.concat([Buffer.from([0x22]), varint(txn.length), txn]); // RequestOp.request_txn = 4
    txn = Buffer.concat([Buffer.from([0x12]), varint(op.length), op]); // TxnRequest.success = 2
  }
  return txn;
}

let methods: Method[] | undefined;

/** The unary methods the front end serves, with grpc-js's own (de)serializers. */
export function etcdMethods(): Method[] {
  if (methods !== undefined) return methods;
  const s = etcdServices();
  const out: Method[] = [];
  for (const [service, names] of [
    [s.KV, ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact']],
    [s.Lease, ['LeaseGrant', 'LeaseRevoke', 'LeaseTimeToLive', 'LeaseLeases']],
  ] as const) {
    for (const name of names) {
      const d = service.service[name];
      if (d === undefined) throw new Error(`etcd service has no ${name}`);
      out.push({
        name,
        serialize: d.requestSerialize as (m: Msg) => Buffer,
        deserialize: d.requestDeserialize as (b: Buffer) => Msg,
        samples: SAMPLES[name] ?? [{}],
      });
    }
  }
  methods = out;
  return out;
}

/** A request body for a method: a valid one mutated, wrong-typed fields, or a deep Txn. */
export function etcdBody(r: Random, m: Method): Buffer {
  if (m.name === 'Txn' && r.chance(0.1)) return nestedTxn(1 + r.int(r.chance(0.5) ? 200 : 3000));
  const sample = r.pick(m.samples);
  const valid = m.serialize(sample);
  if (r.chance(0.2)) {
    // A field given a value of another type: encoded by hand where protobufjs would refuse.
    try {
      return m.serialize(mutateJson(r, sample));
    } catch {
      return Buffer.concat([
        valid,
        Buffer.from([r.int(256), ...Buffer.from(JSON.stringify(wrongValue(r) ?? null))]),
      ]);
    }
  }
  return havoc(
    r,
    valid,
    m.samples.map((x) => m.serialize(x)),
  );
}

/**
 * The etcd request path after the HTTP/2 framing: grpc-js deserializes with protobufjs (a
 * throw there is answered INTERNAL by grpc-js, a refusal) and codec.ts turns the message into
 * an operation, which must either succeed (and be JSON the log can hold) or be an EtcdFault.
 */
export function etcdTarget(decode: (method: string, m: Msg) => unknown = opFor): Target {
  return {
    name: 'etcd',
    run(seed, index) {
      const r = inputRandom(seed, 'etcd', index);
      const m = r.pick(etcdMethods());
      const body = etcdBody(r, m);
      const found = (problem: string): Finding => ({
        target: 'etcd',
        seed,
        index,
        input: `${m.name}:${hex(body)}`,
        problem,
      });
      let msg: Msg;
      try {
        msg = m.deserialize(body);
      } catch {
        return undefined; // refused by the protobuf decoder: grpc-js answers INTERNAL
      }
      try {
        const op = decode(m.name, msg);
        JSON.stringify(op);
      } catch (e) {
        if (!(e instanceof EtcdFault)) return found(`${m.name} decoding threw ${describe(e)}`);
      }
      return undefined;
    },
  };
}

export function allTargets(): Target[] {
  return [framesTarget(), clientTarget(), peerTarget(), etcdTarget(), h2Target()];
}
