/**
 * checkTransactions: Elle's transactional checker. Infers the dependency graph of a
 * list-append or rw-register history, finds the anomalies (cycles and the non-cycle ones),
 * and judges the history against a consistency model.
 */
import type { HistoryOp } from '../../core/history.js';
import {
  CONSISTENCY_MODELS,
  orderEdgesFor,
  ruledOutBy,
  type AnomalyEvidence,
  type AnomalyType,
  type ConsistencyModel,
} from './anomalies.js';
import { findCycles } from './cycles.js';
import { DepGraph, PROCESS, REALTIME } from './dep-graph.js';
import { Findings } from './findings.js';
import { inferListAppend } from './list-append.js';
import { addProcessEdges, addRealtimeEdges } from './order-edges.js';
import { inferRwRegister } from './rw-register.js';
import { toTxns, type TxnWorkload } from './txn-history.js';

export interface TxnCheckOptions {
  readonly workload: TxnWorkload;
  /** Default `serializable`. */
  readonly consistencyModel?: ConsistencyModel;
  /** Edge visits the cycle search may spend in cyclic components before giving up
   * (the verdict is then `unknown` unless something already rules the model out). */
  readonly maxWork?: number;
}

export interface TxnCheckResult {
  readonly verdict: 'valid' | 'invalid' | 'unknown';
  readonly workload: TxnWorkload;
  readonly consistencyModel: ConsistencyModel;
  readonly ops: number;
  readonly outcomes: { readonly ok: number; readonly fail: number; readonly unknown: number };
  /** Dependency-graph edges (pairs of transactions), order edges included. */
  readonly edges: number;
  readonly wallMs: number;
  /** Every anomaly type found, in a fixed order. */
  readonly anomalyTypes: readonly AnomalyType[];
  /** How many of each: instances for non-cycle types, cyclic components for cycle types. */
  readonly counts: Readonly<Partial<Record<AnomalyType, number>>>;
  /** The smallest cycle of each cycle type; the first few instances of the others. */
  readonly anomalies: readonly AnomalyEvidence[];
  /** The consistency models the anomalies found rule out. */
  readonly ruledOut: readonly ConsistencyModel[];
  /** The cycle search ran out of `maxWork`. */
  readonly truncated?: true;
}

export const DEFAULT_MAX_WORK = 50_000_000;

export function checkTransactions(
  ops: readonly HistoryOp[],
  options: TxnCheckOptions,
): TxnCheckResult {
  const started = performance.now();
  const model = options.consistencyModel ?? 'serializable';
  if (!CONSISTENCY_MODELS.includes(model))
    throw new RangeError(`unknown consistency model ${JSON.stringify(model)}`);
  const txns = toTxns(ops, options.workload);
  const graph = new DepGraph(txns.length);
  const findings = new Findings();
  if (options.workload === 'list-append') inferListAppend(txns, graph, findings);
  else inferRwRegister(txns, graph, findings);
  const order = orderEdgesFor(model);
  if (order.realtime) addRealtimeEdges(txns, graph);
  if (order.process) addProcessEdges(txns, graph);
  const cycles = findCycles(
    graph,
    (node) => (txns[node] as (typeof txns)[number]).op.id,
    (order.realtime ? REALTIME : 0) | (order.process ? PROCESS : 0),
    options.maxWork ?? DEFAULT_MAX_WORK,
  );

  const counts: Partial<Record<AnomalyType, number>> = {};
  for (const [type, n] of findings.counts) counts[type] = n;
  for (const [type, n] of cycles.counts) counts[type] = n;
  const anomalyTypes = (Object.keys(counts) as AnomalyType[]).sort();
  const ruled = new Set<ConsistencyModel>();
  for (const type of anomalyTypes) for (const m of ruledOutBy(type)) ruled.add(m);
  const ruledOut = CONSISTENCY_MODELS.filter((m) => ruled.has(m));
  const outcomes = { ok: 0, fail: 0, unknown: 0 };
  for (const op of ops) outcomes[op.outcome]++;
  const verdict = ruled.has(model) ? 'invalid' : cycles.truncated ? 'unknown' : 'valid';
  return {
    verdict,
    workload: options.workload,
    consistencyModel: model,
    ops: ops.length,
    outcomes,
    edges: graph.edgeCount,
    wallMs: performance.now() - started,
    anomalyTypes,
    counts,
    anomalies: [...cycles.found, ...findings.examples],
    ruledOut,
    ...(cycles.truncated ? { truncated: true as const } : {}),
  };
}
