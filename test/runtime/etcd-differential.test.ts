/**
 * truthkit's etcd v3 front end beside real etcd (Debian's `etcd-server`, when installed): the
 * same script of raw gRPC calls — KV, Txn, Compact, Lease, then watches and keepalive streams —
 * goes to a fresh 3-member etcd and a fresh 3-node truthkit `etcd-raft` cluster, and every
 * answer must be the same: the fields of each response or the gRPC status code and text of each
 * error, with revisions counted from the one each cluster was at when the script began. Only
 * what differs by nature is left out: the header's cluster and member ids and Raft term, a
 * lease's remaining TTL (a clock reading), and how many events one watch response carries. Both
 * are called at a follower, so every write and lease call takes the forwarding path, and every
 * read and watch is served from a member that did not decide the writes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startEtcd } from '../../bench/cluster/etcd-reference.js';
import type { RunningCluster } from '../../bench/cluster/processes.js';
import { cli } from '../cli/run-cli.js';
import { clusterDown } from '../../src/runtime/cluster.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';
import { field, nestedTxn, rawCall } from './etcd-raw.js';
import { needTool, probe } from '../support/tools.js';

const hasEtcd = probe.etcd();

type Msg = Record<string, unknown>;
type Service = 'KV' | 'Lease' | 'Watch';

interface Step {
  readonly service: Service;
  readonly method: string;
  readonly req: Msg;
}

/** Every key the script touches is under this prefix (the reference keeps keys of its own). */
const b = (s: string): Buffer => Buffer.from(`diff/${s}`);
const PREFIX_END = Buffer.from('diff0'); // '/' + 1
const kv = (method: string, req: Msg): Step => ({ service: 'KV', method, req });
const lease = (method: string, req: Msg): Step => ({ service: 'Lease', method, req });

/**
 * The script, in order; each answer depends on the ones before. `r(k)` is the revision of the
 * script's k-th revision (both clusters start from different revisions: the reference's start-
 * up check writes keys of its own).
 */
