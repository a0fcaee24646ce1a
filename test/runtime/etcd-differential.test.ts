/**
 * truthkit's etcd v3 front end beside real etcd (Debian's `etcd-server`, when installed): the
 * same script of raw gRPC calls — KV, Txn, Compact, Lease — goes to a fresh 3-member etcd and a
 * fresh 3-node truthkit `etcd-raft` cluster, and every answer must be the same: the fields of
 * each response (revisions included, since both start from revision 1) or the gRPC status code
 * and text of each error. Only what differs by nature is left out: the header's cluster and
 * member ids and Raft term, and a lease's remaining TTL (a clock reading).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startEtcd } from '../../bench/cluster/etcd-reference.js';
import type { RunningCluster } from '../../bench/cluster/processes.js';
import { cli } from '../cli/run-cli.js';
import { clusterDown } from '../../src/runtime/cluster.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';

const hasEtcd = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;

type Msg = Record<string, unknown>;
type Service = 'KV' | 'Lease';

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
    kv('Compact', { revision: r(2) }),
    kv('Compact', { revision: r(1000) }),
    lease('LeaseGrant', { TTL: 60, ID: 12345 }),
    lease('LeaseGrant', { TTL: 60, ID: 12345 }),
    kv('Put', { key: b('l'), value: b('v'), lease: 12345 }), // r(11)
    kv('Range', { key: b('l') }),
    lease('LeaseTimeToLive', { ID: 12345, keys: true }),
    lease('LeaseRevoke', { ID: 12345 }), // r(12)
    kv('Range', { key: b('l') }),
    kv('Put', { key: b('m'), value: b('v'), lease: 999 }),
    lease('LeaseRevoke', { ID: 999 }),
    lease('LeaseTimeToLive', { ID: 999 }),
    kv('DeleteRange', { key: b(''), range_end: PREFIX_END }), // r(13)
    kv('Range', { key: b(''), range_end: PREFIX_END, count_only: true }),
  ];
}

type Clients = Record<Service, grpc.Client>;

function clients(endpoint: string): Clients {
  const s = etcdServices();
  const make = (c: grpc.ServiceClientConstructor): grpc.Client =>
    new c(endpoint, grpc.credentials.createInsecure());
  return { KV: make(s.KV), Lease: make(s.Lease) };
}

const REVISION_FIELDS = new Set(['revision', 'create_revision', 'mod_revision']);

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

let dir = '';
let etcd: RunningCluster | undefined;
let truthkitEndpoint = '';

before(async () => {
  if (!hasEtcd) return;
  dir = mkdtempSync(join(tmpdir(), 'truthkit-etcd-diff-'));
  etcd = await startEtcd(join(dir, 'etcd'));
  const up = await cli('cluster', 'up', '--nodes', '3', '--system', 'etcd-raft', '--dir', dir);
  assert.equal(up.code, 0, up.err);
  const line = /^etcd endpoints: (.+)$/m.exec(up.out);
  assert.ok(line, up.out);
  truthkitEndpoint = (line[1] as string).split(',')[0] as string;
});

after(async () => {
  if (!hasEtcd) return;
  await etcd?.stop();
  await clusterDown(dir).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

test(
  'the same calls get the same answers from real etcd and from truthkit',
  { skip: hasEtcd ? false : 'Debian etcd-server is not installed', timeout: 120_000 },
  async () => {
    const reference = clients((etcd as RunningCluster).endpoints[0] as string);
    const ours = clients(truthkitEndpoint);
    // Both clusters take their first write once they have a leader.
    const ready = async (c: Clients): Promise<void> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const r = (await call(c, kv('Range', { key: b('a') }))) as Msg;
        if (r.error === undefined) return;
        if (Date.now() > deadline) assert.fail(`no leader: ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    await Promise.all([ready(reference), ready(ours)]);
    const revisionNow = async (c: Clients): Promise<number> =>
      ((await call(c, kv('Range', { key: b('a') }))) as { header: { revision: number } }).header
        .revision;
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
