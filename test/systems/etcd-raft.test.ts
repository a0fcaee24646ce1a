/**
 * etcd-raft: the MVCC store, Txn and leases as a state machine (unit tests against EtcdMachine),
 * the leader's lease expiry and auto-compaction in the simulator, the watch source, snapshots,
 * and seed sweeps under faults judged linearizable, with Raft mutants caught.
 */
import { test } from 'node:test';
import { assertHealthy } from './healthy-run.js';
import assert from 'node:assert/strict';
import type { Json } from '../../src/core/json.js';
import { applyKv, type KvOp } from '../../src/core/kv.js';
import type { ClientReply, NodeId } from '../../src/core/node.js';
import { streamFor } from '../../src/core/random.js';
import { judgeSession, runChecked, type CheckedRun } from '../../src/sim/checked-run.js';
import { nemesisPlans, type NemesisTiming } from '../../src/sim/nemesis.js';
import { Simulator } from '../../src/sim/simulator.js';
import { SnapshotSender } from '../../src/protocols/raft/snapshot.js';
import { Session } from '../../src/sim/run.js';
import {
  ETCD_ERRORS,
  watchSourceOf,
  type KeyValue,
  type RangeRes,
  type TxnRes,
  type WatchEvent,
} from '../../src/systems/etcd/etcd-ops.js';
import {
  EtcdMachine,
  INTERNAL_CLIENT_PREFIX,
  RevisionRecorder,
} from '../../src/systems/etcd/etcd-machine.js';
import { versionCost } from '../../src/systems/etcd/mvcc-store.js';
import { EtcdRaftNode, etcdOptionsFrom, etcdRaftSystem } from '../../src/systems/etcd/etcd-raft.js';
import { RAFT_MUTANTS } from '../../src/protocols/raft/mutants.js';
import { MAX_TXN_OPS } from '../../src/systems/etcd/etcd-validate.js';
import { getSystem } from '../../src/systems/index.js';

// ---- a machine driven directly ------------------------------------------------------------------

class Machine {
  readonly m: EtcdMachine;
  private seq = 0;

  constructor(options: ConstructorParameters<typeof EtcdMachine>[0] = {}) {
    this.m = new EtcdMachine(options);
  }

  /** Applies a command as the log would (or answers a read as ReadIndex would). */
  run(op: Json): Json {
    assert.ok(this.m.valid(op), `invalid op ${JSON.stringify(op)}`);
    if (this.m.isRead(op)) return this.m.read(op);
    return this.m.apply({ client: 'c1', seq: ++this.seq, op });
  }
  /** A Range's response. */
  range(req: Record<string, Json>): RangeRes {
    const r = this.run({ f: 'Range', ...req }) as unknown as RangeRes | { error: string };
    assert.ok(!('error' in r), `range failed: ${JSON.stringify(r)}`);
    return r;
  }
  keys(req: Record<string, Json>): string[] {
    return this.range(req).kvs.map((kv) => kv.key);
  }
  put(key: string, value: string, extra: Record<string, Json> = {}): Json {
    return this.run({ f: 'Put', key, value, ...extra });
  }
  get revision(): number {
    return this.m.store.revision;
  }
}

const err = (e: { text: string }): Json => ({ error: e.text });

test('revisions, versions and create/mod revisions follow etcd', () => {
  const s = new Machine();
  assert.equal(s.revision, 1, 'an empty store is at revision 1');
  assert.deepEqual(s.put('a', '1'), { header: { revision: 2 } });
  s.put('a', '2');
  let kv = s.range({ key: 'a' }).kvs[0] as KeyValue;
  assert.deepEqual(kv, {
    key: 'a',
    create_revision: 2,
    mod_revision: 3,
    version: 2,
    value: '2',
    lease: 0,
  });
  const del = s.run({ f: 'DeleteRange', key: 'a', prev_kv: true }) as Record<string, Json>;
  assert.deepEqual(del, { header: { revision: 4 }, deleted: 1, prev_kvs: [kv] });
  s.put('a', '3');
  kv = s.range({ key: 'a' }).kvs[0] as KeyValue;
  assert.equal(kv.version, 1, 'a delete resets the version');
  assert.equal(kv.create_revision, 5);
  // Writes that change nothing make no revision.
  assert.deepEqual(s.run({ f: 'DeleteRange', key: 'zz' }), {
    header: { revision: 5 },
    deleted: 0,
    prev_kvs: [],
  });
  s.run({ f: 'Txn', compare: [], success: [{ request_range: { key: 'a' } }], failure: [] });
  assert.equal(s.revision, 5);
  assert.equal(s.range({ key: 'a' }).header.revision, 5);
});

test('reads at older revisions, future revisions and compaction errors', () => {
  const s = new Machine();
  s.put('a', 'v2'); // rev 2
  s.put('b', 'x'); // rev 3
  s.put('a', 'v4'); // rev 4
  s.run({ f: 'delete', key: 'a' }); // rev 5
  s.put('a', 'v6'); // rev 6
  const at = (revision: number): Json => {
    const r = s.run({ f: 'Range', key: 'a', revision }) as Record<string, Json>;
    return 'error' in r ? r : (r as unknown as RangeRes).kvs.map((kv) => kv.value);
  };
  assert.deepEqual(at(1), []);
  assert.deepEqual(at(2), ['v2']);
  assert.deepEqual(at(3), ['v2']);
  assert.deepEqual(at(4), ['v4']);
  assert.deepEqual(at(5), []);
  assert.deepEqual(at(6), ['v6']);
  assert.deepEqual(at(0), ['v6']);
  assert.deepEqual(at(7), err(ETCD_ERRORS.futureRev));
  // The header is the current revision whatever revision was read.
  assert.equal(s.range({ key: 'a', revision: 2 }).header.revision, 6);

  assert.deepEqual(s.run({ f: 'Compact', revision: 7 }), err(ETCD_ERRORS.futureRev));
  assert.deepEqual(s.run({ f: 'Compact', revision: 4 }), { header: { revision: 6 } });
  assert.deepEqual(at(3), err(ETCD_ERRORS.compacted));
  assert.deepEqual(at(4), ['v4'], 'the compacted revision itself stays readable (etcd)');
  assert.deepEqual(at(5), []);
  assert.deepEqual(s.keys({ key: 'b', revision: 4 }), ['b'], 'older versions below kept');
  assert.deepEqual(s.run({ f: 'Compact', revision: 4 }), err(ETCD_ERRORS.compacted));
  assert.deepEqual(s.run({ f: 'Compact', revision: 3 }), err(ETCD_ERRORS.compacted));
  const w = s.m.watchSource;
  assert.equal(w.compactRevision(), 4);
  assert.equal(w.eventsSince(3, 'a'), 'compacted');
  const evs = w.eventsSince(4, 'a') as WatchEvent[];
  assert.deepEqual(
    evs.map((e) => [e.type, e.kv.mod_revision]),
    [
      ['PUT', 4],
      ['DELETE', 5],
      ['PUT', 6],
    ],
  );
  // Compacting past a deletion forgets the key's history entirely.
  assert.deepEqual(s.run({ f: 'Compact', revision: 5 }), { header: { revision: 6 } });
  assert.deepEqual(at(5), []);
  assert.deepEqual(at(6), ['v6']);
});

test("range rules: single key, '\\0' ends, half-open intervals, prefixes", () => {
  const s = new Machine();
  for (const k of ['a', 'ab', 'abc', 'b', 'c', '\x00x', '\xffz']) s.put(k, k);
  assert.deepEqual(s.keys({ key: 'ab' }), ['ab']);
  assert.deepEqual(s.keys({ key: 'ab', range_end: '' }), ['ab']);
  assert.deepEqual(s.keys({ key: 'abc', range_end: '\0' }), ['abc', 'b', 'c', '\xffz']);
  assert.deepEqual(s.keys({ key: '\0', range_end: '\0' }), [
    '\x00x',
    'a',
    'ab',
    'abc',
    'b',
    'c',
    '\xffz',
  ]);
  assert.deepEqual(s.keys({ key: 'a', range_end: 'b' }), ['a', 'ab', 'abc']);
  assert.deepEqual(s.keys({ key: 'ab', range_end: 'ac' }), ['ab', 'abc'], 'prefix ab');
  assert.deepEqual(s.keys({ key: 'c', range_end: 'a' }), [], 'end before key: empty');
  assert.deepEqual(s.keys({ key: 'zz' }), []);
  // Byte order: 0xff sorts after ASCII, 0x00 before.
  assert.deepEqual(s.keys({ key: 'c', range_end: '\xff\xff' }), ['c', '\xffz']);
});

