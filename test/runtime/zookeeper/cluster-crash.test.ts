/**
 * Durability on a real 3-node zookeeper cluster: every node killed with SIGKILL at once while
 * node-zookeeper-client writes, then all restarted from their write-ahead logs; every
 * acknowledged create is on every server after a sync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killNode, restartNode } from '../../../src/runtime/cluster.js';
import { sleep, waitFor } from '../wait-for.js';
import { RawSession } from './raw-session.js';
import { call, isConnectionLoss, leaderOf, session, upZk } from './zk-cluster.js';

test('acknowledged creates survive a kill -9 of every node', async (t) => {
  const c = await upZk(t, { params: { tick: '100' } });
  await leaderOf(c);
  const cl = await session(c.connectString);
  t.after(() => cl.close());
  await call((cb) => cl.create('/d', Buffer.alloc(0), 0, cb));
  const acked: string[] = [];
  let stop = false;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const path = `/d/w${w}-${i}`;
      try {
        await call((cb) => cl.create(path, Buffer.alloc(0), 0, cb));
        acked.push(path);
      } catch (e) {
        // The cluster is gone: the outcome is unknown, and the writer stops.
        if (!isConnectionLoss(e)) throw e;
        return;
      }
    }
  };
  const load = Promise.all([writer(1), writer(2), writer(3), writer(4)]);
  await sleep(1000);
  await Promise.all(c.file.nodes.map((n) => killNode(c.dir, n.id)));
  stop = true;
  cl.close();
  // A request the client still holds may never be answered now; the writers are done anyway.
  await Promise.race([load, sleep(5000)]);
  for (const n of c.file.nodes) await restartNode(c.dir, n.id);
  t.diagnostic(`${acked.length} creates acknowledged before every node was killed`);
  assert.ok(acked.length > 0);
  for (const n of c.file.nodes) {
    const raw = await waitFor(
      `${n.id} serving`,
      () => RawSession.open(c.zkPort(n.id)).catch(() => undefined),
      15_000,
    );
    try {
      const children = new Set(await raw.syncedChildren('/d'));
      const missing = acked.filter((p) => !children.has(p.slice('/d/'.length)));
      assert.deepEqual(missing, [], `${n.id} lost acknowledged creates`);
    } finally {
      raw.close();
    }
  }
});
