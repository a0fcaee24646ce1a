import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalZooKeeper } from '../../src/recipes/local-zookeeper.js';
import { LeaderElection } from '../../src/recipes/leader-election.js';
import { DoubleBarrier } from '../../src/recipes/barrier.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('leader election: the first candidate leads; resignation and session expiry hand over in order', async () => {
  const zk = new LocalZooKeeper(100);
  const clients = await Promise.all([zk.connect(1000), zk.connect(1000), zk.connect(1000)]);
  const cands = clients.map(
    (c, i) => new LeaderElection(c, '/svc/election', b64(`n${i}`), `cand000${i}`),
  );
  const leading: number[] = [];
  const terms: number[] = [];
  const won = cands.map((c, i) =>
    c.campaign().then((t) => {
      leading.push(i);
      terms.push(t);
    }),
  );
  await settle();
  assert.deepEqual(leading, [0]);
  assert.equal(await cands[2]?.leader(), b64('n0'));
  await cands[0]?.resign();
  await settle();
  assert.deepEqual(leading, [0, 1]);
  const c1 = clients[1];
  assert.ok(c1);
  c1.paused = true;
  for (let i = 0; i < 12; i++) zk.advance(100);
  await settle();
  assert.deepEqual(leading, [0, 1, 2], 'the leader’s expiry elects the next');
  assert.ok((terms[2] ?? 0) > (terms[1] ?? 0) && (terms[1] ?? 0) > (terms[0] ?? 0));
  assert.equal(await cands[2]?.leader(), b64('n2'));
  await Promise.all(won);
});

test('double barrier: no one passes enter until all have entered, nor leave until all have left', async () => {
  const zk = new LocalZooKeeper();
  const clients = await Promise.all([zk.connect(), zk.connect(), zk.connect()]);
  const barriers = clients.map((c, i) => new DoubleBarrier(c, '/b1', `p${i}`, 3));
  const passed: number[] = [];
  const entering = barriers.slice(0, 2).map((b, i) => b.enter().then(() => passed.push(i)));
  await settle();
  assert.deepEqual(passed, [], 'two of three entered: nobody passes');
  await barriers[2]?.enter();
  await Promise.all(entering);
  await settle();
  assert.equal(passed.length, 2);
  const left: number[] = [];
  const leaving = barriers.slice(0, 2).map((b, i) => b.leave().then(() => left.push(i)));
  await settle();
  assert.deepEqual(left, [], 'one participant still inside: nobody leaves');
  await barriers[2]?.leave();
  await Promise.all(leaving);
  assert.deepEqual(zk.server.state.node('/b1')?.stat.numChildren, 0);
});
