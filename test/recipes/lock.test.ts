import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalZooKeeper } from '../../src/recipes/local-zookeeper.js';
import { ZkLock } from '../../src/recipes/lock.js';
import { FencedResource, StaleTokenError, fencingViolation } from '../../src/recipes/fencing.js';
import { treeProblem } from '../../src/systems/coordination/tree-invariants.js';
import { ZK_ERR, ZkError } from '../../src/systems/coordination/zk-codes.js';

/** Lets every pending promise chain run to where it waits on something else. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const guid = (i: number): string => `guid${String(i).padStart(8, '0')}`;

test('lock: contenders never overlap, and each holder’s token is above the last', async () => {
  const zk = new LocalZooKeeper();
  let inside = 0;
  let maxInside = 0;
  const tokens: number[] = [];
  await Promise.all(
    Array.from({ length: 5 }, async (_, i) => {
      const client = await zk.connect();
      for (let round = 0; round < 3; round++) {
        const lock = new ZkLock(client, '/app/lock', guid(i * 10 + round));
        const h = await lock.acquire();
        inside++;
        maxInside = Math.max(maxInside, inside);
        tokens.push(h.token);
        await settle();
        inside--;
        await lock.release();
      }
    }),
  );
  assert.equal(maxInside, 1);
  assert.equal(tokens.length, 15);
  for (let i = 1; i < tokens.length; i++) assert.ok((tokens[i] ?? 0) > (tokens[i - 1] ?? 0));
  assert.deepEqual(zk.server.state.node('/app/lock')?.stat.numChildren, 0);
  assert.equal(treeProblem(zk.server.state), undefined);
});

test('lock: a release wakes one waiter, not the herd', async () => {
  const zk = new LocalZooKeeper();
  const clients = await Promise.all(Array.from({ length: 10 }, () => zk.connect()));
  const locks = clients.map((c, i) => new ZkLock(c, '/herd', guid(i)));
  const first = await locks[0]?.acquire();
  assert.ok(first);
  const acquired: number[] = [];
  const waiting = locks.slice(1).map((l, i) => l.acquire().then(() => acquired.push(i + 1)));
  await settle();
  const before = zk.notifications;
  await locks[0]?.release();
  await settle();
  assert.equal(zk.notifications - before, 1, 'one notification for one release');
  assert.deepEqual(acquired, [1]);
  for (let i = 1; i < locks.length; i++) {
    await locks[i]?.release();
    await settle();
  }
  await Promise.all(waiting);
  assert.equal(acquired.length, 9);
});

test('lock + fencing: a holder paused past its session timeout is refused by the resource; ignore-fencing lets it act', async () => {
  for (const mutant of [undefined, 'ignore-fencing'] as const) {
    const zk = new LocalZooKeeper(100);
    const a = await zk.connect(1000);
    const b = await zk.connect(1000);
    const resource = new FencedResource<string>(mutant);
    const lockA = new ZkLock(a, '/res/lock', guid(1));
    const lockB = new ZkLock(b, '/res/lock', guid(2));
    const ha = await lockA.acquire();
    resource.write(ha.token, 'a1');
    let bHolds = false;
    const bAcquire = lockB.acquire().then((h) => {
      bHolds = true;
      return h;
    });
    await settle();
    assert.equal(bHolds, false);
    a.paused = true; // a GC pause: no pings
    for (let t = 0; t < 12; t++) zk.advance(100);
    await settle();
    assert.equal(a.expired, true);
    assert.equal(bHolds, true, 'the expiry removed a’s node and woke b');
    const hb = await bAcquire;
    assert.ok(hb.token > ha.token);
    resource.write(hb.token, 'b1');
    a.paused = false; // a wakes, still believing it holds the lock
    if (mutant === undefined) {
      assert.throws(() => resource.write(ha.token, 'a2'), StaleTokenError);
      assert.equal(fencingViolation(resource.accepted), undefined);
    } else {
      resource.write(ha.token, 'a2');
      assert.match(fencingViolation(resource.accepted) ?? '', /after token/, 'mutant not caught');
    }
  }
});

test('lock: create-then-crash (reply lost after the create) finds its own node by guid; no-guid deadlocks on its orphan', async () => {
  for (const mutant of [undefined, 'no-guid'] as const) {
    const zk = new LocalZooKeeper();
    const a = await zk.connect();
    const b = await zk.connect();
    const lockA = new ZkLock(a, '/cc/lock', guid(1), mutant);
    a.loseNextReplies(1, (op) => op.type === 'create' && op.mode === 'ephemeralSequential');
    let aHolds = false;
    const aAcquire = lockA.acquire().then(() => (aHolds = true));
    await settle();
    const nodes = [...(zk.server.state.node('/cc/lock')?.children ?? [])];
    if (mutant === undefined) {
      assert.equal(aHolds, true);
      assert.equal(nodes.length, 1, 'one node, found again after the lost reply');
      await lockA.release();
      const hb = await new ZkLock(b, '/cc/lock', guid(2)).acquire();
      assert.ok(hb.token > 0, 'b gets the lock after a releases');
      await aAcquire;
    } else {
      assert.equal(aHolds, false, 'mutant not caught: a acquired behind its own orphan');
      assert.equal(nodes.length, 2);
      zk.expire(a); // only the session's end clears the orphan, and a's wait ends with it
      await assert.rejects(
        aAcquire,
        (e) => e instanceof ZkError && e.code === ZK_ERR.SESSIONEXPIRED,
      );
      assert.equal(zk.server.state.node('/cc/lock')?.stat.numChildren, 0);
    }
  }
});