function script(r: (k: number) => number): Step[] {
  return [
    kv('Put', { key: b('a'), value: b('1') }), // r(1)
    kv('Put', { key: b('a'), value: b('2'), prev_kv: true }), // r(2)
    kv('Put', { key: b('b'), value: b('x') }), // r(3)
    kv('Put', { key: b('c'), value: b('y') }), // r(4)
    kv('Range', { key: b('a') }),
    kv('Range', { key: b('missing') }),
    kv('Range', { key: b('a'), range_end: b('c') }),
    kv('Range', { key: b(''), range_end: PREFIX_END }),
    kv('Range', { key: b('a'), range_end: b('d'), limit: 1 }),
    kv('Range', { key: b('a'), range_end: b('d'), count_only: true }),
    kv('Range', { key: b('a'), range_end: b('d'), keys_only: true }),
    kv('Range', { key: b('a'), revision: r(1) }),
    kv('Range', { key: b('a'), range_end: b('d'), sort_order: 'DESCEND', sort_target: 'KEY' }),
    kv('Range', { key: b('a'), range_end: b('d'), sort_order: 'DESCEND', sort_target: 'VALUE' }),
    kv('Range', { key: b('a'), range_end: b('d'), sort_order: 'ASCEND', sort_target: 'MOD' }),
    kv('Range', { key: b('a'), range_end: b('d'), sort_order: 'DESCEND', sort_target: 'VERSION' }),
    kv('Range', { key: b('a'), range_end: b('d'), min_mod_revision: r(3) }),
    kv('Range', { key: b('a'), range_end: b('d'), max_create_revision: r(2) }),
    // Served from the member's own store: it has applied every write it answered.
    kv('Range', { key: b(''), range_end: PREFIX_END, serializable: true }),
    kv('Range', { key: b('a'), revision: r(1), serializable: true }),
    kv('DeleteRange', { key: b('b'), prev_kv: true }), // r(5)
    kv('DeleteRange', { key: b('zzz') }),
    kv('Txn', {
      compare: [{ key: b('a'), target: 'VALUE', result: 'EQUAL', value: b('2') }],
      success: [
        { request_put: { key: b('t'), value: b('1') } },
        { request_range: { key: b('a') } },
      ],
      failure: [{ request_range: { key: b('t') } }],
    }), // r(6)
    kv('Txn', {
      compare: [{ key: b('a'), target: 'VERSION', result: 'GREATER', version: 10 }],
      success: [{ request_delete_range: { key: b('a') } }],
      failure: [
        { request_range: { key: b('t') } },
        { request_put: { key: b('u'), value: b('2') } },
      ],
    }), // r(7)
    kv('Txn', {
      compare: [
        { key: b('a'), target: 'MOD', result: 'EQUAL', mod_revision: r(2) },
        { key: b('t'), target: 'CREATE', result: 'NOT_EQUAL', create_revision: 0 },
      ],
      success: [{ request_put: { key: b('v'), value: b('3'), prev_kv: true } }],
      failure: [],
    }), // r(8)
    kv('Txn', {
      compare: [{ key: b('nope'), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [
        {
          request_txn: {
            compare: [],
            success: [{ request_range: { key: b('a'), range_end: b('d') } }],
          },
        },
      ],
    }),
    kv('Txn', {
      success: [
        { request_put: { key: b('d'), value: b('1') } },
        { request_put: { key: b('d'), value: b('2') } },
      ],
    }),
    kv('Txn', {
      success: [
        { request_put: { key: b('d'), value: b('1') } },
        { request_delete_range: { key: b('d') } },
      ],
    }),
    kv('Txn', {
      success: [
        { request_range: { key: b('w') } },
        { request_delete_range: { key: b('nothing') } },
        { request_put: { key: b('w'), value: b('1') } },
        { request_delete_range: { key: b('nothing') } },
        { request_range: { key: b('w') } },
        { request_txn: { success: [{ request_put: { key: b('w2'), value: b('2') } }] } },
      ],
    }), // r(9): each response's header is the revision that op saw
    kv('Put', { key: Buffer.alloc(0), value: b('no key') }),
    kv('Put', { key: b('a'), ignore_value: true }), // r(10)
    kv('Put', { key: b('nope'), ignore_value: true }),
    kv('Put', { key: b('a'), value: b('3'), ignore_value: true }),
    kv('Range', { key: b('a'), revision: r(1000) }),
    kv('Compact', { revision: r(3) }),
    kv('Range', { key: b('a'), revision: r(1) }),
    kv('Range', { key: b('a'), revision: r(3) }),
    kv('Range', { key: b('a'), revision: r(1), serializable: true }),
    kv('Range', { key: b('a'), revision: r(1000), serializable: true }),
    kv('Compact', { revision: r(2) }),
    kv('Compact', { revision: r(1000) }),
    lease('LeaseGrant', { TTL: 60, ID: 12345 }),
    lease('LeaseGrant', { TTL: 60, ID: 12345 }),
    kv('Put', { key: b('l'), value: b('v'), lease: 12345 }), // r(11)
    kv('Range', { key: b('l') }),
    lease('LeaseTimeToLive', { ID: 12345, keys: true }),
    lease('LeaseLeases', {}),
    kv('Put', { key: b('l2'), value: b('w'), lease: 12345 }), // r(12)
    kv('Put', { key: b('l2'), value: b('w2'), ignore_lease: true }), // r(13)
    kv('Put', { key: b('l2'), value: b('w3'), lease: 12345, ignore_lease: true }),
    kv('Txn', {
      compare: [{ key: b('l2'), target: 'LEASE', result: 'EQUAL', lease: 12345 }],
      success: [{ request_range: { key: b('l'), range_end: b('m') } }],
      failure: [],
    }),
    kv('Range', { key: b('a'), range_end: b('\0'), limit: 2, sort_order: 'DESCEND' }),
    kv('Range', { key: b('a'), range_end: b('m'), limit: 2, count_only: true }),
    kv('Range', {
      key: b('a'),
      range_end: b('m'),
      max_mod_revision: r(6),
      min_create_revision: r(4),
    }),
    kv('Range', {
      key: b('a'),
      range_end: b('m'),
      sort_target: 'CREATE',
      sort_order: 'ASCEND',
      keys_only: true,
    }),
    kv('Range', {
      key: b('a'),
      range_end: b('m'),
      sort_target: 'KEY',
      sort_order: 'NONE',
      limit: 1,
    }),
    kv('Range', { key: b('c'), range_end: b('a') }),
    kv('DeleteRange', { key: b('c'), range_end: b('a') }),
    kv('Txn', {
      compare: [
        { key: b('a'), range_end: b('m'), target: 'VERSION', result: 'GREATER', version: 0 },
      ],
      success: [{ request_range: { key: b('a'), range_end: b('m'), count_only: true } }],
      failure: [{ request_range: { key: b('a'), range_end: b('m'), keys_only: true } }],
    }),
    kv('Txn', {
      compare: [{ key: b('zz'), target: 'VALUE', result: 'LESS', value: b('z') }],
      success: [],
      failure: [{ request_delete_range: { key: b('zz'), prev_kv: true } }],
    }),
    lease('LeaseRevoke', { ID: 12345 }), // r(14)
    kv('Range', { key: b('l') }),
    kv('Put', { key: b('m'), value: b('v'), lease: 999 }),
    lease('LeaseRevoke', { ID: 999 }),
    lease('LeaseTimeToLive', { ID: 999 }),
    lease('LeaseLeases', {}),
    kv('DeleteRange', { key: b(''), range_end: PREFIX_END }), // r(15)
    kv('Range', { key: b(''), range_end: PREFIX_END, count_only: true }),
  ];
}

type Clients = Record<Service, grpc.Client>;

function clients(endpoint: string): Clients {
  const s = etcdServices();
  const make = (c: grpc.ServiceClientConstructor): grpc.Client =>
    new c(endpoint, grpc.credentials.createInsecure());
  return { KV: make(s.KV), Lease: make(s.Lease), Watch: make(s.Watch) };
}

const REVISION_FIELDS = new Set([
  'revision',
  'create_revision',
  'mod_revision',
  'compact_revision',
]);

/** Buffers as text and revisions as counted from `base`, the revision the script began at. */
function plain(v: unknown, base = 0): unknown {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v)) return v.map((x) => plain(x, base));
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        REVISION_FIELDS.has(k) && typeof x === 'number' && x > 0 ? x - base : plain(x, base),
      ]),
    );
  }
  return v;
}

