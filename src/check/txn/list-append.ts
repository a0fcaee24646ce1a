/**
 * Dependency inference for list-append histories (Elle, section 4): every read of a key
 * returns the whole list, so the longest read is the key's version order and every other read
 * must be a prefix of it. From that order: ww between the appenders of consecutive elements,
 * wr from the appender of a read's last element to the reader, rw from a reader to the
 * appender of the element right after what it read.
 */
import { HistoryError } from '../errors.js';
import type { DepGraph } from './dep-graph.js';
import { RW, WR, WW } from './dep-graph.js';
import type { Findings } from './findings.js';
import { show } from './findings.js';
import type { Txn, TxnValue } from './txn-history.js';

interface Append {
  readonly txn: Txn;
  /** Whether no later append of the same transaction goes to the same key. */
  last: boolean;
}

/** A transaction's first read of a key, minus its own appends (what it saw of others). */
interface ExternalRead {
  readonly txn: Txn;
  readonly list: readonly TxnValue[];
  /** Whether the transaction appends to the key after this read. */
  readonly thenAppends: boolean;
}

export function inferListAppend(txns: readonly Txn[], graph: DepGraph, found: Findings): void {
  const appends = indexAppends(txns);
  const reads = new Map<string, (readonly TxnValue[])[]>();
  const readers = new Map<readonly TxnValue[], Txn>();
  const external = new Map<string, ExternalRead[]>();
  for (const t of txns) if (t.op.outcome === 'ok') readsOf(t, reads, readers, external, found);

  for (const [key, lists] of reads) {
    const keyAppends = appends.get(key);
    const { longest, compatible } = versionOrder(key, lists, readers, found);
    checkReadValues(key, compatible ? [longest] : lists, lists, readers, keyAppends, found);
    if (!compatible) continue;
    const order = longest;
    const writerAt = (i: number): Txn | undefined => {
      const a = keyAppends?.get(order[i] as TxnValue);
      return a && a.txn.op.outcome !== 'fail' ? a.txn : undefined;
    };
    for (let i = 0; i + 1 < order.length; i++) {
      const a = writerAt(i);
      const b = writerAt(i + 1);
      if (a && b)
        graph.add(a.index, b.index, WW, () => ({
          key,
          why: `op ${b.op.id} appended ${show(order[i + 1])} right after op ${a.op.id}'s ${show(order[i])} to ${key}`,
        }));
    }
    unobservedAppends(key, order, keyAppends, external.get(key) ?? [], graph);

    const lostUpdate = new Map<number, Txn[]>();
    for (const { txn: r, list, thenAppends } of external.get(key) ?? []) {
      const last = list.length - 1;
      // Every read is a prefix of the order, so its last element sits at its own last index.
      const at = last;
      if (last >= 0) {
        const w = keyAppends?.get(list[last] as TxnValue);
        if (w && w.txn.op.outcome !== 'fail') {
          graph.add(w.txn.index, r.index, WR, () => ({
            key,
            why: `op ${r.op.id} read ${key} = ${show(list)}, whose last element op ${w.txn.op.id} appended`,
          }));
          if (!w.last)
            found.add(
              'G1b',
              [r.op.id, w.txn.op.id],
              key,
              () =>
                `op ${r.op.id} read ${key} = ${show(list)}, ending at ${show(list[last])}, which op ${w.txn.op.id} appended but followed with another append to ${key}`,
            );
        }
      }
      const next = at + 1 < order.length ? writerAt(at + 1) : undefined;
      if (next)
        graph.add(r.index, next.index, RW, () => ({
          key,
          why: `op ${r.op.id} read ${key} = ${show(list)}; op ${next.op.id} appended ${show(order[at + 1])}, the next element`,
        }));
      if (thenAppends) {
        let group = lostUpdate.get(at);
        if (!group) lostUpdate.set(at, (group = []));
        group.push(r);
      }
    }
    for (const [at, group] of lostUpdate)
      if (group.length > 1)
        found.add(
          'lost-update',
          group.map((t) => t.op.id),
          key,
          () =>
            `ops ${group.map((t) => t.op.id).join(', ')} all read ${key} ${at < 0 ? 'empty' : `ending at ${show(order[at])}`} and then appended to it`,
        );
  }
}

