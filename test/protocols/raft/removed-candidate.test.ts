/**
 * A server whose log ends with an uncommitted configuration that removes it must still campaign
 * (dissertation §4.2.2): until that entry commits, the cluster may need it, and its log may be
 * the only one the others' votes allow to win. Found by `sim kv-raft --swarm --seed 30 --ops
 * 1000`: the leader n3 logged its own removal, lost its quorum before replicating it, then
 * refused every vote (its log was longer) and never ran itself — no leader for the last 90 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/core/node.js';
import { Cluster } from './helpers.js';

/**
 * Four voters, one down for good (a dead disk). The leader is asked to remove itself, which the
 * three live voters allow, while it is cut off: the removal is in its log alone. After check-quorum
 * deposes it the partition heals, with nothing else left to change.
 */
function removalStrandedOnDeposedLeader(): { c: Cluster; leader: NodeId; others: NodeId[] } {
  const c = new Cluster({ nodes: 4 });
  const leader = c.awaitLeader();
  c.write({ f: 'put', key: 'k', value: 'before' });
  const dead = c.ids.find((id) => id !== leader) as NodeId;
  c.sim.crash(dead);
  c.sim.runUntil(c.sim.now + 400);
  c.isolate([leader]);
  // The reply never comes (the entry cannot commit while cut off): only the append matters.
  c.call(leader, { f: 'remove-server', node: leader }, 5);
  assert.ok(
    !c.raft(leader).config.voters.includes(leader),
    'the leader logged its own removal (the active voters left are a majority of the rest)',
  );
  c.sim.runUntil(c.sim.now + 1000);
  assert.notEqual(c.raft(leader).role, 'leader', 'check-quorum deposed it');
  c.sim.heal();
  const others = c.ids.filter((id) => id !== leader && id !== dead);
  return { c, leader, others };
}

test('a server removed by an uncommitted entry campaigns until the removal commits', () => {
  const { c, leader, others } = removalStrandedOnDeposedLeader();
  // Without the rule the live voters lack the removal and the removed server holds the only
  // log they would vote for: nobody can win, and the cluster never commits again.
  c.sim.runUntil(c.sim.now + 3000);
  const now = c.awaitLeader(3000, others);
  assert.deepEqual(c.raft(now).config.voters.includes(leader), false, 'the removal committed');
  assert.equal(c.write({ f: 'get', key: 'k' }), 'before');
  c.write({ f: 'put', key: 'k', value: 'after' });
  assert.ok(!c.leaders().includes(leader), 'the removed server leads nothing');
  c.assertNoViolation();
});
