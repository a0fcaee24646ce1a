/**
 * etcd-raft snapshots in parts (snapshot-parts.ts) and their transfer (raft/snapshot.ts): split
 * and joined back exactly; a missing, reordered or miscounted part refused; a small snapshot
 * still one part, the plain value; the chunks of a many-part snapshot reassembled part by part,
 * resent from the follower's position; and lagging followers of a simulated cluster installing
 * many-part snapshots under every fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import {
  SnapshotReceiver,
  SnapshotSender,
  type Position,
} from '../../../src/protocols/raft/snapshot.js';
import type { RaftMsg, Snapshot } from '../../../src/protocols/raft/messages.js';
import { raftMessageProblem } from '../../../src/protocols/raft/message-schema.js';
import { Session } from '../../../src/sim/run.js';
import { judgeSession } from '../../../src/sim/checked-run.js';
import { EtcdMachine } from '../../../src/systems/etcd/etcd-machine.js';
import { etcdOptionsFrom, etcdRaftSystem } from '../../../src/systems/etcd/etcd-raft.js';
import { approxJsonChars, joinParts } from '../../../src/systems/etcd/snapshot-parts.js';
import { assertHealthy } from '../healthy-run.js';

/** A machine with history: puts, overwrites, deletes, a lease, a compaction. */
function machineWithData(partBytes: number): EtcdMachine {
  const m = new EtcdMachine({ snapshotPartBytes: partBytes });
  let seq = 0;
  const apply = (op: Json): Json => m.apply({ client: `c${seq % 3}`, seq: ++seq, op });
  apply({ f: 'LeaseGrant', ID: 7, TTL: 60 });
  for (let i = 0; i < 120; i++) {
    apply({
      f: 'Put',
      key: `k/${i % 50}`,
      value: `v${i}-`.padEnd(200, 'x'),
      ...(i % 9 === 0 ? { lease: 7 } : {}),
    });
    if (i % 17 === 0) apply({ f: 'DeleteRange', key: `k/${(i + 3) % 50}` });
  }
  apply({ f: 'Compact', revision: 60 });
  for (let i = 0; i < 30; i++) apply({ f: 'Put', key: `later/${i}`, value: 'y'.repeat(300) });
  return m;
}

test('an etcd snapshot split into many parts joins back to the same snapshot and store', () => {
  const m = machineWithData(2048);
  const whole = m.snapshot();
  const parts = m.snapshotParts();
  assert.ok(parts.length > 20, `${parts.length} parts`);
  // Each part about the bound: a batch past it holds one item (none here is near 2 KiB).
  for (const p of parts.slice(1)) assert.ok(approxJsonChars(p) < 2 * 2048, 'a bounded part');
  const joined = joinParts(parts);
  assert.ok('snapshot' in joined);
  assert.deepEqual(joined.snapshot, whole);
  assert.equal(m.snapshotPartsProblem(parts), undefined);
  const copy = new EtcdMachine();
  copy.restoreParts(parts);
  assert.deepEqual(copy.summary(), m.summary());
  assert.equal(copy.store.hash, m.store.hash);
  assert.deepEqual(copy.snapshot(), whole);
  // Through JSON, as a follower or a WAL reads them.
  const again = new EtcdMachine();
  again.restoreParts(parts.map((p) => JSON.parse(JSON.stringify(p)) as Json));
  assert.deepEqual(again.snapshot(), whole);
});

test('--param snapshot-part-bytes is a whole number ≥ 1, passed to the machine', () => {
  assert.equal(etcdOptionsFrom({ 'snapshot-part-bytes': '4096' }).snapshotPartBytes, 4096);
  assert.equal(etcdOptionsFrom({}).snapshotPartBytes, undefined, 'the machine default (1 MiB)');
  for (const bad of ['0', '-1', '1.5', '', 'x']) {
    assert.throws(
      () => etcdOptionsFrom({ 'snapshot-part-bytes': bad }),
      /--param snapshot-part-bytes wants an integer ≥ 1/,
      bad,
    );
  }
});

test('a small etcd snapshot is one part: the plain snapshot value, as before parts', () => {
  const m = machineWithData(1024 * 1024);
  const parts = m.snapshotParts();
  assert.equal(parts.length, 1);
  assert.deepEqual(parts[0], m.snapshot());
});

