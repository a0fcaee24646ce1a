/**
 * A server that joined and has not been added yet grants no vote. A member whose disk was wiped
 * comes back under its old name as such a server, with none of its old promises; a server whose
 * log predates that member's removal still counts it as a voter. Found by `sim kv-raft --swarm
 * --seed 221` (and seed 49): n5, its log from before n1's removal, was elected in term 26 with
 * the vote of the wiped n1 while n3 led term 26 ("election safety: n3 and n5 both leaders").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/core/node.js';
import { JOIN_KEY } from '../../../src/protocols/raft/raft-node.js';
import { Cluster } from './helpers.js';

/** A member wiped and back as a joining server, the leader cut off; the wiped server's grants. */
function wipedBack(mutant?: string) {
  const c = new Cluster({ nodes: 3, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = c.awaitLeader();
  c.write({ f: 'put', key: 'k', value: 'v' });
  const [stale, wiped] = c.ids.filter((id) => id !== leader) as [NodeId, NodeId];
  c.sim.crash(wiped);
  const disk = c.sim.disk(wiped);
  for (const k of disk.keys()) disk.delete(k);
  disk.truncateAfter(disk.firstIndex() - 1);
  disk.put(JOIN_KEY, true);
  c.sim.restart(wiped);
  const from = (c.sim.trace.events ?? []).length;
  // The stale voter is left with only the wiped server to ask: its configuration still names it.
  c.isolate([leader]);
  const granted = (): number =>
    (c.sim.trace.events ?? [])
      .slice(from)
      .filter(
        (e) =>
          e.e === 'send' &&
          e.from === wiped &&
          (e.type === 'vote-resp' || e.type === 'pre-vote-resp') &&
          (e.msg as { granted?: boolean }).granted === true,
      ).length;
  c.sim.runUntil(c.sim.now + 2000);
  return { c, stale, granted: granted() };
}

test('a wiped member back as a joining server grants no vote to a stale voter', () => {
  const { c, stale, granted } = wipedBack();
  assert.equal(granted, 0, 'the joining server granted a (pre-)vote');
  assert.ok(!c.leaders().includes(stale), `${stale} was elected by the wiped server's vote`);
  c.assertNoViolation();
});

test('mutant joining-votes: the wiped server grants the stale voter its vote', () => {
  assert.ok(wipedBack('joining-votes').granted > 0);
});
