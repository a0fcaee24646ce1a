/** Real-time edges are transitively reduced; what they order must be exactly real-time order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DepGraph, PROCESS, REALTIME } from '../../../src/check/txn/dep-graph.js';
import { addProcessEdges, addRealtimeEdges } from '../../../src/check/txn/order-edges.js';
import { toTxns } from '../../../src/check/txn/txn-history.js';
import { streamFor } from '../../../src/core/random.js';
import type { HistoryOp, Outcome } from '../../../src/core/history.js';

function randomHistory(seed: number, n: number): HistoryOp[] {
  const rng = streamFor(seed, 'test:realtime');
  const outcomes: Outcome[] = ['ok', 'ok', 'ok', 'ok', 'fail', 'unknown'];
  return Array.from({ length: n }, (_, id) => {
    const invoke = rng.int(60);
    const outcome = rng.pick(outcomes);
    return {
      id,
      process: rng.int(4),
      f: 'txn',
      value: [['append', 'x', id]],
      invoke,
      complete: invoke + rng.int(15),
      outcome,
      ...(outcome === 'ok' ? { result: [['append', 'x', id]] } : {}),
    };
  });
}

function reachable(g: DepGraph, from: number, mask: number): Set<number> {
  const seen = new Set<number>();
  const todo = [from];
  while (todo.length > 0) {
    const v = todo.pop() as number;
    for (const e of g.out[v] as number[]) {
      const w = g.to[e] as number;
      if (((g.kinds[e] as number) & mask) !== 0 && !seen.has(w)) {
        seen.add(w);
        todo.push(w);
      }
    }
  }
  return seen;
}

test('the reduced real-time edges reach exactly the real-time successors', () => {
  let edges = 0;
  let pairs = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const ops = randomHistory(seed, 40);
    const txns = toTxns(ops, 'list-append');
    const g = new DepGraph(txns.length);
    addRealtimeEdges(txns, g);
    edges += g.edgeCount;
    for (const a of ops) {
      const reach = reachable(g, a.id, REALTIME);
      for (const b of ops) {
        const before =
          a.outcome === 'ok' && b.outcome !== 'fail' && a.complete < b.invoke && a.id !== b.id;
        if (before) pairs++;
        assert.equal(reach.has(b.id), before, `seed ${seed}: ${a.id} → ${b.id}`);
      }
    }
  }
  assert.ok(edges < pairs / 2, `${edges} edges for ${pairs} ordered pairs: not reduced`);
});

test('process edges: each client in order, nothing after an unknown, failures skipped', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const ops = randomHistory(seed, 30).map((op) => ({ ...op, complete: op.invoke }));
    const txns = toTxns(ops, 'list-append');
    const g = new DepGraph(txns.length);
    addProcessEdges(txns, g);
    for (const a of ops) {
      const reach = reachable(g, a.id, PROCESS);
      for (const b of ops) {
        const before =
          a.outcome === 'ok' &&
          b.outcome !== 'fail' &&
          a.process === b.process &&
          (a.invoke < b.invoke || (a.invoke === b.invoke && a.id < b.id));
        assert.equal(reach.has(b.id), before, `seed ${seed}: ${a.id} → ${b.id}`);
      }
    }
  }
});
