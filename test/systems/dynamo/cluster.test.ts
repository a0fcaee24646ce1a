/**
 * The seed's cart over real processes: three dynamo nodes on loopback whose peer links go
 * through partition proxies (src/runtime/chaos/partition-proxy.ts). n1 is cut off; a client adds
 * Book at n1 and another Pen at n2, both acknowledged by their own side; after the heal,
 * anti-entropy brings both to every replica, a read at n3 returns the two siblings, and the
 * client's merge written over their context is what every node then returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../../src/core/json.js';
import { clusterDown, clusterEndpoints, clusterUp } from '../../../src/runtime/cluster.js';
import { KvClient, parseAddress, type KvOutcome } from '../../../src/runtime/kv-client.js';
import { PartitionProxies } from '../../../src/runtime/chaos/partition-proxy.js';
import { until } from '../../support/wait.js';

const PARAMS = { n: '3', r: '2', w: '1', sloppy: 'off', 'ae-ms': '100' };

function ok(o: KvOutcome): Json {
  assert.equal(o.outcome, 'ok', JSON.stringify(o));
  return o.outcome === 'ok' ? o.value : null;
}

const values = (v: Json): string[] =>
  [...((v as { values?: string[] } | null)?.values ?? [])].sort();

test('real cluster: a cart written on both sides of a partition comes back as two siblings and merges', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-dynamo-'));
  const ids = ['n1', 'n2', 'n3'];
  const proxies = await PartitionProxies.start({ ids });
  const clients: KvClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await clusterDown(dir).catch(() => {});
    proxies.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const c = await clusterUp({
    dir,
    nodes: 3,
    system: 'dynamo',
    params: PARAMS,
    dial: proxies.dial(),
  });
  proxies.setUpstreams(new Map(c.nodes.map((n) => [n.id, parseAddress(n.peer)])));
  const at = new Map(
    clusterEndpoints(dir).map((e) => {
      const k = new KvClient({ endpoints: [e], deadlineMs: 3000 });
      clients.push(k);
      return [e.id as string, k];
    }),
  );
  const client = (id: string): KvClient => at.get(id) as KvClient;

  proxies.partition(['n1']);
  ok(await client('n1').call({ f: 'put', key: 'cart', value: 'Book' }));
  ok(await client('n2').call({ f: 'put', key: 'cart', value: 'Pen' }));
  // Each side holds its own addition only; n1 alone cannot gather R = 2 replies at all.
  assert.deepEqual(values(ok(await client('n2').call({ f: 'get', key: 'cart' }))), ['Pen']);
  assert.notEqual((await client('n1').call({ f: 'get', key: 'cart' })).outcome, 'ok');

  proxies.heal();
  let read: Json = null;
  await until(
    async () => {
      read = ok(await client('n3').call({ f: 'get', key: 'cart' }));
      return values(read).length === 2;
    },
    { what: 'both siblings at n3 after the heal' },
  );
  assert.deepEqual(values(read), ['Book', 'Pen']);
  const ctx = (read as unknown as { ctx: Json }).ctx;
  ok(await client('n3').call({ f: 'put', key: 'cart', value: 'Book Pen', ctx }));
  for (const id of ids) {
    await until(
      async () => {
        const v = values(ok(await client(id).call({ f: 'get', key: 'cart' })));
        return v.length === 1 && v[0] === 'Book Pen';
      },
      { what: `the merged cart alone at ${id}` },
    );
  }
});