/** One answer, without what differs by nature between two clusters. */
function normalize(step: Step, res: Msg, base: number): unknown {
  const out = plain(res, base) as Msg;
  const header = out.header as Msg | undefined;
  if (header !== undefined) out.header = { revision: header.revision };
  // A lease's remaining time is a clock reading: only its bounds are compared.
  if (step.method === 'LeaseTimeToLive' && typeof out.TTL === 'number' && out.TTL > 0) {
    out.TTL = out.TTL <= (out.grantedTTL as number) ? 'within grantedTTL' : out.TTL;
  }
  return out;
}

function call(c: Clients, step: Step, base = 0): Promise<unknown> {
  const client = c[step.service] as unknown as Record<
    string,
    (req: Msg, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: Msg) => void) => void
  >;
  return new Promise((resolve) => {
    client[step.method]?.call(
      c[step.service],
      step.req,
      { deadline: Date.now() + 10_000 },
      (e, v) =>
        resolve(
          e
            ? { error: { code: grpc.status[e.code], details: e.details } }
            : normalize(step, v, base),
        ),
    );
  });
}

/** Waits until the cluster answers a Range (it has a leader). */
async function ready(c: Clients): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = (await call(c, kv('Range', { key: b('a') }))) as Msg;
    if (r.error === undefined) return;
    if (Date.now() > deadline) assert.fail(`no leader: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function revisionNow(c: Clients): Promise<number> {
  const r = (await call(c, kv('Range', { key: b('a') }))) as { header: { revision: number } };
  return r.header.revision;
}

let dir = '';
let etcd: RunningCluster | undefined;
let truthkitEndpoints: string[] = [];

before(async () => {
  if (!hasEtcd) return;
  dir = mkdtempSync(join(tmpdir(), 'truthkit-etcd-diff-'));
  etcd = await startEtcd(join(dir, 'etcd'));
  const up = await cli('cluster', 'up', '--nodes', '3', '--system', 'etcd-raft', '--dir', dir);
  assert.equal(up.code, 0, up.err);
  const line = /^etcd endpoints: (.+)$/m.exec(up.out);
  assert.ok(line, up.out);
  truthkitEndpoints = (line[1] as string).split(',');
});

after(async () => {
  if (!hasEtcd) return;
  await etcd?.stop();
  await clusterDown(dir).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const WHEN_ETCD = {
  skip: needTool('etcd', hasEtcd),
  timeout: 120_000,
} as const;

/** The endpoint of a member that is not the leader, once the cluster has one (Status says). */
async function followerEndpoint(endpoints: readonly string[]): Promise<string> {
  const { Maintenance } = etcdServices();
  const deadline = Date.now() + 20_000;
  for (;;) {
    for (const e of endpoints) {
      const m = new Maintenance(e, grpc.credentials.createInsecure());
      const status = await new Promise<Msg | undefined>((resolve) =>
        (
          m as unknown as Record<string, (r: Msg, cb: (e: Error | null, v: Msg) => void) => void>
        ).Status?.call(m, {}, (err, v) => resolve(err ? undefined : v)),
      );
      m.close();
      const header = status?.header as Msg | undefined;
      const leader = String(status?.leader ?? '0');
      if (leader !== '0' && leader !== String(header?.member_id)) return e;
    }
    if (Date.now() > deadline) assert.fail(`no follower among ${endpoints.join(', ')}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Clients of a follower of the reference and of truthkit, once both clusters answer. */
async function connectBoth(): Promise<[Clients, Clients]> {
  const [referenceAt, ourAt] = await Promise.all([
    followerEndpoint((etcd as RunningCluster).endpoints),
    followerEndpoint(truthkitEndpoints),
  ]);
  const reference = clients(referenceAt);
  const ours = clients(ourAt);
  await Promise.all([ready(reference), ready(ours)]);
  return [reference, ours];
}

test(
  'the same calls get the same answers from real etcd and from truthkit',
  WHEN_ETCD,
  async () => {
    const [reference, ours] = await connectBoth();
    const [referenceBase, ourBase] = [await revisionNow(reference), await revisionNow(ours)];
    const steps = script((k) => referenceBase + k);
    const ourSteps = script((k) => ourBase + k);
    const differences: string[] = [];
    for (const [i, step] of steps.entries()) {
      const want = await call(reference, step, referenceBase);
      const got = await call(ours, ourSteps[i] as Step, ourBase);
      try {
        assert.deepEqual(got, want);
      } catch {
        differences.push(
          `#${i} ${step.method} ${JSON.stringify(plain(step.req, referenceBase))}\n` +
            `   etcd:     ${JSON.stringify(want)}\n   truthkit: ${JSON.stringify(got)}`,
        );
      }
    }
    for (const c of [reference, ours]) for (const x of Object.values(c)) x.close();
    assert.deepEqual(differences, [], `answers that differ:\n${differences.join('\n')}`);
  },
);

/**
 * Opens a watch stream, sends `create`, and collects its responses until `done` says so (or
 * 3 s pass); `then` runs once the watch is created (a cancel, or writes to see). Responses are
 * kept as answered, except that events are listed one per line: how many events one response
 * carries is the server's choice.
 */
async function watchAnswers(
  c: Clients,
  base: number,
  create: Msg,
  done: (lines: Msg[]) => boolean,
  then?: (watchId: number, send: (m: Msg) => void) => Promise<void>,
): Promise<unknown[]> {
  const stream = (c.Watch as unknown as { Watch: () => grpc.ClientDuplexStream<Msg, Msg> }).Watch();
  const lines: Msg[] = [];
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    stream.on('data', (res: Msg) => {
      const { events, header, ...rest } = res;
      const revision = (header as Msg | undefined)?.revision;
      const evs = (events as Msg[] | undefined) ?? [];
      if (evs.length === 0) lines.push({ ...rest, header: { revision } });
      for (const e of evs) lines.push({ watch_id: rest.watch_id, event: e });
      if (res.created === true && then !== undefined) {
        void then(res.watch_id as number, (m) => stream.write(m));
      }
      if (done(lines)) {
        clearTimeout(timer);
        resolve();
      }
    });
    stream.on('error', () => resolve());
  });
  stream.write({ create_request: create });
  await finished;
  stream.cancel();
  return lines.map((l) => plain(l, base));
}