test('limit, more, count, count_only, keys_only, sorting and revision filters', () => {
  const s = new Machine();
  s.put('a', 'z'); // 2
  s.put('b', 'y'); // 3
  s.put('c', 'x'); // 4
  s.put('a', 'w'); // 5: a version 2
  s.put('d', 'v'); // 6
  const all = { key: 'a', range_end: 'e' };
  let r = s.range({ ...all, limit: 2 });
  assert.deepEqual(
    r.kvs.map((kv) => kv.key),
    ['a', 'b'],
  );
  assert.equal(r.more, true);
  assert.equal(r.count, 4);
  r = s.range({ ...all, limit: 4 });
  assert.equal(r.more, false);
  r = s.range({ ...all, count_only: true });
  assert.deepEqual([r.kvs, r.count, r.more], [[], 4, false]);
  r = s.range({ ...all, keys_only: true });
  assert.ok(r.kvs.every((kv) => kv.value === ''));
  assert.equal(r.kvs[0]?.mod_revision, 5);
  const order = (req: Record<string, Json>): string[] => s.keys({ ...all, ...req });
  assert.deepEqual(order({ sort_order: 'DESCEND' }), ['d', 'c', 'b', 'a']);
  assert.deepEqual(order({ sort_target: 'VALUE' }), ['d', 'a', 'c', 'b'], 'VALUE, ascending');
  assert.deepEqual(order({ sort_target: 'VALUE', sort_order: 'DESCEND' }), ['b', 'c', 'a', 'd']);
  assert.deepEqual(order({ sort_target: 'MOD', sort_order: 'DESCEND' }), ['d', 'a', 'c', 'b']);
  assert.deepEqual(order({ sort_target: 'CREATE', sort_order: 'ASCEND' }), ['a', 'b', 'c', 'd']);
  assert.deepEqual(order({ sort_target: 'VERSION', sort_order: 'DESCEND' }), ['a', 'b', 'c', 'd']);
  assert.deepEqual(order({ sort_target: 'MOD', sort_order: 'DESCEND', limit: 1 }), ['d']);
  r = s.range({ ...all, sort_target: 'MOD', sort_order: 'DESCEND', limit: 1 });
  assert.equal(r.more, true);
  assert.deepEqual(order({ min_mod_revision: 4 }), ['a', 'c', 'd']);
  assert.deepEqual(order({ max_mod_revision: 4 }), ['b', 'c']);
  assert.deepEqual(order({ min_create_revision: 3, max_create_revision: 4 }), ['b', 'c']);
  // count ignores the revision filters, as in etcd.
  assert.equal(s.range({ ...all, min_mod_revision: 6 }).count, 4);
});

test('Put options: prev_kv, ignore_value, ignore_lease and their errors', () => {
  const s = new Machine();
  const lease = (s.run({ f: 'LeaseGrant', TTL: 10 }) as { ID: number }).ID;
  s.put('k', 'v1', { lease });
  const prev = s.range({ key: 'k' }).kvs[0] as KeyValue;
  assert.deepEqual(s.put('k', 'v2', { prev_kv: true, lease }), {
    header: { revision: 3 },
    prev_kv: prev,
  });
  assert.deepEqual(s.put('k', '', { ignore_value: true, lease }), { header: { revision: 4 } });
  assert.equal(s.range({ key: 'k' }).kvs[0]?.value, 'v2');
  s.put('k', 'v3', { ignore_lease: true });
  assert.deepEqual(
    [s.range({ key: 'k' }).kvs[0]?.value, s.range({ key: 'k' }).kvs[0]?.lease],
    ['v3', lease],
  );
  assert.deepEqual(s.put('k', 'x', { ignore_value: true }), err(ETCD_ERRORS.valueProvided));
  assert.deepEqual(s.put('k', '', { ignore_lease: true, lease }), err(ETCD_ERRORS.leaseProvided));
  assert.deepEqual(s.put('new', '', { ignore_value: true }), err(ETCD_ERRORS.keyNotFound));
  assert.deepEqual(s.put('', 'x'), err(ETCD_ERRORS.emptyKey));
  assert.deepEqual(s.put('k', 'x', { lease: 999 }), err(ETCD_ERRORS.leaseNotFound));
  assert.equal(s.revision, 5, 'refused puts make no revision');
});

test('DeleteRange over a range, with and without prev_kv', () => {
  const s = new Machine();
  for (const k of ['a', 'b', 'c', 'd']) s.put(k, k);
  const r = s.run({ f: 'DeleteRange', key: 'b', range_end: 'd', prev_kv: true }) as Record<
    string,
    Json
  >;
  assert.equal(r.deleted, 2);
  assert.deepEqual(
    (r.prev_kvs as unknown as KeyValue[]).map((kv) => kv.key),
    ['b', 'c'],
  );
  assert.deepEqual(s.keys({ key: '\0', range_end: '\0' }), ['a', 'd']);
  const r2 = s.run({ f: 'DeleteRange', key: 'a', range_end: '\0' }) as Record<string, Json>;
  assert.deepEqual([r2.deleted, r2.prev_kvs], [2, []]);
  assert.equal(s.revision, 7, 'one revision per DeleteRange');
});

test('Txn compares: every target and result, ranges, missing keys', () => {
  const s = new Machine();
  const lease = (s.run({ f: 'LeaseGrant', TTL: 10, ID: 7 }) as { ID: number }).ID;
  s.put('a', 'm'); // 2
  s.put('a', 'n', { lease }); // 3: version 2, create 2, mod 3, lease 7
  s.put('b', 'p'); // 4
  const holds = (compare: Record<string, Json>): boolean => {
    const r = s.run({
      f: 'Txn',
      compare: [compare],
      success: [],
      failure: [],
    }) as unknown as TxnRes;
    return r.succeeded;
  };
  const cases: [string, number | string, boolean, boolean, boolean, boolean][] = [
    // target, operand, EQUAL, NOT_EQUAL, GREATER (actual > operand), LESS
    ['VALUE', 'n', true, false, false, false],
    ['VALUE', 'a', false, true, true, false],
    ['VALUE', 'z', false, true, false, true],
    ['VERSION', 2, true, false, false, false],
    ['VERSION', 1, false, true, true, false],
    ['CREATE', 2, true, false, false, false],
    ['CREATE', 3, false, true, false, true],
    ['MOD', 3, true, false, false, false],
    ['MOD', 2, false, true, true, false],
    ['LEASE', 7, true, false, false, false],
    ['LEASE', 0, false, true, true, false],
  ];
  for (const [target, operand, eq, ne, gt, lt] of cases) {
    const c = { key: 'a', target, operand };
    assert.equal(holds({ ...c, result: 'EQUAL' }), eq, `${target} = ${operand}`);
    assert.equal(holds({ ...c, result: 'NOT_EQUAL' }), ne, `${target} != ${operand}`);
    assert.equal(holds({ ...c, result: 'GREATER' }), gt, `${target} > ${operand}`);
    assert.equal(holds({ ...c, result: 'LESS' }), lt, `${target} < ${operand}`);
  }
  // A compare over a range must hold for every key in it.
  assert.equal(
    holds({ key: 'a', range_end: 'c', target: 'MOD', result: 'GREATER', operand: 2 }),
    true,
  );
  assert.equal(
    holds({ key: 'a', range_end: 'c', target: 'MOD', result: 'LESS', operand: 4 }),
    false,
  );
  assert.equal(
    holds({ key: 'a', range_end: 'c', target: 'VALUE', result: 'LESS', operand: 'q' }),
    true,
  );
  // A missing key compares as zeros; a VALUE compare on it always fails.
  assert.equal(holds({ key: 'zz', target: 'VERSION', result: 'EQUAL', operand: 0 }), true);
  assert.equal(holds({ key: 'zz', target: 'CREATE', result: 'EQUAL', operand: 0 }), true);
  assert.equal(holds({ key: 'zz', target: 'VALUE', result: 'EQUAL', operand: '' }), false);
  assert.equal(holds({ key: 'zz', target: 'VALUE', result: 'NOT_EQUAL', operand: 'x' }), false);
  assert.equal(s.revision, 4);
});

