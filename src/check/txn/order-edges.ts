/**
 * Edges from the history's own order, for the models that promise it: real-time order (a
 * transaction that completed before another was invoked precedes it) and per-process order.
 * Failed transactions are not in the graph; an unknown one may take effect at any time after
 * its invocation, so nothing is ordered after it.
 */
import type { DepGraph } from './dep-graph.js';
import { PROCESS, REALTIME } from './dep-graph.js';
import type { Txn } from './txn-history.js';

/**
 * Real-time edges, transitively reduced as Elle does: a "frontier" holds the completed
 * transactions not yet known to precede another completed one. An invocation gets an edge from
 * each member; a completion replaces in the frontier the members its transaction had edges
 * from (they now reach later transactions through it). Members pairwise overlap in time, so
 * the frontier never holds more transactions than ran at once: O(n · concurrency) edges.
 * Equal timestamps are concurrent: at one instant invocations are taken before completions.
 */
export function addRealtimeEdges(txns: readonly Txn[], graph: DepGraph): void {
  // Event i < n is txn i's invocation, n + i its completion.
  const n = txns.length;
  const events: number[] = [];
  const timeOf = (e: number): number => {
    const op = (txns[e < n ? e : e - n] as Txn).op;
    return e < n ? op.invoke : op.complete;
  };
  for (const txn of txns) {
    if (txn.op.outcome === 'fail') continue;
    events.push(txn.index);
    if (txn.op.outcome === 'ok') events.push(n + txn.index);
  }
  events.sort((a, b) => timeOf(a) - timeOf(b) || a - b);
  graph.explainKind(REALTIME, (from, to) => {
    const [a, b] = [(txns[from] as Txn).op, (txns[to] as Txn).op];
    return {
      why: `op ${a.id} completed at ${a.complete} before op ${b.id} was invoked at ${b.invoke}`,
    };
  });
  const frontier = new Set<Txn>();
  const preds = new Map<Txn, Txn[]>();
  for (const e of events) {
    const txn = txns[e < n ? e : e - n] as Txn;
    if (e < n) {
      for (const p of frontier) graph.add(p.index, txn.index, REALTIME);
      if (txn.op.outcome === 'ok') preds.set(txn, [...frontier]);
    } else {
      for (const p of preds.get(txn) ?? []) frontier.delete(p);
      preds.delete(txn);
      frontier.add(txn);
    }
  }
}

/** Each process's transactions in invocation order, from each completed one to the next. */
export function addProcessEdges(txns: readonly Txn[], graph: DepGraph): void {
  graph.explainKind(PROCESS, (from, to) => {
    const [a, b] = [(txns[from] as Txn).op, (txns[to] as Txn).op];
    return { why: `process ${a.process} ran op ${a.id} and then op ${b.id}` };
  });
  const byProcess = new Map<number, Txn[]>();
  for (const txn of txns) {
    if (txn.op.outcome === 'fail') continue;
    let list = byProcess.get(txn.op.process);
    if (!list) byProcess.set(txn.op.process, (list = []));
    list.push(txn);
  }
  for (const list of byProcess.values()) {
    list.sort((a, b) => a.op.invoke - b.op.invoke || a.index - b.index);
    let lastOk: Txn | undefined;
    for (const txn of list) {
      const p = lastOk;
      if (p) graph.add(p.index, txn.index, PROCESS);
      if (txn.op.outcome === 'ok') lastOk = txn;
    }
  }
}
