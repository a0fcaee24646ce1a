/**
 * Routing with retries on stale routes. On five nodes each range has three replicas, so a node
 * outside a range's replicas never applies its split: it keeps routing by the whole range until
 * the range answers range-key-mismatch, then learns the halves from that answer (or from the meta
 * range) and sends the request again. The run stays serializable, and such a node ends with the
 * split halves in its own cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId, ProtocolNode } from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { cockroachSystem } from '../../../src/systems/txndb/txndb.js';
import { TxnDbNode } from '../../../src/systems/txndb/txndb-node.js';

test('routing: nodes outside a range learn its split from range-key-mismatch answers and retry', () => {
  let nodes: ReadonlyMap<NodeId, ProtocolNode> = new Map();
  const system: SystemDefinition = {
    ...cockroachSystem,
    checkInvariants: (ns) => {
      nodes = ns;
      return cockroachSystem.checkInvariants?.(ns);
    },
  };
  const r = runChecked({ system, seed: 1, nodes: 5, workload: { ops: 150 } });
  assert.equal(r.verdict, 'valid', r.judgement?.message);
  assert.ok((r.metrics['txndb.range-key-mismatch']?.count ?? 0) > 0, 'no stale route met');
  const n4 = nodes.get('n4');
  assert.ok(n4 instanceof TxnDbNode);
  // r1 lives on n1, n2, n3: n4 knows of its split only from what it was answered.
  assert.deepEqual(n4.host.groups().includes('r1'), false);
  const known = n4.directory.all().map((d) => d.id);
  assert.ok(
    known.some((id) => id.startsWith('r1.')),
    `n4's cache: ${known.join(' ')}`,
  );
});