test("Txn responses: each op's header has the revision it saw, as etcd 3.4's do", () => {
  const s = new Machine();
  s.put('x', '1'); // 2
  s.put('x', '2'); // 3
  // Before the txn's first write, the revision before the txn; from it on, the txn's own; a
  // nested txn's header empty. (Checked against etcd in test/runtime/etcd-differential.test.ts.)
  const seenAt = s.run({
    f: 'Txn',
    compare: [],
    success: [
      { request_range: { key: 'w' } },
      { request_delete_range: { key: 'nothing' } },
      { request_put: { key: 'w', value: '1' } },
      { request_delete_range: { key: 'nothing' } },
      { request_range: { key: 'w' } },
      {
        request_txn: {
          compare: [],
          success: [{ request_put: { key: 'w2', value: '2' } }],
          failure: [],
        },
      },
    ],
    failure: [],
  }) as unknown as TxnRes;
  assert.equal(seenAt.header.revision, 4);
  assert.deepEqual(
    (seenAt.responses as unknown as Record<string, { header: { revision: number } }>[]).map(
      (r) => (Object.values(r)[0] as { header: { revision: number } }).header.revision,
    ),
    [3, 3, 4, 4, 4, 0],
  );
});

test('Txn branches: one revision, reads see earlier writes, nesting, validation', () => {
  const s = new Machine();
  s.put('x', '1'); // 2
  const casX = (expected: string, next: string): TxnRes =>
    s.run({
      f: 'Txn',
      compare: [{ key: 'x', target: 'VALUE', result: 'EQUAL', operand: expected }],
      success: [
        { request_put: { key: 'x', value: next, prev_kv: true } },
        { request_put: { key: 'y', value: next } },
        { request_range: { key: 'x', range_end: 'z' } },
      ],
      failure: [{ request_range: { key: 'x' } }],
    }) as unknown as TxnRes;
  const ok = casX('1', '2');
  assert.equal(ok.succeeded, true);
  assert.equal(ok.header.revision, 3, 'the whole txn is one revision');
  const [putRes, , range] = ok.responses as unknown as Record<string, Record<string, Json>>[];
  assert.equal((putRes?.response_put?.prev_kv as unknown as KeyValue).value, '1');
  const seen = range?.response_range as unknown as RangeRes;
  assert.deepEqual(
    seen.kvs.map((kv) => [kv.key, kv.value, kv.mod_revision]),
    [
      ['x', '2', 3],
      ['y', '2', 3],
    ],
    'a range inside the txn sees its earlier writes',
  );
  const no = casX('1', '3');
  assert.equal(no.succeeded, false);
  assert.equal(no.header.revision, 3);
  // Nested: inner compares are evaluated before any write of the outer txn.
  const nested = s.run({
    f: 'Txn',
    compare: [],
    success: [
      { request_put: { key: 'x', value: 'outer' } },
      {
        request_txn: {
          compare: [{ key: 'x', target: 'VALUE', result: 'EQUAL', operand: '2' }],
          success: [{ request_put: { key: 'n', value: 'then' } }],
          failure: [{ request_put: { key: 'n', value: 'else' } }],
        },
      },
    ],
    failure: [],
  }) as unknown as TxnRes;
  assert.equal(nested.succeeded, true);
  assert.equal(s.range({ key: 'n' }).kvs[0]?.value, 'then');
  assert.equal(s.revision, 4);
  const events = s.m.watchSource.eventsSince(4, '\0', '\0') as WatchEvent[];
  assert.deepEqual(
    events.map((e) => e.kv.key),
    ['x', 'n'],
    "one revision's events in op order",
  );
  // etcd's validation.
  const txn = (success: Json[], failure: Json[] = []): Json =>
    s.run({ f: 'Txn', compare: [], success, failure });
  const put = (key: string): Json => ({ request_put: { key, value: 'v' } });
  assert.deepEqual(txn([put('a'), put('a')]), err(ETCD_ERRORS.duplicateKey));
  assert.deepEqual(
    txn([put('b'), { request_delete_range: { key: 'a', range_end: 'c' } }]),
    err(ETCD_ERRORS.duplicateKey),
  );
  assert.deepEqual(
    txn([put('a'), { request_txn: { compare: [], success: [put('a')], failure: [] } }]),
    err(ETCD_ERRORS.duplicateKey),
  );
  // The same key in a nested txn's then and else is fine: only one runs.
  assert.equal(
    (
      txn([{ request_txn: { compare: [], success: [put('a')], failure: [put('a')] } }]) as Record<
        string,
        Json
      >
    ).succeeded,
    true,
  );
  // Puts in success and failure of one txn are separate branches too.
  assert.equal((txn([put('q')], [put('q')]) as Record<string, Json>).succeeded, true);
  const many = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => put(`k${i}`));
  assert.deepEqual(txn(many), err(ETCD_ERRORS.tooManyOps));
  assert.equal(
    (txn(many.slice(0, MAX_TXN_OPS)) as Record<string, Json>).succeeded,
    true,
    `${MAX_TXN_OPS} ops are allowed`,
  );
  const rev = s.revision;
  assert.deepEqual(
    txn([put('fresh'), { request_put: { key: 'l', value: 'v', lease: 42 } }]),
    err(ETCD_ERRORS.leaseNotFound),
  );
  assert.deepEqual(
    txn([{ request_range: { key: 'x', revision: 1000 } }]),
    err(ETCD_ERRORS.futureRev),
  );
  assert.equal(s.revision, rev, 'a refused txn writes nothing');
  assert.deepEqual(s.keys({ key: 'fresh' }), []);
});

test('leases: grant, ids, attach and detach, revoke deletes attached keys in one revision', () => {
  const s = new Machine();
  const g1 = s.run({ f: 'LeaseGrant', TTL: 5 }) as Record<string, Json>;
  assert.deepEqual(g1, { header: { revision: 1 }, ID: 1, TTL: 5 });
  assert.deepEqual(s.run({ f: 'LeaseGrant', TTL: 5, ID: 2 }), {
    header: { revision: 1 },
    ID: 2,
    TTL: 5,
  });
  assert.equal((s.run({ f: 'LeaseGrant', TTL: 0 }) as Record<string, Json>).ID, 3, 'skips 2');
  assert.equal((s.run({ f: 'LeaseGrant', TTL: 0, ID: 9 }) as Record<string, Json>).TTL, 1);
  assert.deepEqual(s.run({ f: 'LeaseGrant', TTL: 5, ID: 2 }), err(ETCD_ERRORS.leaseExists));
  assert.deepEqual(
    s.run({ f: 'LeaseGrant', TTL: 9_000_000_001 }),
    err(ETCD_ERRORS.leaseTTLTooLarge),
  );
  assert.deepEqual(s.run({ f: 'LeaseLeases' }), {
    header: { revision: 1 },
    leases: [{ ID: 1 }, { ID: 2 }, { ID: 3 }, { ID: 9 }],
  });
  s.put('a', '1', { lease: 1 });
  s.put('b', '1', { lease: 1 });
  s.put('c', '1', { lease: 2 });
  s.put('b', '2'); // detached: a put without a lease
  s.put('c', '2', { lease: 1 }); // moved from lease 2 to lease 1
  assert.deepEqual(s.m.leases.get(1)?.keys, new Set(['a', 'c']));
  assert.deepEqual(s.m.leases.get(2)?.keys, new Set());
  const ttl = s.run({ f: 'LeaseTimeToLive', ID: 1, keys: true }) as Record<string, Json>;
  assert.deepEqual(ttl.keys, ['a', 'c']);
  const before = s.revision;
  assert.deepEqual(s.run({ f: 'LeaseRevoke', ID: 1 }), { header: { revision: before + 1 } });
  assert.deepEqual(s.keys({ key: '\0', range_end: '\0' }), ['b']);
  const evs = s.m.watchSource.eventsSince(before + 1, '\0', '\0') as WatchEvent[];
  assert.deepEqual(
    evs.map((e) => [e.type, e.kv.key, e.kv.mod_revision]),
    [
      ['DELETE', 'a', before + 1],
      ['DELETE', 'c', before + 1],
    ],
  );
  assert.deepEqual(s.run({ f: 'LeaseRevoke', ID: 1 }), err(ETCD_ERRORS.leaseNotFound));
  assert.deepEqual(s.run({ f: 'LeaseRevoke', ID: 2 }), { header: { revision: before + 1 } });
  assert.equal(s.revision, before + 1, 'revoking a lease with no keys makes no revision');
  // Deleting a key detaches it.
  s.put('d', '1', { lease: 3 });
  s.run({ f: 'DeleteRange', key: 'd' });
  assert.deepEqual(s.m.leases.get(3)?.keys, new Set());
});

