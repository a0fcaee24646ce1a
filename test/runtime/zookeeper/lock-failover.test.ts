/**
 * Lock contention on a real 3-node zookeeper cluster while its leader is killed with SIGKILL:
 * four node-zookeeper-client sessions run the lock recipe (src/recipes/lock.ts) and, holding
 * the lock, act on a fenced resource (src/recipes/fencing.ts) and increment a counter znode with
 * a versioned setData. Judged: holders' intervals never overlap and accepted tokens never go
 * down; no versioned increment was refused (no interleaving); the counter holds every
 * acknowledged increment on every server after a sync; and a session connected to a surviving
 * follower keeps its ephemeral through the election.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { FencedResource, fencingViolation, StaleTokenError } from '../../../src/recipes/fencing.js';
import { ZkLock } from '../../../src/recipes/lock.js';
import { killNode } from '../../../src/runtime/cluster.js';
import { OpCode } from '../../../src/runtime/zookeeper/constants.js';
import { ZK_ERR, ZkError } from '../../../src/systems/coordination/zk-codes.js';
import { sleep, waitFor } from '../wait-for.js';
import { NzkRecipeClient, sessionIdOf } from './nzk-recipe-client.js';
import { RawSession } from './raw-session.js';
import { call, leaderOf, session, upZk, type Client } from './zk-cluster.js';

const CONTENDERS = 4;
const EPHEMERAL = 1;

interface Held {
  readonly contender: number;
  readonly token: number;
  readonly start: number;
  readonly end: number;
}

const lossy = (e: unknown): boolean =>
  e instanceof ZkError && (e.code === ZK_ERR.CONNECTIONLOSS || e.code === ZK_ERR.NONODE);

test('kill -9 of the leader under lock contention: one holder at a time, no lost increment, sessions survive', async (t) => {
  const c = await upZk(t, { params: { tick: '100' } });
  const leader = await leaderOf(c);
  const follower = c.file.nodes.find((n) => n.id !== leader)?.id ?? '';

  // A session on a follower that will survive the leader, with an ephemeral of its own.
  const survivor: Client = await session(`127.0.0.1:${c.zkPort(follower)}`);
  let survivorExpired = false;
  survivor.once('expired', () => (survivorExpired = true));
  t.after(() => survivor.close());
  await call((cb) => survivor.create('/survivor', Buffer.alloc(0), EPHEMERAL, cb));
  const survivorId = sessionIdOf(survivor);

  const clients: Client[] = [];
  for (let k = 0; k < CONTENDERS; k++) clients.push(await session(c.connectString));
  t.after(() => clients.forEach((cl) => cl.close()));
  const setup = new NzkRecipeClient(clients[0] as Client);
  await setup.create('/counter', Buffer.from('0').toString('base64'), 'persistent');

  const resource = new FencedResource<number>();
  const held: Held[] = [];
  let stale = 0;
  let acked = 0;
  let unknown = 0;
  let badVersion = 0;
  let stop = false;
  const times: { killedAt?: number; firstAfterKill?: number } = {};

  const contender = async (k: number): Promise<void> => {
    const zk = new NzkRecipeClient(clients[k] as Client);
    for (let round = 0; !stop; round++) {
      const guid = `c${k}r${round}x${Math.floor(Math.random() * 1e9)}`;
      const lock = new ZkLock(zk, '/lock', guid);
      let token: number;
      try {
        token = (await lock.acquire()).token;
      } catch (e) {
        if (!lossy(e)) throw e;
        await dropOwnNodes(zk, guid);
        continue;
      }
      const start = performance.now();
      if (times.killedAt !== undefined) times.firstAfterKill ??= start;
      try {
        resource.write(token, k);
        const { data, stat } = await zk.getData('/counter');
        const n = Number(Buffer.from(data, 'base64').toString());
        try {
          await zk.setData('/counter', Buffer.from(String(n + 1)).toString('base64'), stat.version);
          acked++;
        } catch (e) {
          if (e instanceof ZkError && e.code === ZK_ERR.BADVERSION) badVersion++;
          else if (e instanceof ZkError && e.code === ZK_ERR.CONNECTIONLOSS) unknown++;
          else throw e;
        }
      } catch (e) {
        if (e instanceof StaleTokenError) stale++;
        else if (!lossy(e)) throw e;
      }
      held.push({ contender: k, token, start, end: performance.now() });
      await dropOwnNodes(zk, guid);
    }
  };

  const load = Promise.all(Array.from({ length: CONTENDERS }, (_, k) => contender(k)));
  await sleep(1500);
  const before = held.length;
  await killNode(c.dir, leader);
  const killedAt = performance.now();
  times.killedAt = killedAt;
  const next = await leaderOf(c, 15_000);
  const electedMs = performance.now() - killedAt;
  const lockedAt = await waitFor(
    'a lock acquired after the kill',
    () => times.firstAfterKill,
    15_000,
  );
  // Past a whole session timeout (2 s at tick 100) after the kill.
  await sleep(Math.max(0, 2500 - (performance.now() - killedAt)));
  await sleep(500);
  stop = true;
  await load;
  t.diagnostic(
    `leader ${leader} killed; ${next} led after ${Math.round(electedMs)} ms; a lock was held ` +
      `again ${Math.round(lockedAt - killedAt)} ms after the kill; ${held.length} holds ` +
      `(${before} before the kill), ${acked} increments acked, ${unknown} unknown, ${stale} stale`,
  );

  // One holder at a time: intervals in token order never overlap, tokens only rise.
  const byStart = [...held].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i++) {
    const [a, b] = [byStart[i - 1] as Held, byStart[i] as Held];
    assert.ok(b.start >= a.end, `holders ${a.contender} and ${b.contender} overlapped`);
    assert.ok(b.token > a.token, `token ${b.token} held after ${a.token}`);
  }
  assert.equal(fencingViolation(resource.accepted), undefined);
  assert.equal(stale, 0, 'no holder acted with a stale token');
  assert.equal(badVersion, 0, 'no versioned increment was refused');
  assert.ok(held.length > before, 'the lock was acquired after the kill');

  // No acknowledged increment lost, on any surviving server.
  for (const n of c.file.nodes.filter((x) => x.id !== leader)) {
    const raw = await waitFor(`${n.id} serving`, () =>
      RawSession.open(c.zkPort(n.id)).catch(() => undefined),
    );
    try {
      assert.equal((await raw.call({ type: OpCode.sync, path: '/' })).err, 0);
      const r = await raw.call({ type: OpCode.getData, path: '/counter', watch: false });
      const value = r.result?.kind === 'data' ? Number(r.result.data.toString()) : NaN;
      assert.ok(
        value >= acked && value <= acked + unknown,
        `${n.id}: counter ${value}, ${acked} acked`,
      );
      const s = await raw.call({ type: OpCode.exists, path: '/survivor', watch: false });
      assert.equal(s.err, 0, `${n.id}: the survivor's ephemeral is gone`);
      const owner = s.result?.kind === 'stat' ? Number(s.result.stat.ephemeralOwner) : -1;
      assert.equal(owner, survivorId);
    } finally {
      raw.close();
    }
  }
  assert.equal(survivorExpired, false, "the survivor's session expired");
});

/** Deletes this contender's lock nodes (a held lock, or one left by a failed acquire). */
async function dropOwnNodes(zk: NzkRecipeClient, guid: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      for (const name of await zk.getChildren('/lock')) {
        if (name.startsWith(`_c_${guid}-`)) await zk.delete(`/lock/${name}`, -1);
      }
      return;
    } catch (e) {
      if (!lossy(e)) throw e;
      await sleep(50);
    }
  }
  throw new Error(`could not clear ${guid}'s lock nodes`);
}
