/**
 * A follower never lets an append overwrite an entry it has committed (Leader Completeness,
 * §3.6.3, makes such an append impossible from an honest leader): follower-append.ts stops with
 * RaftInvariantError append-keeps-committed rather than truncate it, and truncates a conflicting
 * uncommitted suffix as Raft says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import { FollowerAppends } from '../../../src/protocols/raft/follower-append.js';
import type { Entry, RaftMsg } from '../../../src/protocols/raft/messages.js';
import { RaftInvariantError } from '../../../src/protocols/raft/raft-assert.js';
import { RaftLog } from '../../../src/protocols/raft/raft-log.js';
import { SimDisk } from '../../../src/sim/disk.js';

const noop = (term: number): Entry => ({ term, kind: 'noop' });

/** A follower whose log holds three entries of term 1, committed through `commit`. */
function follower(commit: number) {
  const disk = new SimDisk({
    scheduleSync: (_w, done) => done(),
    scheduleFileWrite: (_p, done) => done(),
  });
  const log = new RaftLog(disk);
  log.load();
  log.append([noop(1), noop(1), noop(1)]);
  const sent: RaftMsg[] = [];
  // Only what FollowerAppends touches: its id, its disk, and sending.
  const env = {
    id: 'n2',
    storage: disk,
    send: (_to: string, m: RaftMsg) => sent.push(m),
  } as unknown as NodeEnv<RaftMsg>;
  const appends = new FollowerAppends({
    env,
    log,
    term: () => 2,
    commit: () => commit,
    heardFromLeader: () => {},
    durable: (then) => then(),
    durableForAck: (then) => then(),
    advanceCommit: () => {},
    configChanged: () => {},
  });
  return { log, sent, appends };
}

/** Term 2's leader replaces entries 2 and 3 with one entry of its own term. */
const conflicting: Extract<RaftMsg, { type: 'append' }> = {
  type: 'append',
  term: 2,
  prevIndex: 1,
  prevTerm: 1,
  entries: [noop(2)],
  commit: 0,
  round: 0,
};

test('an append conflicting with a committed entry throws append-keeps-committed', () => {
  const { log, sent, appends } = follower(2);
  assert.throws(
    () => appends.onAppend('n1', conflicting),
    (e: unknown) => e instanceof RaftInvariantError && e.code === 'append-keeps-committed',
  );
  assert.equal(log.term(2), 1, 'the committed entry is still there');
  assert.deepEqual(sent, []);
});

test('an append conflicting with uncommitted entries truncates them and is acknowledged', () => {
  const { log, sent, appends } = follower(1);
  appends.onAppend('n1', conflicting);
  assert.equal(log.lastIndex(), 2);
  assert.equal(log.term(2), 2);
  assert.equal(sent.length, 1);
  assert.deepEqual(
    { type: sent[0]?.type, success: (sent[0] as { success?: boolean }).success },
    { type: 'append-resp', success: true },
  );
});