test('the core KV ops give applyKv results on the same store', () => {
  const s = new Machine();
  const reference = new Map<string, string>();
  const r = streamFor(11, 'etcd-kv');
  for (let i = 0; i < 500; i++) {
    const key = `k${r.int(4)}`;
    const pick = r.int(5);
    const value = `v${i}`;
    const op: KvOp =
      pick === 0
        ? { f: 'get', key }
        : pick === 1
          ? { f: 'put', key, value }
          : pick === 2
            ? { f: 'append', key, value }
            : pick === 3
              ? {
                  f: 'cas',
                  key,
                  value: [r.chance(0.5) ? (reference.get(key) ?? null) : 'no', value],
                }
              : { f: 'delete', key };
    assert.deepEqual(s.run(op as unknown as Json), applyKv(reference, op), `op ${i}`);
  }
  for (const [k, v] of reference) assert.equal(s.range({ key: k }).kvs[0]?.value, v);
  assert.equal(s.m.store.liveKeys, reference.size);
});

test('sessions: a command applied twice takes effect once', () => {
  const m = new EtcdMachine();
  const cmd = { client: 'c', seq: 1, op: { f: 'Put', key: 'a', value: '1' } };
  const first = m.apply(cmd);
  assert.deepEqual(m.apply(cmd), first);
  assert.equal(m.store.revision, 2);
  assert.deepEqual(m.recall('c', 1), { result: first });
  // Internal proposals keep no session (and are idempotent instead).
  m.apply({ client: `${INTERNAL_CLIENT_PREFIX}n1/1`, seq: 1, op: { f: 'Compact', revision: 2 } });
  assert.equal(m.recall(`${INTERNAL_CLIENT_PREFIX}n1/1`, 1), undefined);
  assert.equal(m.summary().sessions, 1);
});

test('the watch source delivers every revision in order, and filters by range', () => {
  const s = new Machine();
  const seen: [number, string, string][] = [];
  const off = s.m.watchSource.subscribe((events, reset) => {
    assert.equal(reset, false);
    for (const e of events) seen.push([e.kv.mod_revision, e.type, e.kv.key]);
  });
  s.put('a', '1');
  s.run({
    f: 'Txn',
    compare: [],
    success: [{ request_put: { key: 'b', value: '1' } }, { request_put: { key: 'c', value: '1' } }],
    failure: [],
  });
  s.run({ f: 'DeleteRange', key: 'a', range_end: 'c' });
  off();
  s.put('z', 'unseen');
  assert.deepEqual(seen, [
    [2, 'PUT', 'a'],
    [3, 'PUT', 'b'],
    [3, 'PUT', 'c'],
    [4, 'DELETE', 'a'],
    [4, 'DELETE', 'b'],
  ]);
  const w = s.m.watchSource;
  assert.equal(w.revision(), 5);
  const fromB = w.eventsSince(3, 'b', 'c') as WatchEvent[];
  assert.deepEqual(
    fromB.map((e) => [e.type, e.kv.mod_revision, e.prev_kv?.value ?? null]),
    [
      ['PUT', 3, null],
      ['DELETE', 4, '1'],
    ],
  );
  const del = fromB[1] as WatchEvent;
  assert.deepEqual(del.kv, {
    key: 'b',
    create_revision: 0,
    mod_revision: 4,
    version: 0,
    value: '',
    lease: 0,
  });
  assert.equal((w.eventsSince(1, '\0', '\0') as WatchEvent[]).length, 6);
  assert.equal(watchSourceOf({ watchSource: w }), w);
  // A limit stops at the end of the revision that reached it: a whole Txn or delete, never half.
  const step = (from: number, limit: number): [number, string][] =>
    (w.eventsSince(from, '\0', '\0', limit) as WatchEvent[]).map((e) => [
      e.kv.mod_revision,
      e.kv.key,
    ]);
  assert.deepEqual(step(1, 1), [[2, 'a']]);
  assert.deepEqual(step(1, 2), [
    [2, 'a'],
    [3, 'b'],
    [3, 'c'],
  ]);
  assert.deepEqual(step(4, 1), [
    [4, 'a'],
    [4, 'b'],
  ]);
});

test('snapshot and restore: same state, same history, same hash, same future', () => {
  const s = new Machine();
  const r = streamFor(5, 'etcd-snap');
  const lease = (s.run({ f: 'LeaseGrant', TTL: 30 }) as { ID: number }).ID;
  for (let i = 0; i < 200; i++) {
    const key = `k${r.int(12)}`;
    if (r.chance(0.2)) s.run({ f: 'DeleteRange', key });
    else s.put(key, `v${i}`, r.chance(0.3) ? { lease } : {});
    if (i === 120) s.run({ f: 'Compact', revision: s.revision - 30 });
  }
  const snap = s.m.snapshot();
  // What a follower checks before it restores a leader's snapshot accepts every real one…
  assert.equal(s.m.snapshotProblem(JSON.parse(JSON.stringify(snap)) as Json), undefined);
  // …and refuses what is not one (the fuzzer's find: a chunk of {"kv":{}} stopped a node).
  const bad: [Json, RegExp][] = [
    [{ kv: {} }, /^store: /],
    [{ ...(snap as Record<string, Json>), ops: -1 }, /^ops: /],
    [{ ...(snap as Record<string, Json>), sessions: [['c', 'x', null]] }, /^sessions\.0\.1: /],
  ];
  for (const [data, why] of bad) assert.match(s.m.snapshotProblem(data) ?? 'accepted', why);
  const copy = new EtcdMachine();
  let resets = 0;
  copy.watchSource.subscribe((_e, reset) => (resets += reset ? 1 : 0));
  copy.restore(JSON.parse(JSON.stringify(snap)) as Json);
  assert.equal(resets, 1, 'watchers are told the store was replaced');
  assert.deepEqual(copy.snapshot(), JSON.parse(JSON.stringify(snap)));
  assert.equal(copy.store.hash, s.m.store.hash);
  assert.deepEqual(copy.leases.get(lease)?.keys, s.m.leases.get(lease)?.keys);
  const all = { key: '\0', range_end: '\0' };
  for (let rev = s.m.store.compactRevision; rev <= s.revision; rev++) {
    assert.deepEqual(
      copy.read({ f: 'Range', ...all, revision: rev }),
      s.m.read({ f: 'Range', ...all, revision: rev }),
    );
  }
  const from = s.m.store.compactRevision;
  assert.deepEqual(
    copy.watchSource.eventsSince(from, '\0', '\0'),
    s.m.watchSource.eventsSince(from, '\0', '\0'),
  );
  // The same next commands lead to the same states.
  for (const m of [s.m, copy]) {
    m.apply({ client: 'c1', seq: 10_000, op: { f: 'LeaseRevoke', ID: lease } });
    m.apply({ client: 'c2', seq: 1, op: { f: 'Compact', revision: m.store.revision - 5 } });
    m.apply({ client: 'c2', seq: 2, op: { f: 'put', key: 'k1', value: 'after' } });
  }
  assert.deepEqual(copy.snapshot(), s.m.snapshot());
});

