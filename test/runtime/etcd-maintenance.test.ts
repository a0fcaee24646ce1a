/**
 * Maintenance.Snapshot, HashKV, Hash, MoveLeader and Defragment (src/runtime/etcd/maintenance.ts):
 * the snapshot file's checks and the store hash as units, then Debian's etcdctl against a real
 * `truthkit cluster up --system etcd-raft` cluster — `snapshot save` of a store of several MB,
 * restored into a new cluster with `cluster up --from-snapshot`, `endpoint hashkv`,
 * `move-leader`, `defrag` — plus raw gRPC for what etcdctl never sends (MoveLeader to a
 * follower).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import type { Json } from '../../src/core/json.js';
import { clusterDown, clusterStatus, readClusterFile } from '../../src/runtime/cluster.js';
import { hashKV } from '../../src/runtime/etcd/kv-hash.js';
import { chunks, SNAPSHOT_CHUNK } from '../../src/runtime/etcd/maintenance.js';
import { RestoreRefusedError, SEED_FILE, seedFor } from '../../src/runtime/etcd/restore-seed.js';
import { WAL_FILE } from '../../src/runtime/wal.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';
import { memberId } from '../../src/runtime/etcd/server.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  SNAPSHOT_MAGIC,
  SnapshotFileError,
  type SnapshotFileProblem,
} from '../../src/runtime/etcd/snapshot-file.js';
import {
  machineSnapshotOf,
  restoreStoreState,
  storeStateOf,
} from '../../src/runtime/etcd/store-state.js';
import { EtcdMachine } from '../../src/systems/etcd/etcd-machine.js';
import type { RangeRes } from '../../src/systems/etcd/etcd-ops.js';
import { cli } from '../cli/run-cli.js';
import { waitFor } from './wait-for.js';
import { needTool, probe } from '../support/tools.js';

// ---- units: the file, the store state, the hash ---------------------------------------------

/** A machine that applied `ops` as the log would (one client, in order). */
function machineWith(ops: readonly Json[]): EtcdMachine {
  const m = new EtcdMachine({ hashRevisions: false });
  let seq = 0;
  for (const op of ops) m.apply({ client: 'c1', seq: ++seq, op });
  return m;
}

const OPS: Json[] = [
  { f: 'Put', key: 'a', value: '1' },
  { f: 'Put', key: 'b', value: '\u0000\u00ff binary' },
  { f: 'LeaseGrant', TTL: 600, ID: 7 },
  { f: 'Put', key: 'c', value: 'leased', lease: 7 },
  { f: 'Put', key: 'a', value: '2' },
  { f: 'DeleteRange', key: 'b' },
  { f: 'Compact', revision: 4 },
  { f: 'Put', key: 'd', value: '4' },
];

function rangeAll(m: EtcdMachine, revision = 0): RangeRes {
  return m.watchSource.range({ key: '\0', range_end: '\0', revision }) as RangeRes;
}

async function fileOf(m: EtcdMachine): Promise<Buffer> {
  const enc = await encodeSnapshot(storeStateOf({ machine: m }) as unknown as Json, {
    revision: m.store.revision,
    compactRevision: m.store.compactRevision,
    keys: m.store.liveKeys,
    member: 'n1',
    taken: '2026-12-07T00:00:00.000Z',
  });
  const buf = Buffer.concat(enc.parts);
  assert.equal(buf.length, enc.bytes);
  return buf;
}

