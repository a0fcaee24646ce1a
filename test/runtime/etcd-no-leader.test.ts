/**
 * The no-leader rule on its own (src/runtime/etcd/no-leader.ts): a stream that requires a
 * leader is refused without one, and ended only after MAX_NO_LEADER_CHECKS checks in a row find
 * none; a leader seen in between starts the count again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import {
  LeaderMonitor,
  MAX_NO_LEADER_CHECKS,
  requiresLeader,
} from '../../src/runtime/etcd/no-leader.js';
import type { EtcdFault } from '../../src/runtime/etcd/codec.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `done` (or 5 s: a monitor that stopped checking must fail the test, not hang it). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done() && Date.now() < deadline) await sleep(5);
}

test('hasleader metadata is what asks for a leader', () => {
  const m = new Metadata();
  assert.equal(requiresLeader(m), false);
  m.set('hasleader', 'true');
  assert.equal(requiresLeader(m), true);
});

test('refused at once without a leader; ended after three leaderless checks in a row', async () => {
  let leader = false;
  const checks = { n: 0 };
  const monitor = new LeaderMonitor({
    hasLeader: () => {
      checks.n++;
      return leader;
    },
    checkMs: 100,
  });
  const refused = monitor.register({}, () => assert.fail('a refused stream is not registered'));
  assert.equal(refused?.code, status.UNAVAILABLE);
  assert.equal(refused?.message, 'etcdserver: no leader');

  leader = true;
  let ended: EtcdFault | null = null;
  assert.equal(
    monitor.register({}, (f) => (ended = f)),
    null,
  );
  leader = false;
  checks.n = 0;
  // Fewer leaderless checks than the limit: still open; then a leader resets the count.
  await until(() => checks.n >= MAX_NO_LEADER_CHECKS - 1);
  assert.equal(ended, null, 'ended before three checks');
  leader = true;
  const seen = checks.n;
  await until(() => checks.n >= seen + 1);
  leader = false;
  checks.n = 0;
  await until(() => checks.n >= MAX_NO_LEADER_CHECKS - 1);
  assert.equal(ended, null, 'a leader in between starts the count again');
  await until(() => ended !== null);
  assert.equal((ended as EtcdFault | null)?.message, 'etcdserver: no leader');
  assert.equal(monitor.canceled, 1);
  monitor.close();
});
