/**
 * Where each written value came from: the one index both inferences start from. Elle asks that
 * every appended (list-append) or written (rw-register) value be unique per key, so a value read
 * names the one transaction that wrote it; a value written twice is a malformed history.
 */
import { HistoryError } from '../errors.js';
import { show } from './findings.js';
import type { Txn, TxnValue } from './txn-history.js';

export interface WriteOf {
  readonly txn: Txn;
  /** Whether no later write of the same transaction goes to the same key. */
  last: boolean;
}

/** (key → value → its write) for the micro-ops named `f` (`append` or `w`). */
export function indexWrites(
  txns: readonly Txn[],
  f: 'append' | 'w',
): Map<string, Map<TxnValue, WriteOf>> {
  const writes = new Map<string, Map<TxnValue, WriteOf>>();
  for (const t of txns) {
    const lastOf = new Map<string, WriteOf>();
    for (const m of t.mops) {
      if (m.f !== f) continue;
      const v = m.value as TxnValue;
      let byValue = writes.get(m.key);
      if (!byValue) writes.set(m.key, (byValue = new Map()));
      const earlier = byValue.get(v);
      if (earlier) {
        const [verb, workload] =
          f === 'append' ? ['append', 'list-append'] : ['write', 'rw-register'];
        throw new HistoryError(
          `operations ${earlier.txn.op.id} and ${t.op.id} both ${verb} ${show(v)} to ${m.key}: ${workload} needs every ${verb === 'append' ? 'appended' : 'written'} value unique per key` +
            // Knossos's register transactions repeat values; its model checks them whole.
            (f === 'w'
              ? ' (--model multi-register checks such transactions for linearizability)'
              : ''),
        );
      }
      const prev = lastOf.get(m.key);
      if (prev) prev.last = false;
      const w: WriteOf = { txn: t, last: true };
      byValue.set(v, w);
      lastOf.set(m.key, w);
    }
  }
  return writes;
}
