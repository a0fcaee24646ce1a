/**
 * Each Zab mutant driven into its failure by hand, and the same scenario run on the real Zab,
 * which must come through it without a violation: the scenario is the mutant's counterexample,
 * not a trap any Zab would fall into.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/core/node.js';
import { compareZxid, ZXID_ZERO } from '../../../src/protocols/zab/zxid.js';
import { ZabCluster } from './helpers.js';

const put = (key: string, value: string) => ({ f: 'put', key, value });

/**
 * A follower acks a proposal it has not synced; the leader commits on that ack and its own;
 * the follower crashes before its disk has the proposal, and so does the leader. The follower
 * and the third server, which never saw the proposal, elect a leader without it.
 */
function ackBeforeSync(mutant?: string): ZabCluster {
  // A slow disk: the follower's sync completes well after its early ack reaches the leader.
  const c = new ZabCluster({ nodes: 3, syncMs: 10, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = c.awaitLeader();
  const [a, b] = c.ids.filter((n) => n !== leader) as [NodeId, NodeId];
  c.isolate([b]);
  c.send(leader, put('x', 'lost?'));
  const committed = () => compareZxid(c.zab(leader).committed, ZXID_ZERO) > 0;
  assert.ok(c.until(committed), 'the leader commits the write');
  c.sim.crash(a);
  c.sim.crash(leader);
  c.sim.restart(a);
  c.sim.heal();
  c.awaitLeader(5000, [a, b]);
  c.sim.runUntil(c.sim.now + 200);
  return c;
}

/**
 * A follower holds a proposal of epoch 1 that never reached a quorum; epoch 2's leader, elected
 * without it, commits a write of its own and then meets the follower: TRUNC to (1,1) and DIFF.
 * A follower that ignores TRUNC keeps (1,2) and delivers it before epoch 2's write.
 */
function skipTruncate(mutant?: string): ZabCluster {
  const c = new ZabCluster({ nodes: 5, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = c.awaitLeader();
  assert.equal(c.call(leader, put('x', 'committed'))?.ok, true);
  c.sim.runUntil(c.sim.now + 20);
  const a = c.ids.find((n) => n !== leader) as NodeId;
  const rest = c.ids.filter((n) => n !== leader && n !== a);
  c.isolate([leader, a]);
  c.send(leader, put('x', 'never committed'));
  c.sim.runUntil(c.sim.now + 20);
  assert.equal(c.zab(a).history.length, 2, 'the follower holds the uncommitted proposal');
  c.sim.crash(leader);
  const next = c.awaitLeader(5000, rest);
  assert.equal(c.call(next, put('x', 'epoch 2'))?.ok, true);
  c.sim.heal();
  assert.ok(
    c.until(() => c.zab(a).phase === 'broadcast' && c.zab(a).state === 'following', 3000, 1),
    'the follower rejoins',
  );
  c.sim.runUntil(c.sim.now + 200);
  return c;
}

/** A leader cut off from every follower commits (and answers) a write on its own ack. */
function commitWithoutQuorum(mutant?: string): ZabCluster {
  const c = new ZabCluster({ nodes: 3, ...(mutant !== undefined ? { mutant } : {}) });
  const leader = c.awaitLeader();
  const others = c.ids.filter((n) => n !== leader);
  c.isolate([leader]);
  c.send(leader, put('x', 'alone'));
  c.sim.runUntil(c.sim.now + 20);
  c.awaitLeader(5000, others);
  c.sim.runUntil(c.sim.now + 200);
  return c;
}

/** How often the servers took a sync of this kind (DIFF, TRUNC, SNAP). */
const synced = (c: ZabCluster, mode: string) =>
  c.sim.metrics.get(`zab.synced.${mode}`)?.length ?? 0;

const SCENARIOS = [
  {
    mutant: 'ack-before-sync',
    run: ackBeforeSync,
    caught: /primary integrity|agreement/,
    // The acked write survived: the new leader holds it.
    real: (c: ZabCluster) => assert.ok(c.leaders().every((l) => c.zab(l).history.length >= 1)),
  },
  {
    mutant: 'skip-truncate',
    run: skipTruncate,
    caught: /primary integrity|agreement/,
    real: (c: ZabCluster) => assert.ok(synced(c, 'trunc') >= 1, 'the follower was sent a TRUNC'),
  },
  {
    mutant: 'commit-without-quorum',
    run: commitWithoutQuorum,
    caught: /primary integrity/,
    real: (c: ZabCluster) => assert.equal(c.leaders().length, 1),
  },
] as const;

for (const s of SCENARIOS) {
  test(`${s.mutant}: the scenario breaks the mutant`, () => {
    const c = s.run(s.mutant);
    assert.match(c.violation() ?? 'no violation', s.caught);
    console.log(`# ${s.mutant}: ${c.violation() ?? ''}`);
  });
  test(`${s.mutant}: the real Zab comes through the same scenario`, () => {
    const c = s.run();
    assert.equal(c.violation(), undefined);
    s.real(c);
  });
}
