/**
 * Dependency inference for read-write register histories with unique writes (Elle, section
 * 5). A read names its writer, so wr edges are exact. The version order is only partly known;
 * what is inferred, and nothing more:
 *
 * - the initial state (null) precedes every written version, so a transaction that read null
 *   anti-depends (rw) on every writer of the key;
 * - a transaction that reads version v1 of a key and then writes v2 to it puts v1 before v2
 *   (v1's writer committed before the reader wrote): ww from v1's writer to it, and rw from
 *   every other reader of v1 to it.
 *
 * Version orders that would follow from real-time or process order are not inferred; those
 * orders enter the graph as their own edges when the consistency model asks for them.
 */
import { HistoryError } from '../errors.js';
import type { DepGraph } from './dep-graph.js';
import { RW, WR, WW } from './dep-graph.js';
import type { Findings } from './findings.js';
import { show } from './findings.js';
import type { Txn, TxnValue } from './txn-history.js';

interface Write {
  readonly txn: Txn;
  /** Whether no later write of the same transaction goes to the same key. */
  last: boolean;
}

/** A transaction's first read of a key before it writes it, and what it then wrote. */
interface ExternalRead {
  readonly txn: Txn;
  readonly value: TxnValue | null;
  readonly thenWrites?: TxnValue;
}

export function inferRwRegister(txns: readonly Txn[], graph: DepGraph, found: Findings): void {
  const writes = indexWrites(txns);
  const external = new Map<string, ExternalRead[]>();
  for (const t of txns) if (t.op.outcome === 'ok') readsOf(t, external, found);

  for (const [key, reads] of external) {
    const keyWrites = writes.get(key);
    // Readers of each version (null: the initial state), for the rw edges below.
    const readersOf = new Map<TxnValue | null, Txn[]>();
    for (const { txn: r, value } of reads) {
      let list = readersOf.get(value);
      if (!list) readersOf.set(value, (list = []));
      list.push(r);
      if (value === null) continue;
      const w = keyWrites?.get(value);
      if (!w) {
        found.add(
          'garbage-read',
          [r.op.id],
          key,
          () => `op ${r.op.id} read ${key} = ${show(value)}, which no operation wrote`,
        );
        continue;
      }
      if (w.txn.op.outcome === 'fail') {
        found.add(
          'G1a',
          [r.op.id, w.txn.op.id],
          key,
          () =>
            `op ${r.op.id} read ${key} = ${show(value)}, written by op ${w.txn.op.id}, which failed`,
        );
        continue;
      }
      graph.add(w.txn.index, r.index, WR, () => ({
        key,
        why: `op ${r.op.id} read ${key} = ${show(value)}, which op ${w.txn.op.id} wrote`,
      }));
      if (!w.last)
        found.add(
          'G1b',
          [r.op.id, w.txn.op.id],
          key,
          () =>
            `op ${r.op.id} read ${key} = ${show(value)}, which op ${w.txn.op.id} wrote and then overwrote in the same transaction`,
        );
    }

    // Every version follows the initial state: null's readers anti-depend on every writer.
    for (const r of readersOf.get(null) ?? [])
      for (const [value, w] of keyWrites ?? [])
        if (w.txn.op.outcome !== 'fail')
          graph.add(r.index, w.txn.index, RW, () => ({
            key,
            why: `op ${r.op.id} read ${key} = null, the initial state; op ${w.txn.op.id} wrote ${show(value)}, a later version`,
          }));

    const lostUpdate = new Map<TxnValue | null, Txn[]>();
    for (const { txn: t, value, thenWrites } of reads) {
      if (thenWrites === undefined) continue;
      let group = lostUpdate.get(value);
      if (!group) lostUpdate.set(value, (group = []));
      group.push(t);
      const w = value === null ? undefined : keyWrites?.get(value);
      if (w && w.txn.op.outcome !== 'fail')
        graph.add(w.txn.index, t.index, WW, () => ({
          key,
          why: `op ${t.op.id} read ${key} = ${show(value)} (op ${w.txn.op.id}'s) and then wrote ${show(thenWrites)}`,
        }));
      if (value !== null)
        for (const r of readersOf.get(value) ?? [])
          graph.add(r.index, t.index, RW, () => ({
            key,
            why: `op ${r.op.id} read ${key} = ${show(value)}; op ${t.op.id} read it too and then wrote ${show(thenWrites)}, a later version`,
          }));
    }
    for (const [value, group] of lostUpdate)
      if (group.length > 1)
        found.add(
          'lost-update',
          group.map((t) => t.op.id),
          key,
          () =>
            `ops ${group.map((t) => t.op.id).join(', ')} all read ${key} = ${show(value)} and then wrote it`,
        );
  }
}

/** (key → value → its write). Each value is written to a key at most once, as Elle asks. */
function indexWrites(txns: readonly Txn[]): Map<string, Map<TxnValue, Write>> {
  const writes = new Map<string, Map<TxnValue, Write>>();
  for (const t of txns) {
    const lastOf = new Map<string, Write>();
    for (const m of t.mops) {
      if (m.f !== 'w') continue;
      const v = m.value as TxnValue;
      let byValue = writes.get(m.key);
      if (!byValue) writes.set(m.key, (byValue = new Map()));
      const earlier = byValue.get(v);
      if (earlier)
        throw new HistoryError(
          `operations ${earlier.txn.op.id} and ${t.op.id} both write ${show(v)} to ${m.key}: rw-register needs every written value unique per key`,
        );
      const prev = lastOf.get(m.key);
      if (prev) prev.last = false;
      const w: Write = { txn: t, last: true };
      byValue.set(v, w);
      lastOf.set(m.key, w);
    }
  }
  return writes;
}

/** Internal consistency (a read sees the transaction's own last read or write of the key),
 * and, for each key whose first micro-op is a read, that read and the first write after it. */
function readsOf(t: Txn, external: Map<string, ExternalRead[]>, found: Findings): void {
  const known = new Map<string, TxnValue | null>();
  const first = new Map<string, { value: TxnValue | null; thenWrites?: TxnValue }>();
  for (const m of t.mops) {
    if (m.f === 'w') {
      const f = first.get(m.key);
      if (f && f.thenWrites === undefined) f.thenWrites = m.value as TxnValue;
      known.set(m.key, m.value as TxnValue);
      continue;
    }
    const value = m.value as TxnValue | null;
    if (known.has(m.key)) {
      const expected = known.get(m.key) as TxnValue | null;
      if (expected !== value)
        found.add(
          'internal',
          [t.op.id],
          m.key,
          () =>
            `op ${t.op.id} read ${m.key} = ${show(value)} but its own earlier read or write makes it ${show(expected)}`,
        );
    } else first.set(m.key, { value });
    known.set(m.key, value);
  }
  for (const [key, { value, thenWrites }] of first) {
    let list = external.get(key);
    if (!list) external.set(key, (list = []));
    list.push({ txn: t, value, ...(thenWrites !== undefined ? { thenWrites } : {}) });
  }
}