const events = (n: number) => (lines: Msg[]) => lines.filter((l) => 'event' in l).length >= n;
const canceled = (lines: Msg[]) => lines.some((l) => l.canceled === true);

test(
  'watches see the same events and answers from real etcd and from truthkit',
  WHEN_ETCD,
  async () => {
    const [reference, ours] = await connectBoth();
    const w = (s: string): Buffer => b(`w/${s}`);
    const W_END = b('w0');
    const differences: string[] = [];
    const compare = (what: string, want: unknown, got: unknown): void => {
      try {
        assert.deepEqual(got, want);
      } catch {
        differences.push(
          `${what}\n   etcd:     ${JSON.stringify(want)}\n   truthkit: ${JSON.stringify(got)}`,
        );
      }
    };
    // The same history on both, revisions r(1)..r(5) from each one's base.
    const history: Step[] = [
      kv('Put', { key: w('a'), value: b('1') }),
      kv('Put', { key: w('b'), value: b('2') }),
      kv('Put', { key: w('a'), value: b('3') }),
      kv('DeleteRange', { key: w('b') }),
      kv('Txn', {
        success: [
          { request_put: { key: w('c'), value: b('4') } },
          { request_delete_range: { key: w('a') } },
        ],
      }),
    ];
    const bases: number[] = [];
    for (const c of [reference, ours]) {
      bases.push(await revisionNow(c));
      for (const step of history) await call(c, step);
    }
    const [rb, ob] = bases as [number, number];
    const both = async (
      what: string,
      create: (r: (k: number) => number) => Msg,
      done: (lines: Msg[]) => boolean,
      then?: (
        c: Clients,
        r: (k: number) => number,
      ) => (id: number, send: (m: Msg) => void) => Promise<void>,
    ): Promise<void> => {
      const rr = (k: number): number => rb + k;
      const or = (k: number): number => ob + k;
      // Each watch starts right after the writes and compactions it covers were answered, at
      // the same member: a member answers only once it applied them itself (etcd does; a
      // truthkit follower holds a forwarded answer until then, docs/etcd.md "Forwarding").
      const want = await watchAnswers(reference, rb, create(rr), done, then?.(reference, rr));
      const got = await watchAnswers(ours, ob, create(or), done, then?.(ours, or));
      compare(what, want, got);
    };
    await both(
      'a prefix from r(1)',
      (r) => ({ key: w(''), range_end: W_END, start_revision: r(1) }),
      events(6),
    );
    await both(
      'with prev_kv',
      (r) => ({ key: w(''), range_end: W_END, start_revision: r(1), prev_kv: true }),
      events(6),
    );
    await both(
      'without deletes',
      (r) => ({ key: w(''), range_end: W_END, start_revision: r(2), filters: ['NODELETE'] }),
      events(3),
    );
    await both('one key', (r) => ({ key: w('a'), start_revision: r(1) }), events(3));
    await both(
      'from the future: only what comes after',
      (r) => ({ key: w(''), range_end: W_END, start_revision: r(7) }),
      events(1),
      (c) => async () => {
        await call(c, kv('Put', { key: w('d'), value: b('5') })); // r(6)
        await call(c, kv('Put', { key: w('e'), value: b('6') })); // r(7)
      },
    );
    await both(
      'a watch id chosen by the client',
      (r) => ({ key: w('c'), start_revision: r(5), watch_id: 7 }),
      events(1),
    );
    await both(
      'canceled by the client',
      () => ({ key: w('a') }),
      canceled,
      () => async (id, send) => send({ cancel_request: { watch_id: id } }),
    );
    for (const c of [reference, ours]) {
      const r = c === reference ? rb : ob;
      await call(c, kv('Compact', { revision: r + 3 }));
    }
    await both(
      'from a compacted revision',
      (r) => ({ key: w(''), range_end: W_END, start_revision: r(1) }),
      canceled,
    );
    for (const c of [reference, ours]) for (const x of Object.values(c)) x.close();
    assert.deepEqual(differences, [], `answers that differ:\n${differences.join('\n')}`);
  },
);