test('compaction trims only what changed, and reads stay those of an uncompacted twin', () => {
  // Repeated compactions visit only the keys written since the last one (mvcc-store.ts); this
  // compares the result, at every retained revision, with a twin that never compacts.
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const r = streamFor(seed, 'etcd-compact-twin');
    const a = new Machine();
    const twin = new Machine();
    const lease = (a.run({ f: 'LeaseGrant', TTL: 30 }) as { ID: number }).ID;
    twin.run({ f: 'LeaseGrant', TTL: 30, ID: lease });
    const all = { key: '\0', range_end: '\0' };
    for (let i = 0; i < 400; i++) {
      const key = `k${r.int(20)}`;
      const op: Record<string, Json> = r.chance(0.25)
        ? r.chance(0.3)
          ? { f: 'DeleteRange', key: 'k1', range_end: 'k3' }
          : { f: 'DeleteRange', key }
        : { f: 'Put', key, value: `v${i}`, ...(r.chance(0.2) ? { lease } : {}) };
      a.run(op);
      twin.run(op);
      if (r.chance(0.08) && a.revision - 3 > a.m.store.compactRevision) {
        const at =
          a.m.store.compactRevision + 1 + r.int(a.revision - 3 - a.m.store.compactRevision);
        a.run({ f: 'Compact', revision: at });
        const low = a.m.store.compactRevision;
        for (let rev = low; rev <= a.revision; rev++) {
          assert.deepEqual(
            a.m.read({ f: 'Range', ...all, revision: rev }),
            twin.m.read({ f: 'Range', ...all, revision: rev }),
            `seed ${seed}: revision ${rev} after compacting at ${low}`,
          );
        }
        assert.deepEqual(
          a.m.watchSource.eventsSince(low, '\0', '\0'),
          twin.m.watchSource.eventsSince(low, '\0', '\0'),
        );
        // What a restore rebuilds from the compacted store is the same store.
        const copy = new EtcdMachine();
        copy.restore(JSON.parse(JSON.stringify(a.m.snapshot())) as Json);
        assert.deepEqual(copy.snapshot(), a.m.snapshot(), `seed ${seed}: restore at ${low}`);
        // …and compaction kept nothing a restore would not: each key one version at or
        // below the compacted revision at most, no key whose history is only a tombstone.
        assert.deepEqual(a.m.store.retained(), copy.store.retained(), `seed ${seed}: at ${low}`);
        // Events replayed from the snapshot, prev_kv rebuilt, are the ones the store made.
        assert.deepEqual(
          copy.watchSource.eventsSince(low, '\0', '\0'),
          a.m.watchSource.eventsSince(low, '\0', '\0'),
          `seed ${seed}: events restored at ${low}`,
        );
        // The quota's running count stays the sum it counts, through compaction and restore.
        assert.equal(a.m.store.bytes, a.m.store.retained().bytes, `seed ${seed}: bytes`);
        assert.equal(copy.store.bytes, a.m.store.bytes, `seed ${seed}: restored bytes`);
      }
    }
    assert.ok(a.m.store.compactRevision > 100, `seed ${seed}: compacted`);
  }
});

test("the space quota refuses growth with etcd's error; deletes and compaction win space back", () => {
  const cost = (key: string, value: string): number => versionCost(key, value);
  const m = new Machine({ quotaBytes: 4 * cost('k/0', 'x'.repeat(100)) });
  const noSpace = err(ETCD_ERRORS.noSpace);
  for (let i = 0; i < 4; i++) assert.ok(!('error' in (m.put(`k/${i}`, 'x'.repeat(100)) as object)));
  const full = m.revision;
  // Every request that could grow the store is refused, without a revision.
  assert.deepEqual(m.put('k/4', 'x'), noSpace);
  assert.deepEqual(m.put('k/0', 'y'), noSpace, 'an overwrite keeps the old version: it grows');
  const txn = (branch: Json): Json => ({ f: 'Txn', compare: [], success: branch, failure: [] });
  assert.deepEqual(m.run(txn([{ request_put: { key: 'k/5', value: 'z' } }])), noSpace);
  assert.deepEqual(
    m.run(
      txn([
        {
          request_txn: {
            compare: [],
            success: [{ request_put: { key: 'n', value: 'z' } }],
            failure: [],
          },
        },
      ]),
    ),
    noSpace,
    'nested puts count',
  );
  assert.deepEqual(m.run({ f: 'LeaseGrant', TTL: 60 }), noSpace);
  assert.equal(m.revision, full);
  // Reads, read-only and delete-only Txns and deletes go on.
  assert.equal(m.range({ key: 'k/', range_end: 'k0' }).count, 4);
  assert.ok(!('error' in (m.run(txn([{ request_range: { key: 'k/0' } }])) as object)));
  assert.ok(!('error' in (m.run({ f: 'DeleteRange', key: 'k/0' }) as object)));
  assert.deepEqual(m.put('k/6', 'x'), noSpace, 'a tombstone holds space until compacted');
  // Compacting past the delete drops the old version and its tombstone: room again.
  m.run({ f: 'Compact', revision: m.revision });
  assert.ok(m.m.store.bytes < 4 * cost('k/0', 'x'.repeat(100)));
  assert.ok(!('error' in (m.put('k/6', 'x') as object)));
  // No quota, no limit.
  const free = new Machine({ quotaBytes: 0 });
  for (let i = 0; i < 50; i++)
    assert.ok(!('error' in (free.put(`k/${i}`, 'x'.repeat(100)) as object)));
});

test('the revision recorder flags diverging replicas', () => {
  const rec = new RevisionRecorder();
  const a = new EtcdMachine({ node: 'a', recorder: rec });
  const b = new EtcdMachine({ node: 'b', recorder: rec });
  a.apply({ client: 'c', seq: 1, op: { f: 'put', key: 'k', value: '1' } });
  b.apply({ client: 'c', seq: 1, op: { f: 'put', key: 'k', value: '1' } });
  assert.equal(rec.violation, undefined);
  a.apply({ client: 'c', seq: 2, op: { f: 'put', key: 'k', value: '2' } });
  b.apply({ client: 'c', seq: 2, op: { f: 'put', key: 'k', value: 'other' } });
  assert.match(rec.violation ?? '', /store divergence: b .* at revision 3/);
});

// ---- a simulated cluster ------------------------------------------------------------------------

class Cluster {
  readonly sim: Simulator;
  private seq = 0;

  constructor(params: Record<string, string> = {}, seed = 1) {
    this.sim = new Simulator({
      seed,
      nodeIds: ['n1', 'n2', 'n3'],
      factory: etcdRaftSystem.createNode({ params }),
      latency: { kind: 'constant', ms: 1 },
      tornWrites: false,
      checkInvariants: (nodes) => etcdRaftSystem.checkInvariants?.(nodes),
    });
    this.sim.start();
  }

  node(id: NodeId): EtcdRaftNode {
    const n = this.sim.node(id);
    assert.ok(n instanceof EtcdRaftNode, `${id} is down`);
    return n;
  }

  leader(among: readonly NodeId[] = this.sim.nodeIds): NodeId {
    const end = this.sim.now + 3000;
    while (this.sim.now < end) {
      this.sim.runUntil(this.sim.now + 5);
      const ls = among.filter((id) => this.node(id).raft.role === 'leader');
      if (ls.length === 1) return ls[0] as NodeId;
    }
    assert.fail('no leader');
  }

  call(node: NodeId, op: Json): ClientReply {
    let reply: ClientReply | undefined;
    this.sim.request(node, 'c1', ++this.seq, op, (r) => (reply = r));
    const end = this.sim.now + 2000;
    while (reply === undefined && this.sim.now < end) this.sim.runUntil(this.sim.now + 1);
    assert.ok(reply !== undefined, `no reply to ${JSON.stringify(op)}`);
    return reply;
  }