test('a missing, reordered, repeated or miscounted part is refused, never a smaller store', () => {
  const m = machineWithData(2048);
  const parts = m.snapshotParts();
  const problems = {
    missing: [...parts.slice(0, 5), ...parts.slice(6)],
    'missing last': parts.slice(0, -1),
    reordered: [parts[0] as Json, ...parts.slice(1).reverse()],
    repeated: [...parts.slice(0, 5), parts[4] as Json, ...parts.slice(6)],
    'no header': parts.slice(1),
    empty: [],
  };
  for (const [what, bad] of Object.entries(problems)) {
    assert.ok(m.snapshotPartsProblem(bad) !== undefined, what);
    assert.throws(() => new EtcdMachine().restoreParts(bad), Error, what);
  }
  // A part whose items are not the schema's: caught by the schema once joined.
  const header = parts[0] as Record<string, Json>;
  const forged = [header, { list: 'base', items: [{ key: 1 }] }, ...parts.slice(2)];
  assert.ok(m.snapshotPartsProblem(forged) !== undefined);
});

/** Feeds every chunk of `snap` through a sender and a receiver, answering as a follower does. */
function transfer(
  snap: Snapshot,
  chunkSize: number,
  drop: (n: number) => boolean,
): { installed: Snapshot; messages: number } {
  const sender = new SnapshotSender(snap);
  const receiver = new SnapshotReceiver();
  for (let n = 0; n < 100_000; n++) {
    const c = sender.chunk(chunkSize);
    const msg: RaftMsg = {
      type: 'snapshot',
      term: 3,
      index: snap.index,
      snapTerm: snap.term,
      config: snap.config,
      round: 0,
      ...c,
    };
    assert.equal(
      raftMessageProblem(msg, ['n1', 'n2', 'n3']),
      undefined,
      'the message passes the peer schema',
    );
    if (drop(n)) continue; // lost: the heartbeat resends from where the follower is
    const got = receiver.take(msg as Extract<RaftMsg, { type: 'snapshot' }>);
    assert.ok(got === null || !('malformed' in got), 'well-formed chunks');
    if (got !== null) return { installed: got as Snapshot, messages: n + 1 };
    const at: Position = receiver.position;
    sender.answered(at);
  }
  throw new Error('the transfer never finished');
}

test('InstallSnapshot sends a many-part snapshot a part at a time, resuming where the follower is', () => {
  const parts = machineWithData(2048).snapshotParts();
  const snap: Snapshot = { index: 40, term: 2, config: { voters: ['n1'], learners: [] }, parts };
  const clean = transfer(snap, 700, () => false);
  assert.deepEqual(clean.installed.parts, JSON.parse(JSON.stringify(parts)));
  // Every fifth chunk lost: the same snapshot arrives, in more messages.
  const lossy = transfer(snap, 700, (n) => n % 5 === 3);
  assert.deepEqual(lossy.installed, clean.installed);
  assert.ok(lossy.messages > clean.messages);

  // A chunk claiming a part past the count is refused as malformed.
  const r = new SnapshotReceiver();
  const base = { term: 3, index: 40, snapTerm: 2, config: snap.config, chunk: '1', done: true };
  assert.equal(r.take({ ...base, offset: 0, part: 0, parts: 2 }), null);
  assert.ok('malformed' in (r.take({ ...base, offset: 0, part: 2, parts: 2 }) ?? {}));
  // A part that is no JSON is refused.
  const r2 = new SnapshotReceiver();
  assert.ok('malformed' in (r2.take({ ...base, chunk: '{', offset: 0 }) ?? {}));
  // Duplicated answers send nothing more (Sorcerer's Apprentice): only the expected one does.
  const s = new SnapshotSender(snap);
  const first = s.chunk(1_000_000);
  assert.equal(first.part, 0);
  assert.equal(first.done, true, 'a whole part fits in one chunk');
  assert.equal(s.answered({ part: 1, offset: 0 }), true);
  assert.equal(s.chunk(1_000_000).part, 1);
  assert.equal(s.answered({ part: 1, offset: 0 }), false, 'a duplicate of the previous answer');
});

test('sweep: lagging followers install many-part snapshots under all faults, linearizable', () => {
  const params = {
    'snapshot-every': '16',
    retain: '20',
    'chunk-size': '400',
    'snapshot-part-bytes': '300',
  };
  let multiPart = 0;
  let resps = 0;
  for (const [nemesis, seeds] of [
    ['all', 4],
    ['crash', 3],
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
      for (const e of session.sim.trace.events ?? []) {
        if (e.e !== 'send') continue;
        const msg = e.msg as Record<string, Json>;
        if (e.type === 'snapshot' && typeof msg.parts === 'number' && msg.parts > 1) multiPart++;
        if (e.type === 'snapshot-resp' && msg.installed === true) resps++;
      }
    }
  }
  assert.ok(multiPart > 50, `${multiPart} chunks of many-part snapshots were sent`);
  assert.ok(resps > 0, 'followers installed snapshots');
});