/** The answers of one LeaseKeepAlive stream to a keepalive for each of `ids`, in order. */
async function keepAliveAnswers(c: Clients, base: number, ids: number[]): Promise<unknown[]> {
  const stream = (
    c.Lease as unknown as { LeaseKeepAlive: () => grpc.ClientDuplexStream<Msg, Msg> }
  ).LeaseKeepAlive();
  const step = lease('LeaseKeepAlive', {});
  const got: unknown[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    stream.on('data', (res: Msg) => {
      got.push(normalize(step, res, base));
      if (got.length === ids.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    stream.on('error', (e: grpc.ServiceError) => {
      got.push({ error: { code: grpc.status[e.code], details: e.details } });
      clearTimeout(timer);
      resolve();
    });
    for (const ID of ids) stream.write({ ID });
  });
  stream.cancel();
  return got;
}

test(
  'lease keepalives get the same answers from real etcd and from truthkit',
  WHEN_ETCD,
  async () => {
    const [reference, ours] = await connectBoth();
    const answers: unknown[][] = [];
    for (const c of [reference, ours]) {
      const base = await revisionNow(c);
      const script = [
        await call(c, lease('LeaseGrant', { TTL: 60, ID: 777 }), base),
        await call(c, kv('Put', { key: b('ka'), value: b('v'), lease: 777 }), base), // r(1)
        // A live lease is renewed to its full TTL; an unknown one is answered TTL 0, not an error.
        ...(await keepAliveAnswers(c, base, [777, 888, 777])),
        await call(c, lease('LeaseRevoke', { ID: 777 }), base), // r(2): its key is deleted
        ...(await keepAliveAnswers(c, base, [777])),
        await call(c, kv('Range', { key: b('ka') }), base),
      ];
      answers.push(script);
      for (const x of Object.values(c)) x.close();
    }
    assert.deepEqual(answers[1], answers[0]);
  },
);

test(
  'malformed and deeply nested requests get the same status from real etcd and from truthkit',
  WHEN_ETCD,
  async () => {
    const [referenceAt, ourAt] = await Promise.all([
      followerEndpoint((etcd as RunningCluster).endpoints),
      followerEndpoint(truthkitEndpoints),
    ]);
    const key = (s: string): Buffer => Buffer.from(`diff/raw/${s}`);
    // [what, path, body, bytes the length prefix claims beyond the body]
    const cases: [string, string, Buffer, number][] = [
      ['key as a fixed32', '/etcdserverpb.KV/Put', Buffer.from('0d01020304', 'hex'), 0],
      ['length past the end', '/etcdserverpb.KV/Put', Buffer.from('0a056b', 'hex'), 0],
      ['range_end as a varint', '/etcdserverpb.KV/Range', Buffer.from('1001', 'hex'), 0],
      ['frame cut short', '/etcdserverpb.KV/Put', field(1, key('cut')), 5],
      ['txn 64 deep', '/etcdserverpb.KV/Txn', nestedTxn(64, 'diff/raw/64'), 0],
      ['txn 128 deep', '/etcdserverpb.KV/Txn', nestedTxn(128, 'diff/raw/128'), 0],
      ['txn 129 deep', '/etcdserverpb.KV/Txn', nestedTxn(129, 'diff/raw/129'), 0],
      ['txn 1000 deep', '/etcdserverpb.KV/Txn', nestedTxn(1000, 'diff/raw/1000'), 0],
    ];
    const differences: string[] = [];
    for (const [what, path, body, missing] of cases) {
      const want = await rawCall(referenceAt, path, body, 0, missing);
      const got = await rawCall(ourAt, path, body, 0, missing);
      // On success grpc-go sends no status text and grpc-js sends "OK".
      if (want.code !== got.code || (want.code !== 0 && want.message !== got.message)) {
        differences.push(
          `${what}: etcd ${want.code} ${want.message} / truthkit ${got.code} ${got.message}`,
        );
      }
    }
    assert.deepEqual(differences, []);
  },
);