  /** Through the leader; the reply's value. */
  ok(op: Json, among?: readonly NodeId[]): Record<string, Json> {
    const r = this.call(this.leader(among), op);
    assert.ok(r.ok, `${JSON.stringify(op)} failed: ${JSON.stringify(r)}`);
    return r.value as Record<string, Json>;
  }

  runFor(ms: number): void {
    this.sim.runUntil(this.sim.now + ms);
    assert.equal(this.sim.failure, undefined, JSON.stringify(this.sim.failure));
  }

  /** Does every live node's applied state hold the lease? */
  leaseEverywhere(id: number): boolean[] {
    return [...this.sim.liveNodes().values()].map((n) =>
      (n as EtcdRaftNode).machine.leases.has(id),
    );
  }
}

test('a lease with no keepalive expires after its TTL, revoked by the leader', () => {
  const c = new Cluster();
  const { ID } = c.ok({ f: 'LeaseGrant', TTL: 2 }) as { ID: number };
  c.ok({ f: 'Put', key: 'session', value: 'x', lease: ID });
  const grantedAt = c.sim.now;
  c.runFor(1500);
  assert.deepEqual(c.leaseEverywhere(ID), [true, true, true], 'alive before its TTL');
  c.sim.runUntil(grantedAt + 2000 + 600); // TTL, plus one check, plus a commit
  assert.deepEqual(c.leaseEverywhere(ID), [false, false, false]);
  const r = c.ok({ f: 'Range', key: 'session' }) as unknown as RangeRes;
  assert.deepEqual(r.kvs, [], 'its key went with it');
  assert.deepEqual(c.ok({ f: 'LeaseKeepAlive', ID }), { header: r.header, ID, TTL: 0 });
  assert.equal(c.ok({ f: 'LeaseTimeToLive', ID }).TTL, -1);
});

test('keepalives keep a lease alive; TimeToLive reports the leader clock', () => {
  const c = new Cluster();
  const { ID } = c.ok({ f: 'LeaseGrant', TTL: 2 }) as { ID: number };
  c.ok({ f: 'Put', key: 'k', value: 'x', lease: ID });
  for (let i = 0; i < 6; i++) {
    c.runFor(1000);
    const k = c.ok({ f: 'LeaseKeepAlive', ID });
    assert.equal(k.TTL, 2);
  }
  assert.deepEqual(c.leaseEverywhere(ID), [true, true, true], 'alive long past its TTL');
  const ttl = c.ok({ f: 'LeaseTimeToLive', ID, keys: true });
  assert.deepEqual([ttl.TTL, ttl.grantedTTL, ttl.keys], [1, 2, ['k']]);
  c.runFor(1000);
  assert.equal(c.ok({ f: 'LeaseTimeToLive', ID }).TTL, 0, 'under a second left');
  // A follower does not answer lease queries: only the leader holds the clock.
  const follower = c.sim.nodeIds.find((id) => c.node(id).raft.role !== 'leader') as NodeId;
  const r = c.call(follower, { f: 'LeaseKeepAlive', ID });
  assert.equal(r.ok, false);
  c.runFor(1500);
  assert.deepEqual(c.leaseEverywhere(ID), [false, false, false], 'expires once keepalives stop');
});

test('a new leader restarts lease clocks instead of expiring them at once', () => {
  const c = new Cluster();
  const { ID } = c.ok({ f: 'LeaseGrant', TTL: 3 }) as { ID: number };
  const grantedAt = c.sim.now;
  c.runFor(2000);
  const old = c.leader();
  const others = c.sim.nodeIds.filter((id) => id !== old);
  const cut: [NodeId, NodeId][] = [];
  for (const o of others) cut.push([old, o], [o, old]);
  c.sim.setPartition(cut);
  const next = c.leader(others);
  const electedAt = c.sim.now;
  assert.ok(electedAt < grantedAt + 3000, 'the new leader is elected before the old deadline');
  c.sim.runUntil(grantedAt + 3000 + 1000);
  assert.ok(c.node(next).machine.leases.has(ID), 'still alive past the old leader deadline');
  assert.ok(c.node(next).lessor.active);
  c.sim.runUntil(electedAt + 3000 + 300 + 1000);
  for (const id of others) assert.equal(c.node(id).machine.leases.has(ID), false, id);
  assert.equal(c.node(old).lessor.active, false, 'the deposed leader dropped its clocks');
  assert.equal(c.sim.failure, undefined);
});

test('a leader cut off from its majority cannot renew a lease', () => {
  const c = new Cluster();
  const { ID } = c.ok({ f: 'LeaseGrant', TTL: 5 }) as { ID: number };
  const old = c.leader();
  const cut: [NodeId, NodeId][] = [];
  for (const o of c.sim.nodeIds) if (o !== old) cut.push([old, o], [o, old]);
  c.sim.setPartition(cut);
  c.runFor(400);
  // Its keepalive needs a ReadIndex round a majority confirms; none can.
  const r = c.call(old, { f: 'LeaseKeepAlive', ID });
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.equal(c.node(old).lessor.active, false);
});

test('followers serve Range and read-only Txn themselves; lease queries only the leader', () => {
  const c = new Cluster();
  const leader = c.leader();
  const { ID } = c.ok({ f: 'LeaseGrant', TTL: 10 }) as { ID: number };
  const put = c.ok({ f: 'Put', key: 'k', value: 'v', lease: ID }) as unknown as TxnRes;
  const follower = c.sim.nodeIds.find((id) => id !== leader) as NodeId;
  const node = c.node(follower);
  const served = (): number => (c.sim.metrics.get('follower-reads') ?? []).length;
  // Asked before the follower has heard the put committed: it waits to apply the read index.
  const range = c.call(follower, { f: 'Range', key: 'k' });
  assert.ok(range.ok);
  const kvs = (range.value as unknown as RangeRes).kvs;
  assert.deepEqual(
    kvs.map((kv) => [kv.key, kv.value, kv.lease]),
    [['k', 'v', ID]],
  );
  assert.equal((range.value as unknown as RangeRes).header.revision, put.header.revision);
  const txn = c.call(follower, {
    f: 'Txn',
    compare: [{ key: 'k', target: 'VALUE', result: 'EQUAL', operand: 'v' }],
    success: [{ request_range: { key: 'k' } }],
    failure: [],
  });
  assert.equal(txn.ok && (txn.value as unknown as TxnRes).succeeded, true);
  assert.equal(served(), 2, 'both answered by the follower');
  // The lessor's clocks live on the leader: these are refused at once, with the leader named,
  // and the front end forwards them (a follower never asks for a read index for them).
  const leaseQueries: Json[] = [
    { f: 'LeaseKeepAlive', ID },
    { f: 'LeaseTimeToLive', ID },
    { f: 'LeaseLeases' },
  ];
  for (const op of leaseQueries) {
    assert.deepEqual(c.call(follower, op), {
      ok: false,
      error: 'not leader',
      definite: true,
      leader,
    });
    assert.equal(node.machine.readNeedsLeader(op), true);
  }
  assert.equal(served(), 2);
  assert.equal(node.lessor.active, false);
  // With follower reads off, a follower refuses Range too.
  const off = new Cluster({ 'follower-reads': 'off' });
  const offLeader = off.leader();
  const offFollower = off.sim.nodeIds.find((id) => id !== offLeader) as NodeId;
  assert.deepEqual(off.call(offFollower, { f: 'Range', key: 'k' }), {
    ok: false,
    error: 'not leader',
    definite: true,
    leader: offLeader,
  });
});

