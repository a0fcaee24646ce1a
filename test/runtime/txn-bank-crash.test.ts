/**
 * kill -9 under a transfer workload, on a real three-node cockroach cluster (processes, TCP on
 * loopback, fsynced write-ahead logs): four clients move money between eight accounts spread
 * over the three ranges in interactive transactions; mid-run the node leading range r1's Raft
 * group is killed with SIGKILL and later restarted from its log. The audit, one transaction
 * reading every account, finds the total unchanged and every acknowledged transfer in the
 * balances (the start plus the acknowledged transfers plus some of those whose commit answer
 * never came) — txn-bank.ts checks both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../src/core/json.js';
import {
  clusterDown,
  clusterEndpoints,
  clusterUp,
  killNode,
  restartNode,
} from '../../src/runtime/cluster.js';
import { fetchStatus, parseAddress } from '../../src/runtime/kv-client.js';
import { explain, runBank } from '../../src/cli/commands/txn-bank.js';
import { sleep, waitFor } from './wait-for.js';

/** The node whose replica of `range` is its Raft leader, by the nodes' own status. */
async function leaderOf(
  nodes: readonly { id: string; client: string }[],
  range: string,
): Promise<string | undefined> {
  for (const n of nodes) {
    const s = (await fetchStatus(parseAddress(n.client), 1000)) as Record<string, Json> | undefined;
    const view = s?.node as { ranges?: Record<string, { role?: Json }> } | undefined;
    if (view?.ranges?.[range]?.role === 'leader') return n.id;
  }
  return undefined;
}

test('kill -9 of a range leader under interactive transfers: the total is conserved, every acknowledged transfer is there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-bank-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const file = await clusterUp({ dir, nodes: 3, system: 'cockroach' });
  const nodes = file.nodes.filter((n) => n.spare !== true);
  await waitFor('a leader of r1', () => leaderOf(nodes, 'r1'), 15_000);
  let committed = 0;
  const bank = runBank({
    endpoints: clusterEndpoints(dir),
    accounts: 8,
    clients: 4,
    seconds: 12,
    onProgress: (n) => (committed = n),
  });
  // Mid-run: once transfers flow, kill r1's leader; restart it two seconds later.
  await waitFor('transfers committing', () => (committed >= 5 ? true : undefined), 20_000);
  const victim = await waitFor('a leader of r1', () => leaderOf(nodes, 'r1'), 10_000);
  const atKill = committed;
  assert.ok(await killNode(dir, victim), `${victim} was not running`);
  await sleep(2_000);
  await restartNode(dir, victim);
  const atRestart = committed;
  const r = await bank;
  t.diagnostic(
    `killed ${victim} (r1's leader) after ${atKill} transfers; ${atRestart} by its restart; ` +
      `${r.committed} in all (${r.perSecond.toFixed(1)}/s, p99 ${r.p99Ms.toFixed(0)} ms), ` +
      `${r.unknown.length} unknown; retries ${JSON.stringify(r.retries)}`,
  );
  assert.equal(r.violation, null);
  assert.equal(r.totalAfter, r.totalBefore);
  assert.equal(r.totalBefore, 8 * 1000);
  assert.ok(r.committed > atRestart, 'transfers went on after the restart');
});

test('the audit catches a lost acknowledged transfer and a moved total (its check can fail)', () => {
  const before = { a: 10, b: 10 };
  const acked = new Map([
    ['a', -3],
    ['b', 3],
  ]);
  const unknown = [{ from: 'b', to: 'a', amount: 2 }];
  assert.deepEqual(explain(before, { a: 7, b: 13 }, acked, unknown), []);
  assert.deepEqual(explain(before, { a: 9, b: 11 }, acked, unknown), unknown);
  // The acknowledged transfer is missing: nothing explains the balances.
  assert.equal(explain(before, { a: 10, b: 10 }, acked, unknown), null);
  assert.equal(explain(before, { a: 12, b: 8 }, acked, unknown), null);
});