function refused(buf: Buffer, code: SnapshotFileProblem, text: RegExp): void {
  assert.throws(
    () => decodeSnapshot(buf, 'f.snap'),
    (e: unknown) => {
      assert.ok(e instanceof SnapshotFileError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, text);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
}

/** The file with its digest recomputed, so only the content check can refuse it. */
function resealed(buf: Buffer): Buffer {
  const body = buf.subarray(0, buf.length - 32);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

test('a snapshot file round-trips the store: keys, history, revisions, leases; sessions dropped', async () => {
  const m = machineWith(OPS);
  const buf = await fileOf(m);
  // etcdctl 3.4 renames its download into place only if it is 512·k + 32 bytes long.
  assert.equal(buf.length % 512, 32);
  const { meta, state } = decodeSnapshot(buf);
  assert.equal(meta.revision, m.store.revision);
  // The state's text, made in pieces, is exactly JSON.stringify's.
  const stateAt = buf.indexOf(0x0a, SNAPSHOT_MAGIC.length) + 1;
  assert.equal(
    buf.subarray(stateAt, stateAt + meta.stateBytes).toString('utf8'),
    JSON.stringify(storeStateOf({ machine: m })),
  );
  assert.equal(meta.compactRevision, 4);
  const copy = new EtcdMachine({ hashRevisions: false });
  restoreStoreState({ machine: copy }, machineSnapshotOf(state));
  assert.deepEqual(rangeAll(copy), rangeAll(m));
  assert.deepEqual(rangeAll(copy, 4), rangeAll(m, 4));
  assert.equal(copy.store.revision, m.store.revision);
  assert.equal(copy.store.compactRevision, 4);
  assert.deepEqual(copy.leases.all(), m.leases.all());
  assert.deepEqual(copy.store.eventsSince(5, '\0', '\0'), m.store.eventsSince(5, '\0', '\0'));
  assert.notEqual(m.recall('c1', OPS.length), undefined);
  assert.equal(copy.recall('c1', OPS.length), undefined, "the old cluster's sessions are dropped");
  // The restored store goes on as the original would.
  const next: Json = { f: 'Put', key: 'e', value: '5' };
  m.apply({ client: 'x', seq: 1, op: next });
  copy.apply({ client: 'x', seq: 1, op: next });
  assert.deepEqual(rangeAll(copy), rangeAll(m));
});

test('a truncated, corrupted or foreign snapshot file is refused with one line saying which', async () => {
  const buf = await fileOf(machineWith(OPS));
  const stateAt = buf.indexOf(0x0a, buf.indexOf(0x0a) + 1) + 1;
  for (const cut of [10, stateAt - 5, stateAt + 20, buf.length - 33, buf.length - 1]) {
    refused(buf.subarray(0, cut), 'truncated', /truncated/);
  }
  for (const at of [stateAt + 3, buf.length - 40, buf.length - 1]) {
    const bad = Buffer.from(buf);
    bad[at] = (bad[at] as number) ^ 0x20;
    refused(bad, 'checksum', /sha256 mismatch/);
  }
  // An etcd snapshot is a bbolt file: its first page is binary.
  const bbolt = Buffer.alloc(4096 + 32);
  bbolt.writeUInt32LE(0xed0cdaed, 16);
  refused(bbolt, 'not-a-snapshot', /not a truthkit etcd snapshot/);
  refused(Buffer.concat([buf, Buffer.from('x')]), 'malformed', /past the end/);
  // Content the digest vouches for but the format does not allow.
  const padded = Buffer.from(buf);
  padded[buf.length - 33] = 1;
  refused(resealed(padded), 'malformed', /padding/);
  const meta = Buffer.from(buf);
  meta[buf.indexOf(0x0a) + 2] = 0x7b; // '{"revision"…' → '{{revision'…
  refused(resealed(meta), 'malformed', /meta/);
  // A well-formed file whose state is not an etcd-raft store.
  const foreign = await encodeSnapshot(
    { store: { nope: 1 }, leases: [] },
    decodeSnapshot(buf).meta,
  );
  const { state } = decodeSnapshot(Buffer.concat(foreign.parts));
  assert.throws(() => machineSnapshotOf(state, 'f.snap'), /f\.snap: not an etcd-raft store/);
});

test('snapshot chunks: every byte once, in order, no chunk over the size', () => {
  const parts = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('defghij'), Buffer.from('k')];
  const got = [...chunks(parts, 4)];
  assert.deepEqual(
    got.map((b) => b.toString()),
    ['abcd', 'efgh', 'ijk'],
  );
});

test('a restored member: the file is copied into a new data directory only, and read at every start', async () => {
  const root = mkdtempSync(join(tmpdir(), 'truthkit-seed-'));
  try {
    const m = machineWith(OPS);
    const file = join(root, 'saved.db');
    writeFileSync(file, await fileOf(m));
    const fresh = join(root, 'fresh');
    const seed = seedFor(fresh, file);
    assert.ok(seed !== undefined);
    assert.deepEqual(readFileSync(join(fresh, SEED_FILE)), readFileSync(file));
    const restarted = seedFor(fresh, undefined);
    assert.ok(restarted !== undefined, 'a restart restores from the copy');
    for (const restore of [seed, restarted]) {
      const copy = new EtcdMachine({ hashRevisions: false });
      restore({ machine: copy });
      assert.deepEqual(rangeAll(copy), rangeAll(m));
    }
    assert.equal(seedFor(join(root, 'plain'), undefined), undefined, 'no copy, no restore');
    // A data directory with a log is a member that already has state: no restore over it.
    const used = join(root, 'used');
    mkdirSync(used);
    writeFileSync(join(used, WAL_FILE), 'x');
    assert.throws(() => seedFor(used, file), RestoreRefusedError);
    // A copy damaged on disk is refused at the next start, not restored.
    const copyFile = join(fresh, SEED_FILE);
    const bytes = readFileSync(copyFile);
    bytes[100] = (bytes[100] as number) ^ 1;
    writeFileSync(copyFile, bytes);
    assert.throws(() => seedFor(fresh, undefined), /sha256 mismatch/);
    assert.throws(
      () => seedFor(join(root, 'nofile'), join(root, 'missing.db')),
      RestoreRefusedError,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('HashKV: equal on replicas at a revision, changed by a put, bounded by the revision', () => {
  const a = machineWith(OPS);
  const b = machineWith(OPS);
  const at = a.store.revision;
  const ha = hashKV(a.watchSource, 0);
  assert.ok(typeof ha === 'object');
  assert.deepEqual(hashKV(b.watchSource, 0), ha);
  assert.equal(ha.revision, at);
  assert.equal(ha.compactRevision, 4);
  a.apply({ client: 'c2', seq: 1, op: { f: 'Put', key: 'a', value: '3' } });
  const after = hashKV(a.watchSource, 0);
  assert.ok(typeof after === 'object');
  assert.notEqual(after.hash, ha.hash, 'a put changes the hash');
  // Hashed up to the old revision, the member that moved on agrees with the one that did not.
  assert.deepEqual(hashKV(a.watchSource, at), ha);
  assert.equal(hashKV(a.watchSource, at + 2), 'future');
  assert.equal(hashKV(a.watchSource, 4), 'compacted', 'etcd refuses the compacted revision');
  assert.equal(hashKV(a.watchSource, 3), 'compacted');
  // A value differing at one replica shows.
  const c = machineWith(
    OPS.map((op) =>
      (op as { value?: string }).value === '4' ? { ...(op as object), value: '5' } : op,
    ) as Json[],
  );
  assert.notEqual((hashKV(c.watchSource, 0) as { hash: number }).hash, ha.hash);
});

// ---- with Debian's etcdctl against real clusters ---------------------------------------------

const hasEtcdctl = probe.etcdctl();
const env = { ...process.env, ETCDCTL_API: '3' };

function ctl(
  endpoints: readonly string[],
  args: string[],
): { code: number; out: string; err: string } {
  const r = spawnSync('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...args], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(endpoints: readonly string[], args: string[]): string {
  const r = ctl(endpoints, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.err}`);
  return r.out;
}

async function up(dir: string, ...extra: string[]): Promise<string[]> {
  const r = await cli(
    'cluster',
    'up',
    '--nodes',
    '3',
    '--system',
    'etcd-raft',
    '--dir',
    dir,
    ...extra,
  );
  assert.equal(r.code, 0, r.err);
  const eps = readClusterFile(dir).nodes.map((n) => n.etcd as string);
  // A linearizable read needs a leader, and writes nothing.
  await waitFor('a leader', () => (ctl(eps, ['get', 'boot']).code === 0 ? true : undefined));
  return eps;
}

/** `endpoint hashkv` per endpoint, in order. */
function hashes(eps: readonly string[], rev = 0): number[] {
  const out = ok(eps, ['endpoint', 'hashkv', `--rev=${rev}`, '-w', 'json']);
  const rows = JSON.parse(out) as { Endpoint: string; HashKV: { hash: number } }[];
  return eps.map(
    (e) => (rows.find((r) => r.Endpoint === e) as { HashKV: { hash: number } }).HashKV.hash,
  );
}

/** Maintenance.Hash at one endpoint. */
async function rawHash(endpoint: string): Promise<number> {
  const { Maintenance } = etcdServices();
  const m = new Maintenance(
    endpoint,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    Hash(req: object, cb: (e: grpc.ServiceError | null, r: { hash: number }) => void): void;
  };
  try {
    return await new Promise((resolve, reject) =>
      m.Hash({}, (e, r) => (e !== null ? reject(e) : resolve(r.hash))),
    );
  } finally {
    m.close();
  }
}

/** Endpoint status rows: endpoint, member id (hex), leader id. */
function statuses(eps: readonly string[]): { endpoint: string; id: string; leader: string }[] {
  const rows = JSON.parse(ok(eps, ['endpoint', 'status', '-w', 'json'])) as {
    Endpoint: string;
    Status: { header: { member_id: number }; leader: number };
  }[];
  return rows.map((r) => ({
    endpoint: r.Endpoint,
    id: r.Status.header.member_id.toString(16),
    leader: r.Status.leader.toString(16),
  }));
}

describe(
  'Maintenance with etcdctl against etcd-raft clusters',
  { timeout: 120_000, skip: needTool('etcdctl', hasEtcdctl) },
  () => {
    const root = hasEtcdctl ? mkdtempSync(join(tmpdir(), 'truthkit-maint-')) : '';
    const first = join(root, 'first');
    const second = join(root, 'second');
    const file = join(root, 'saved.db');
    let eps: string[] = [];
    let client: Etcd3;
    let savedRev = 0;

    before(async () => {
      eps = await up(first);
      client = new Etcd3({ hosts: eps });
    });

    after(async () => {
      client?.close();
      await clusterDown(first).catch(() => {});
      await clusterDown(second).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    });

    test('snapshot save of a store of several MB, then cluster up --from-snapshot restores it', async () => {
      // 500 values of 16 KiB (8 MB), then history, a lease and a compaction.
      const value = 'v'.repeat(16384);
      for (let i = 0; i < 500; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, k) => client.put(`big/${i + k}`).value(value)),
        );
      }
      ok(eps, ['put', 'h', 'one']);
      ok(eps, ['put', 'h', 'two']);
      const lease = /lease ([0-9a-f]+) granted/.exec(ok(eps, ['lease', 'grant', '600']))?.[1];
      assert.ok(lease);
      ok(eps, ['put', 'leased', 'x', `--lease=${lease}`]);
      const hRev = Number(JSON.parse(ok(eps, ['get', 'h', '-w', 'json'])).kvs[0].mod_revision);
      ok(eps, ['compaction', String(hRev - 1)]);
      ok(eps, ['del', 'big/0']);
      // A follower answers from its own store, as etcd's members do.
      const st = statuses(eps);
      const follower = (st.find((s) => s.id !== s.leader) as { endpoint: string }).endpoint;
      await waitFor('the follower to apply everything', () => {
        const h = hashes(eps);
        return h.every((x) => x === h[0]) ? true : undefined;
      });
      const saved = ok([follower], ['snapshot', 'save', file]);
      assert.match(saved, /Snapshot saved at/);
      const bytes = readFileSync(file);
      assert.ok(bytes.length > 8_000_000, `${bytes.length} bytes`);
      const { meta } = decodeSnapshot(bytes);
      savedRev = meta.revision;
      const before = JSON.parse(ok(eps, ['get', '', '--prefix', '-w', 'json']));
      const hashAtSave = hashes([follower], savedRev)[0];
      // etcdctl's status reads a bbolt file; this one is not.
      const status = ctl([], ['snapshot', 'status', file]);
      assert.notEqual(status.code, 0);
      assert.match(status.err, /invalid database/);

      const eps2 = await up(second, '--from-snapshot', file);
      ok(eps, ['put', 'after-save', 'first cluster only']);
      const restored = JSON.parse(ok(eps2, ['get', '', '--prefix', '-w', 'json']));
      assert.equal(restored.kvs.length, 499 + 2);
      assert.deepEqual(restored.kvs, before.kvs, 'every key, value, revision and lease');
      assert.equal(restored.header.revision, savedRev);
      // History since the compaction, leases with their keys, the compacted revision.
      assert.equal(ok(eps2, ['get', 'h', `--rev=${hRev - 1}`, '--print-value-only']), 'one\n');
      assert.match(
        ok(eps2, ['lease', 'timetolive', lease, '--keys']),
        /attached keys\(\[leased\]\)/,
      );
      const old = ctl(eps2, ['get', 'h', `--rev=${hRev - 2}`]);
      assert.match(old.err, /required revision has been compacted/);
      // The restored members hash the saved revision as the member it was saved from did.
      assert.deepEqual(hashes(eps2, savedRev), [hashAtSave, hashAtSave, hashAtSave]);
      // And it survives a restart of a member (its copy of the file is in its data directory).
      const r = await cli('cluster', 'restart', 'n1', '--dir', second);
      assert.equal(r.code, 0, r.err);
      await waitFor('n1 to catch up', () => {
        const g = ctl(
          [eps2[0] as string],
          ['get', 'leased', '--consistency=s', '--print-value-only'],
        );
        return g.code === 0 && g.out === 'x\n' ? true : undefined;
      });
    });

    test('raw Snapshot streams: 32 KiB blobs, remaining_bytes to 0, a header first; a flood is refused', async () => {
      assert.ok(savedRev > 0, 'runs after the 8 MB store is written');
      const { Maintenance } = etcdServices();
      const m = new Maintenance(
        eps[0] as string,
        grpc.credentials.createInsecure(),
      ) as unknown as grpc.Client & {
        Snapshot(req: object): grpc.ClientReadableStream<Record<string, unknown>>;
      };
      interface Got {
        blobs: Buffer[];
        remaining: number[];
        header: boolean;
        error?: grpc.ServiceError;
      }
      const one = (): Promise<Got> =>
        new Promise((resolve) => {
          const got: Got = { blobs: [], remaining: [], header: false };
          const call = m.Snapshot({});
          call.on('data', (r: Record<string, unknown>) => {
            if (got.blobs.length === 0)
              got.header = typeof r.header === 'object' && r.header !== null;
            got.blobs.push(r.blob as Buffer);
            got.remaining.push(Number(r.remaining_bytes));
          });
          call.on('error', (e: grpc.ServiceError) => resolve({ ...got, error: e }));
          call.on('end', () => resolve(got));
        });
      try {
        const all = await Promise.all([one(), one(), one(), one()]);
        const refused = all.filter((g) => g.error !== undefined);
        assert.ok(refused.length >= 1, 'four at once: some are refused');
        for (const g of refused) {
          assert.equal(g.error?.code, grpc.status.RESOURCE_EXHAUSTED);
          assert.equal(g.error?.details, 'etcdserver: too many requests');
        }
        const served = all.filter((g) => g.error === undefined);
        assert.ok(served.length >= 1);
        for (const g of served) {
          assert.ok(g.header, 'the first response carries the header');
          assert.ok(g.blobs.length > 200, `${g.blobs.length} chunks`);
          assert.ok(g.blobs.every((b) => b.length > 0 && b.length <= SNAPSHOT_CHUNK));
          let left = g.blobs.reduce((n, b) => n + b.length, 0);
          for (let i = 0; i < g.blobs.length; i++) {
            left -= (g.blobs[i] as Buffer).length;
            assert.equal(g.remaining[i], left);
          }
          assert.equal(left, 0);
          assert.ok(decodeSnapshot(Buffer.concat(g.blobs)).meta.revision >= savedRev);
        }
      } finally {
        m.close();
      }
    });

    test('cluster up --from-snapshot refuses a corrupt or truncated file with one line', async () => {
      assert.ok(savedRev > 0, 'runs after the save');
      const bytes = readFileSync(file);
      const corrupt = join(root, 'corrupt.db');
      const flipped = Buffer.from(bytes);
      flipped[1000] = (flipped[1000] as number) ^ 1;
      writeFileSync(corrupt, flipped);
      const bad = await cli(
        'cluster',
        'up',
        '--system',
        'etcd-raft',
        '--dir',
        join(root, 'bad'),
        '--from-snapshot',
        corrupt,
      );
      assert.equal(bad.code, 1);
      assert.match(bad.err, /^truthkit: .*corrupt\.db: sha256 mismatch \(the file is corrupt\)\n$/);
      const short = join(root, 'short.db');
      writeFileSync(short, bytes.subarray(0, bytes.length >> 1));
      const cut = await cli(
        'cluster',
        'up',
        '--system',
        'etcd-raft',
        '--dir',
        join(root, 'bad'),
        '--from-snapshot',
        short,
      );
      assert.equal(cut.code, 1);
      assert.match(cut.err, /^truthkit: .*short\.db: truncated \(\d+ bytes, \d+ expected\)\n$/);
      const kv = await cli(
        'cluster',
        'up',
        '--system',
        'kv-raft',
        '--dir',
        join(root, 'bad'),
        '--from-snapshot',
        file,
      );
      assert.equal(kv.code, 2);
      assert.match(kv.err, /--from-snapshot: kv-raft holds no etcd store/);
    });

    test('endpoint hashkv: the three members agree, and a put changes it', async () => {
      await waitFor('members to agree', () => {
        const h = hashes(eps);
        return h.every((x) => x === h[0]) ? h : undefined;
      });
      const was = hashes(eps)[0];
      const rev = Number(JSON.parse(ok(eps, ['put', 'hk', '1', '-w', 'json'])).header.revision);
      const now = await waitFor('members to agree after the put', () => {
        const h = hashes(eps);
        return h.every((x) => x === h[0]) ? h : undefined;
      });
      assert.notEqual(now[0], was);
      assert.deepEqual(hashes(eps, rev - 1), [was, was, was]);
      // Hash (no etcdctl command sends it): the store and leases, alike on every member.
      const whole = await Promise.all(eps.map(rawHash));
      assert.ok(
        whole.every((h) => h === whole[0]),
        JSON.stringify(whole),
      );
      ok(eps, ['put', 'hk', '2']);
      const next = await waitFor('members to agree on Hash', async () => {
        const h = await Promise.all(eps.map(rawHash));
        return h.every((x) => x === h[0]) && h[0] !== whole[0] ? h : undefined;
      });
      assert.equal(next.length, 3);
      const future = ctl(eps, ['endpoint', 'hashkv', `--rev=${rev + 1000}`]);
      assert.notEqual(future.code, 0);
      assert.match(future.err, /required revision is a future revision/);
    });

    test('move-leader: endpoint status shows the new leader; a follower answers not leader', async () => {
      const st = statuses(eps);
      const leader = st.find((s) => s.id === s.leader);
      assert.ok(leader, JSON.stringify(st));
      const target = st.find((s) => s.id !== s.leader) as { endpoint: string; id: string };
      const out = ok(eps, ['move-leader', target.id]);
      assert.equal(out, `Leadership transferred from ${leader.id} to ${target.id}\n`);
      await waitFor('every member to see the new leader', () =>
        statuses(eps).every((s) => s.leader === target.id) ? true : undefined,
      );
      // etcdctl sends MoveLeader only to the leader; a follower refuses it as etcd's does.
      const { Maintenance } = etcdServices();
      const follower = statuses(eps).find((s) => s.id !== s.leader) as { endpoint: string };
      const m = new Maintenance(
        follower.endpoint,
        grpc.credentials.createInsecure(),
      ) as unknown as grpc.Client & {
        MoveLeader(req: object, cb: (e: grpc.ServiceError | null) => void): void;
      };
      try {
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          m.MoveLeader({ targetID: memberId('n1') }, resolve),
        );
        assert.equal(err?.code, grpc.status.FAILED_PRECONDITION);
        assert.equal(err?.details, 'etcdserver: not leader');
      } finally {
        m.close();
      }
      const bad = ctl(eps, ['move-leader', 'abc123']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.err, /etcdserver: bad leader transferee/);
    });

    test('defrag: answered as etcd answers, and each member rewrites its write-ahead log', async () => {
      const compactions = async (): Promise<number[]> =>
        (await clusterStatus(first)).map(
          (s) => (s.status as { wal?: { compactions?: number } } | null)?.wal?.compactions ?? -1,
        );
      const was = await compactions();
      const out = ok(eps, ['defrag']);
      assert.equal(out, eps.map((e) => `Finished defragmenting etcd member[${e}]\n`).join(''));
      const now = await compactions();
      for (let i = 0; i < eps.length; i++)
        assert.equal(now[i], (was[i] as number) + 1, `member ${i}`);
      assert.equal(ok(eps, ['get', 'hk', '--print-value-only']), '2\n');
    });
  },
);