test('the leader compacts automatically, keeping `retain` revisions', () => {
  const c = new Cluster({ retain: '20', 'snapshot-every': '16' });
  for (let i = 0; i < 100; i++) c.ok({ f: 'Put', key: `k${i % 7}`, value: `${i}` });
  c.runFor(1200);
  for (const id of c.sim.nodeIds) {
    const store = c.node(id).machine.store;
    assert.equal(store.revision, 101, id);
    assert.ok(store.compactRevision >= 101 - 20 - 2, `${id} compacted at ${store.compactRevision}`);
    assert.ok(store.compactRevision <= 101 - 20, id);
  }
  const compacted = c.node('n1').machine.store.compactRevision;
  assert.deepEqual(
    c.ok({ f: 'Range', key: 'k1', revision: compacted - 1 }),
    err(ETCD_ERRORS.compacted),
  );
  assert.equal(
    (c.ok({ f: 'Range', key: 'k1', revision: compacted }) as unknown as RangeRes).kvs.length,
    1,
  );
});

test('every replica sees the same events in revision order through its watch source', () => {
  const c = new Cluster({ 'snapshot-every': '16' });
  c.leader();
  const logs = new Map<NodeId, number[]>();
  for (const id of c.sim.nodeIds) {
    const log: number[] = [];
    logs.set(id, log);
    watchSourceOf(c.node(id))?.subscribe((events) => {
      for (const e of events) log.push(e.kv.mod_revision);
    });
  }
  for (let i = 0; i < 30; i++) c.ok({ f: 'Put', key: `k${i % 4}`, value: `${i}` });
  c.ok({ f: 'DeleteRange', key: 'k', range_end: 'l' });
  c.runFor(200);
  const expected = [...Array.from({ length: 30 }, (_, i) => i + 2), 32, 32, 32, 32];
  for (const [id, log] of logs) assert.deepEqual(log, expected, id);
});

test('malformed and refused requests are answered without the log', () => {
  const c = new Cluster();
  const leader = c.leader();
  const r = c.call(leader, { f: 'Put', key: 5 });
  assert.deepEqual(r, { ok: false, error: 'malformed operation', definite: true });
  const internal = c.call(leader, { f: 'etcd-expire-lease', ID: 1, grant: 1 });
  assert.equal(internal.ok, false, 'the internal op is not for clients');
  assert.deepEqual(c.call(leader, { f: 'Put', key: '', value: 'x' }), {
    ok: true,
    value: err(ETCD_ERRORS.emptyKey),
  });
  assert.equal(c.node(leader).raft.log.lastIndex(), 1, 'only the election no-op is logged');
  // Raft's admin operations still reach the RaftNode.
  const transfer = c.call(leader, { f: 'transfer-leader', node: leader });
  assert.deepEqual(transfer, { ok: true, value: leader });
});

test('under crashes and partitions a kept-alive lease never ends before TTL after its last keepalive', () => {
  // A client holds a lock key by a 2 s lease, sending keepalives every 250–550 ms to whichever
  // node it believes leads, while nodes crash and restart and minorities are cut off. The key
  // may only disappear (the lease revoked) 2 s or more after the last keepalive some leader
  // confirmed — whatever leaders came and went — and must disappear once keepalives stop.
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  for (let seed = 1; seed <= 8; seed++) {
    const sim = new Simulator({
      seed,
      nodeIds: ids,
      factory: etcdRaftSystem.createNode({}),
      tornWrites: true,
      checkInvariants: (nodes) => etcdRaftSystem.checkInvariants?.(nodes),
    });
    sim.start();
    const random = streamFor(seed, 'lease-faults');
    let seq = 0;
    let target = 0;
    const send = (op: Json, then: (r: ClientReply) => void): void => {
      sim.request(ids[target] as NodeId, 'c', ++seq, op, (r) => {
        if (!r.ok) target = r.leader !== undefined ? ids.indexOf(r.leader) : random.int(ids.length);
        then(r);
      });
    };
    let lease = 0;
    let heldFrom = 0; // the revision of the lock's put
    let lastOk = -Infinity;
    const stopAt = 8000;
    const acquire = (): void =>
      send(
        {
          f: 'Txn',
          compare: [],
          success: [{ request_put: { key: 'lock', value: 'me', lease } }],
          failure: [],
        },
        (r) => {
          if (r.ok && (r.value as unknown as TxnRes).succeeded) {
            heldFrom = (r.value as unknown as TxnRes).header.revision;
          } else sim.schedule(50, acquire);
        },
      );
    const grant = (): void => {
      const sentAt = sim.now;
      send({ f: 'LeaseGrant', TTL: 2 }, (r) => {
        if (!r.ok) return void sim.schedule(50, grant);
        lease = (r.value as { ID: number }).ID;
        lastOk = sentAt;
        acquire();
      });
    };
    const keepAlive = (): void => {
      if (sim.now > stopAt) return;
      if (lease !== 0) {
        // The leader renewed after the request was sent: the deadline is at least sentAt + TTL.
        const sentAt = sim.now;
        send({ f: 'LeaseKeepAlive', ID: lease }, (r) => {
          if (r.ok && (r.value as { TTL: number }).TTL > 0) lastOk = Math.max(lastOk, sentAt);
        });
      }
      sim.schedule(250 + random.int(300), keepAlive);
    };
    const fault = (): void => {
      const victim = ids[random.int(ids.length)] as NodeId;
      if (random.chance(0.5)) {
        if (sim.status(victim) === 'up') {
          sim.crash(victim);
          sim.schedule(300 + random.int(1500), () => sim.restart(victim));
        }
      } else {
        const group = random.shuffle([...ids]).slice(0, 2);
        const cut: [NodeId, NodeId][] = [];
        for (const a of group)
          for (const b of ids) if (!group.includes(b)) cut.push([a, b], [b, a]);
        sim.setPartition(cut);
        sim.schedule(300 + random.int(1500), () => sim.heal());
      }
      if (sim.now < stopAt) sim.schedule(500 + random.int(1500), fault);
    };
    sim.schedule(300, grant);
    sim.schedule(600, keepAlive);
    sim.schedule(1000, fault);
    let goneAt: number | null = null;
    while (sim.now < stopAt + 6000 && !sim.halted && goneAt === null) {
      sim.runUntil(sim.now + 5);
      if (heldFrom === 0) continue;
      for (const n of sim.liveNodes().values()) {
        const store = (n as EtcdRaftNode).machine.store;
        if (store.revision >= heldFrom && store.current('lock') === undefined) goneAt = sim.now;
      }
    }
    assert.equal(sim.failure, undefined, `seed ${seed}: ${sim.failure?.message}`);
    assert.ok(heldFrom > 0, `seed ${seed}: the lock was never taken`);
    assert.ok(goneAt !== null, `seed ${seed}: the lease never expired after keepalives stopped`);
    assert.ok(
      goneAt >= lastOk + 2000,
      `seed ${seed}: revoked at ${goneAt}, under 2 s after the keepalive sent at ${lastOk}`,
    );
  }
});

// ---- seed sweeps under faults -------------------------------------------------------------------

/** After the final heal, some operation invoked after it succeeds within this long. */

function run(
  seed: number,
  nemesis: string,
  extra: {
    mutant?: string;
    nemesisTiming?: NemesisTiming;
    params?: Record<string, string>;
    ops?: number;
    nodes?: number;
  } = {},
): CheckedRun {
  const { ops = 300, ...rest } = extra;
  return runChecked(
    { system: etcdRaftSystem, seed, nemesis, workload: { ops }, ...rest },
    { checkTimeoutMs: 10_000 },
  );
}

test('etcd-raft is registered with the Raft mutants', () => {
  const s = getSystem('etcd-raft');
  assert.equal(s, etcdRaftSystem);
  assert.equal(s?.model, 'kv');
  assert.equal(s?.workload, 'kv');
  // The same Raft underneath, so the same mutants (kv-raft.test.ts lists them by name).
  assert.deepEqual(s?.mutants, RAFT_MUTANTS);
  assert.throws(() => etcdRaftSystem.createNode({ params: { nope: '1' } }), /no parameter 'nope'/);
  assert.equal(etcdOptionsFrom({ 'follower-reads': 'off' }).raft.followerReads, false);
  assert.equal(etcdOptionsFrom({}).quotaBytes, 2 * 1024 ** 3, "etcd's default quota");
  assert.equal(etcdOptionsFrom({ 'quota-bytes': '0' }).quotaBytes, 0);
  assert.throws(() => etcdOptionsFrom({ 'quota-bytes': '' }), /quota-bytes wants an integer/);
  assert.throws(() => etcdOptionsFrom({ 'quota-bytes': '-1' }), /quota-bytes wants an integer/);
  assert.throws(() => etcdOptionsFrom({ 'follower-reads': '0' }), /'on' or 'off'/);
});