/**
 * Appends no read shows still came after everything any read shows (as Elle infers): ww from
 * the appender of the last element read to each such appender, and rw to it from every
 * transaction whose read ended there (or read nothing, when no element was ever read).
 */
function unobservedAppends(
  key: string,
  order: readonly TxnValue[],
  keyAppends: Map<TxnValue, Append> | undefined,
  reads: readonly ExternalRead[],
  graph: DepGraph,
): void {
  if (!keyAppends || keyAppends.size <= order.length) return;
  const observed = new Set(order);
  const lastValue = order.length > 0 ? order[order.length - 1] : undefined;
  const last = lastValue === undefined ? undefined : keyAppends.get(lastValue);
  const lastWriter = last && last.txn.op.outcome !== 'fail' ? last.txn : undefined;
  const sawLast = reads.filter((r) => r.list.length === order.length);
  const after = lastValue === undefined ? 'nothing' : show(lastValue);
  for (const [value, a] of keyAppends) {
    if (observed.has(value) || a.txn.op.outcome === 'fail') continue;
    const t = a.txn;
    if (lastWriter)
      graph.add(lastWriter.index, t.index, WW, () => ({
        key,
        why: `op ${t.op.id} appended ${show(value)} to ${key}, which no read shows, so after the last element read, op ${lastWriter.op.id}'s ${after}`,
      }));
    for (const { txn: r, list } of sawLast)
      graph.add(r.index, t.index, RW, () => ({
        key,
        why: `op ${r.op.id} read ${key} = ${show(list)}; op ${t.op.id} appended ${show(value)}, which no read shows, so after ${after}`,
      }));
  }
}

/** (key → value → its append). Each value is appended to a key at most once, as Elle asks. */
function indexAppends(txns: readonly Txn[]): Map<string, Map<TxnValue, Append>> {
  const appends = new Map<string, Map<TxnValue, Append>>();
  for (const t of txns) {
    const lastOf = new Map<string, Append>();
    for (const m of t.mops) {
      if (m.f !== 'append') continue;
      const v = m.value as TxnValue;
      let byValue = appends.get(m.key);
      if (!byValue) appends.set(m.key, (byValue = new Map()));
      const earlier = byValue.get(v);
      if (earlier)
        throw new HistoryError(
          `operations ${earlier.txn.op.id} and ${t.op.id} both append ${show(v)} to ${m.key}: list-append needs every appended value unique per key`,
        );
      const prev = lastOf.get(m.key);
      if (prev) prev.last = false;
      const a: Append = { txn: t, last: true };
      byValue.set(v, a);
      lastOf.set(m.key, a);
    }
  }
  return appends;
}

/**
 * Walks one committed transaction: checks each read against what the transaction itself
 * already read and appended (internal consistency), records every read — less the
 * transaction's own appends at its end — for the version order, and the first read of each
 * key for wr / rw edges.
 */
