/** Hand-written transactional histories: one line per transaction, reads as completed. */
import type { HistoryOp, Outcome } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';

type Mop = [string, string | number, Json];

export interface T {
  /** Completed micro-ops (reads filled in); invoked ones are derived. */
  readonly mops: Mop[];
  readonly process?: number;
  readonly invoke?: number;
  readonly complete?: number;
  readonly outcome?: Outcome;
}

/**
 * Ids in the order given; each transaction its own process, all concurrent (invoked at 0,
 * completed at 100) unless said otherwise, so only data dependencies order them.
 */
export function txns(...list: T[]): HistoryOp[] {
  return list.map((t, id) => {
    const outcome = t.outcome ?? 'ok';
    const value = t.mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]) as Json;
    return {
      id,
      process: t.process ?? id,
      f: 'txn',
      value,
      invoke: t.invoke ?? 0,
      complete: t.complete ?? 100,
      outcome,
      ...(outcome === 'ok' ? { result: t.mops as Json } : {}),
    };
  });
}