/** Reads the followers served themselves in a run (so the checker judged them too). */
const followerReads = (r: CheckedRun): number => r.metrics['follower-reads']?.count ?? 0;

for (const plan of nemesisPlans()) {
  test(`sweep: ${plan.name} × 6 seeds is linearizable and recovers`, () => {
    let served = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = run(seed, plan.name);
      assertHealthy(r);
      served += followerReads(r);
    }
    assert.ok(served > 0, 'followers served some of the reads');
  });
}

test('sweep: follower reads off × all plans × 6 seeds is linearizable; no follower serves', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const r = run(seed, 'all', { params: { 'follower-reads': 'off' } });
    assertHealthy(r);
    assert.equal(followerReads(r), 0);
  }
});

test('sweep: all plans combined × 20 seeds is linearizable and recovers', () => {
  for (let seed = 1; seed <= 20; seed++) assertHealthy(run(seed, 'all'));
});

test('three nodes (as truthkit cluster up runs): all plans × 12 seeds, reads without rounds', () => {
  // The leader and the asking follower are a majority of three: read-index answers need no
  // round (raft-node.ts onReadIndex). The checker judges those follower reads here.
  let withoutRound = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const r = run(seed, 'all', { nodes: 3 });
    assertHealthy(r);
    withoutRound += r.metrics['read-index-without-round']?.count ?? 0;
  }
  assert.ok(withoutRound > 0, 'some read-index requests were answered without a round');
});

test('sweep: snapshots and compaction under all faults × 12 seeds stay linearizable', () => {
  // Small windows force InstallSnapshot of MVCC history (in several chunks) and frequent
  // auto-compaction; the per-revision store hash invariant checks every replica against the
  // others at every step.
  const params = { 'snapshot-every': '16', retain: '20', 'chunk-size': '512' };
  let snapshotsSent = 0;
  for (const [nemesis, seeds] of [
    ['all', 12],
    ['crash', 6],
  ] as const) {
    for (let seed = 1; seed <= seeds; seed++) {
      const session = new Session({
        system: etcdRaftSystem,
        seed,
        nemesis,
        params,
        workload: { ops: 300 },
        keepTrace: true,
      });
      session.runToEnd();
      assertHealthy({ ...session.result(), ...judgeSession(session, { checkTimeoutMs: 10_000 }) });
      const events = session.sim.trace.events ?? [];
      snapshotsSent += events.filter((e) => e.e === 'send' && e.type === 'snapshot').length;
      for (const [id, n] of session.sim.liveNodes()) {
        const store = (n as EtcdRaftNode).machine.store;
        assert.ok(store.compactRevision > 0, `seed ${seed}: ${id} never compacted`);
      }
    }
  }
  assert.ok(snapshotsSent > 0, 'some follower was sent a snapshot');
});

test('duplicated snapshot answers do not multiply chunks (regression: a message storm)', () => {
  // Multi-chunk MVCC snapshots under the duplicate nemesis once made every duplicated answer
  // trigger another chunk, each answered (and duplicated) again: this run never finished.
  const r = run(93, 'all', {
    ops: 1000,
    params: { 'snapshot-every': '16', retain: '20', 'chunk-size': '300' },
  });
  assertHealthy(r);
  assert.ok(r.messages.sent < 50_000, `${r.messages.sent} messages`);
  // The rule itself: only the answer to the chunk sent last sends the next.
  const sender = new SnapshotSender({
    index: 5,
    term: 1,
    config: { voters: [], learners: [] },
    parts: ['x'.repeat(10)],
  });
  const at = (offset: number): { part: number; offset: number } => ({ part: 0, offset });
  assert.deepEqual(sender.chunk(4), { offset: 0, chunk: '"xxx', done: false });
  assert.equal(sender.answered(at(4)), true);
  assert.deepEqual(sender.chunk(4).offset, 4);
  assert.equal(sender.answered(at(4)), false, 'a duplicate of the previous answer');
  assert.equal(sender.answered(at(0)), false, 'a restarted follower: resent on the next heartbeat');
  assert.deepEqual(sender.chunk(4).offset, 0);
});

test('the same seed gives the same run', () => {
  const params = { 'snapshot-every': '16', retain: '20' };
  const a = run(7, 'crash,partition-halves,lossy', { params, ops: 200 });
  const b = run(7, 'crash,partition-halves,lossy', { params, ops: 200 });
  assert.equal(a.traceDigest, b.traceDigest);
  assert.deepEqual(a.history, b.history);
});

test('mutant read-from-follower is caught on etcd-raft by partition-one', () => {
  const caught = [1, 2, 3].filter(
    (seed) => run(seed, 'partition-one', { mutant: 'read-from-follower' }).verdict === 'invalid',
  );
  assert.ok(caught.length > 0);
});

test('mutant follower-read-no-wait is caught on etcd-raft by lossy links', (t) => {
  const caught = [1, 2, 3].filter(
    (seed) => run(seed, 'lossy', { mutant: 'follower-read-no-wait' }).verdict === 'invalid',
  );
  t.diagnostic(`follower-read-no-wait caught under lossy on seeds ${caught.join(' ')}`);
  assert.ok(caught.length > 0, 'not caught on seeds 1-3');
});

test('mutant no-sync-before-ack is caught on etcd-raft by fast crash cycles', () => {
  const fast: NemesisTiming = { faultMs: [20, 200], healMs: [20, 200] };
  const caught = [1, 2, 3].filter(
    (seed) =>
      run(seed, 'crash', { mutant: 'no-sync-before-ack', nemesisTiming: fast }).verdict ===
      'invalid',
  );
  assert.ok(caught.length > 0);
});

test('a faulty run leaves replicas at one revision with one store hash', () => {
  const session = new Session({
    system: etcdRaftSystem,
    seed: 3,
    nemesis: 'all',
    workload: { ops: 300 },
    params: { 'snapshot-every': '16', retain: '20' },
  });
  session.runToEnd();
  assert.equal(session.sim.failure, undefined);
  const byRevision = new Map<number, Set<string>>();
  for (const n of session.sim.liveNodes().values()) {
    const store = (n as EtcdRaftNode).machine.store;
    const hashes = byRevision.get(store.revision) ?? new Set<string>();
    hashes.add(store.hash);
    byRevision.set(store.revision, hashes);
  }
  for (const [rev, hashes] of byRevision) assert.equal(hashes.size, 1, `revision ${rev}`);
  assert.ok(Math.max(...byRevision.keys()) > 100, 'the workload wrote');
});

test("a leader's snapshot that is no snapshot is refused, and the follower stays up", () => {
  const c = new Cluster();
  const leader = c.leader();
  const follower = c.sim.nodeIds.find((id) => id !== leader) as NodeId;
  const f = c.node(follower);
  const before = f.raft.commitIndex;
  const snapshot = (chunk: string) => ({
    type: 'snapshot' as const,
    term: f.raft.term,
    index: before + 100,
    snapTerm: f.raft.term,
    config: { voters: [...c.sim.nodeIds], learners: [] },
    offset: 0,
    chunk,
    done: true,
    round: 7,
  });
  // The fuzzer's find (it stopped a real node), and chunks that do not even join into JSON.
  for (const chunk of ['{"kv":{}}', '{"store":', 'null']) {
    f.onMessage(leader, snapshot(chunk));
    c.sim.runUntil(c.sim.now + 20);
    assert.ok(!c.sim.halted, `halted on ${chunk}`);
    assert.equal(c.sim.node(follower), f, `${follower} is still the same live node`);
    assert.equal(f.raft.commitIndex < before + 100, true, `nothing installed from ${chunk}`);
  }
});