function readsOf(
  t: Txn,
  reads: Map<string, (readonly TxnValue[])[]>,
  readers: Map<readonly TxnValue[], Txn>,
  external: Map<string, ExternalRead[]>,
  found: Findings,
): void {
  const known = new Map<string, readonly TxnValue[]>();
  const own = new Map<string, TxnValue[]>();
  const ownEver = new Map<string, Set<TxnValue>>();
  const firstRead = new Map<string, { list: readonly TxnValue[]; appendsAfter: boolean }>();
  for (const m of t.mops) {
    if (m.f === 'append') {
      let mine = own.get(m.key);
      if (!mine) own.set(m.key, (mine = []));
      mine.push(m.value as TxnValue);
      let ever = ownEver.get(m.key);
      if (!ever) ownEver.set(m.key, (ever = new Set()));
      ever.add(m.value as TxnValue);
      const first = firstRead.get(m.key);
      if (first) first.appendsAfter = true;
      continue;
    }
    const list = m.value as readonly TxnValue[];
    if (new Set(list).size !== list.length) {
      found.add('duplicate-elements', [t.op.id], m.key, () => {
        const seen = new Set<TxnValue>();
        const dup = list.find((v) => (seen.has(v) ? true : (seen.add(v), false)));
        return `op ${t.op.id} read ${m.key} = ${show(list)}, in which ${show(dup)} appears twice`;
      });
      continue;
    }
    const mine = own.get(m.key) ?? [];
    const before = known.get(m.key);
    const expected = before ? [...before, ...mine] : undefined;
    const ok = expected
      ? sameList(list, expected)
      : list.length >= mine.length &&
        mine.every((v, i) => list[list.length - mine.length + i] === v);
    if (!ok)
      found.add('internal', [t.op.id], m.key, () =>
        expected
          ? `op ${t.op.id} read ${m.key} = ${show(list)} but its own earlier reads and appends make it ${show(expected)}`
          : `op ${t.op.id} read ${m.key} = ${show(list)}, which does not end with its own appends ${show(mine)}`,
      );
    known.set(m.key, list);
    own.set(m.key, []);
    if (!ok) continue;
    // Only what others appended orders the key: under read committed a transaction's own
    // appends, read back before it commits, may yet land after other transactions' appends.
    let cut = list.length;
    const everMine = ownEver.get(m.key);
    while (cut > 0 && everMine?.has(list[cut - 1] as TxnValue)) cut--;
    const seen = cut === list.length ? list : list.slice(0, cut);
    let lists = reads.get(m.key);
    if (!lists) reads.set(m.key, (lists = []));
    lists.push(seen);
    readers.set(seen, t);
    if (!firstRead.has(m.key)) firstRead.set(m.key, { list: seen, appendsAfter: false });
  }
  for (const [key, { list, appendsAfter }] of firstRead) {
    let list2 = external.get(key);
    if (!list2) external.set(key, (list2 = []));
    list2.push({ txn: t, list, thenAppends: appendsAfter });
  }
}

function sameList(a: readonly TxnValue[], b: readonly TxnValue[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The longest read, and whether every read of `key` is a prefix of it (else reported). */
function versionOrder(
  key: string,
  lists: readonly (readonly TxnValue[])[],
  readers: Map<readonly TxnValue[], Txn>,
  found: Findings,
): { longest: readonly TxnValue[]; compatible: boolean } {
  let longest = lists[0] as readonly TxnValue[];
  for (const l of lists) if (l.length > longest.length) longest = l;
  let compatible = true;
  for (const l of lists) {
    if (l === longest) continue;
    for (let i = 0; i < l.length; i++) {
      if (l[i] === longest[i]) continue;
      compatible = false;
      const a = readers.get(l) as Txn;
      const b = readers.get(longest) as Txn;
      found.add(
        'incompatible-order',
        [a.op.id, b.op.id],
        key,
        () =>
          `op ${a.op.id} read ${key} = ${show(l)} and op ${b.op.id} read ${show(longest)}: they differ at position ${i} (${show(l[i])} vs ${show(longest[i])}), so neither is a prefix of the other`,
      );
      break;
    }
  }
  return { longest, compatible };
}

/**
 * Elements read that no transaction appended (garbage) or only a failed one did (G1a). Each
 * element of `scan` is looked up once; when every read is a prefix of the one list scanned,
 * the reads holding a bad element are those longer than its position.
 */
function checkReadValues(
  key: string,
  scan: readonly (readonly TxnValue[])[],
  lists: readonly (readonly TxnValue[])[],
  readers: Map<readonly TxnValue[], Txn>,
  keyAppends: Map<TxnValue, Append> | undefined,
  found: Findings,
): void {
  for (const s of scan) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i] as TxnValue;
      const w = keyAppends?.get(v);
      if (w && w.txn.op.outcome !== 'fail') continue;
      for (const l of scan.length === 1 ? lists : [s]) {
        if (l.length <= i) continue;
        const r = readers.get(l) as Txn;
        if (!w)
          found.add(
            'garbage-read',
            [r.op.id],
            key,
            () =>
              `op ${r.op.id} read ${key} = ${show(l)}, but no operation appended ${show(v)} to ${key}`,
          );
        else
          found.add(
            'G1a',
            [r.op.id, w.txn.op.id],
            key,
            () =>
              `op ${r.op.id} read ${key} = ${show(l)}, including ${show(v)}, appended by op ${w.txn.op.id}, which failed`,
          );
      }
    }
  }
}
