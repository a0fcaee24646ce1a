import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32 } from '../../src/core/random.js';
import { LocalZooKeeper, type LocalClient } from '../../src/recipes/local-zookeeper.js';
import { ZkLock } from '../../src/recipes/lock.js';
import {
  FencedResource,
  StaleTokenError,
  fencingViolation,
  type FencingMutant,
} from '../../src/recipes/fencing.js';
import { ZkError } from '../../src/systems/coordination/zk-codes.js';
import { treeProblem } from '../../src/systems/coordination/tree-invariants.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Four contenders loop acquire → act → act → release while a seeded driver pauses them (no
 * pings, and a paused holder does not run: a GC pause), loses their write replies and moves the
 * clock so paused sessions expire. Contenders whose session ended reconnect.
 */
async function run(seed: number, mutant?: FencingMutant) {
  const rng = new Sfc32(seed, 'lock-faults');
  const zk = new LocalZooKeeper(50);
  const resource = new FencedResource<string>(mutant);
  let refused = 0;
  let stop = false;
  const clients: LocalClient[] = [];
  const act = async (c: LocalClient, token: number, what: string): Promise<void> => {
    while (c.paused) await tick();
    try {
      resource.write(token, what);
    } catch (e) {
      if (!(e instanceof StaleTokenError)) throw e;
      refused++;
    }
  };
  const contender = async (i: number): Promise<void> => {
    let client = await zk.connect(300);
    clients[i] = client;
    for (let round = 0; !stop; round++) {
      if (client.expired) clients[i] = client = await zk.connect(300);
      const lock = new ZkLock(client, '/L', `g${i}r${String(round).padStart(8, '0')}`);
      try {
        const h = await lock.acquire();
        await act(client, h.token, `${i}.${round}a`);
        await tick();
        await act(client, h.token, `${i}.${round}b`);
        await lock.release();
      } catch (e) {
        if (!(e instanceof ZkError)) throw e; // lost reply, expired session, node gone
      }
    }
  };
  const all = [0, 1, 2, 3].map((i) => contender(i));
  for (let step = 0; step < 300; step++) {
    await tick();
    const c = clients[rng.int(4)];
    const k = rng.int(20);
    if (c !== undefined && k === 0) c.paused = true;
    if (c !== undefined && k === 1) c.paused = false;
    if (c !== undefined && k === 2) c.loseNextReplies(1);
    zk.advance(rng.int(60));
    assert.equal(treeProblem(zk.server.state), undefined);
  }
  for (const c of clients) c.paused = false;
  stop = true;
  for (let i = 0; i < 40; i++) zk.advance(100);
  await Promise.all(all);
  return { accepted: resource.accepted, refused };
}

test('lock under pauses, lost replies and expiries: accepted tokens never go down; ignore-fencing is caught', async (t) => {
  let refusedTotal = 0;
  let acts = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const { accepted, refused } = await run(seed);
    assert.equal(fencingViolation(accepted), undefined, `seed ${seed}`);
    refusedTotal += refused;
    acts += accepted.length;
  }
  assert.ok(acts > 50, `the contenders acted (${acts})`);
  assert.ok(
    refusedTotal > 0,
    'some paused holder was refused: the runs reached the dangerous case',
  );
  let caught = 0;
  for (let seed = 1; seed <= 6; seed++) {
    if (fencingViolation((await run(seed, 'ignore-fencing')).accepted) !== undefined) caught++;
  }
  assert.ok(caught > 0, 'ignore-fencing not caught');
  t.diagnostic(
    `6 seeds: ${acts} acts accepted, ${refusedTotal} stale ones refused; ignore-fencing caught in ${caught}/6`,
  );
});
