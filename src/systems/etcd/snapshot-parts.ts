/**
 * An etcd-raft snapshot as a sequence of bounded parts (see src/protocols/raft/snapshot.ts), so
 * a store of gigabytes is never one JSON value or string. A snapshot that fits in one part is
 * that part as it always was (the plain snapshot value); a larger one is a header, then its
 * long lists a batch at a time:
 *
 *   part 0:  { "format": "etcd-parts", "parts": n, "counts": {list: length, …}, …the snapshot
 *             with every long list empty }
 *   part i:  { "list": "base" | "events" | "leases" | "sessions", "at": k, "items": [...] }
 *
 * Batches come in the order of LISTS, each list's items in order, `at` the index in its list of
 * a batch's first item. The header counts the parts and each list's items, and every batch says
 * where it goes, so a missing, repeated or reordered part is refused (joinParts), never
 * restored as a smaller or shuffled store.
 */
import type { Json } from '../../core/json.js';

/** The longest lists of a snapshot: everything else is small and rides in the header. */
const LISTS = ['base', 'events', 'leases', 'sessions'] as const;
type ListName = (typeof LISTS)[number];

/** Parts are cut at about this many characters of JSON by default. */
export const DEFAULT_PART_BYTES = 1024 * 1024;

const FORMAT = 'etcd-parts';

/** A snapshot's shape as far as splitting needs it (etcd-machine.ts has the full type). */
export interface Lists {
  readonly store: { readonly base: readonly Json[]; readonly events: readonly Json[] };
  readonly leases: { readonly leases: readonly Json[] };
  readonly sessions: readonly Json[];
}

function listOf(snap: Lists, name: ListName): readonly Json[] {
  switch (name) {
    case 'base':
      return snap.store.base;
    case 'events':
      return snap.store.events;
    case 'leases':
      return snap.leases.leases;
    case 'sessions':
      return snap.sessions;
  }
}

/** `snap` with each list replaced by `lists[name]`. */
function withLists(snap: Lists, lists: Record<ListName, readonly Json[]>): Lists {
  return {
    ...snap,
    store: { ...snap.store, base: lists.base, events: lists.events },
    leases: { ...snap.leases, leases: lists.leases },
    sessions: lists.sessions,
  };
}

/**
 * About how many characters `v` takes as JSON: exact for plain text, low for strings full of
 * characters JSON escapes (at most 6× then). Cheap: it is what keeps parts bounded, not a
 * promise about bytes.
 */
export function approxJsonChars(v: Json): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v !== 'object' || v === null) return 8;
  let n = 2;
  if (Array.isArray(v)) {
    for (const x of v as readonly Json[]) n += approxJsonChars(x) + 1;
    return n;
  }
  const o = v as { readonly [k: string]: Json };
  for (const k in o) n += k.length + 4 + approxJsonChars(o[k] as Json);
  return n;
}

/**
 * `snap` in parts of about `partBytes` characters each (an item larger than that is a part of
 * its own). One part, the snapshot itself, when it all fits.
 */
export function splitSnapshot(snap: Lists, partBytes: number): Json[] {
  const batches: { list: ListName; at: number; items: Json[] }[] = [];
  let total = 0;
  for (const list of LISTS) {
    let items: Json[] = [];
    let size = 0;
    let at = 0;
    for (const item of listOf(snap, list)) {
      const n = approxJsonChars(item);
      if (items.length > 0 && size + n > partBytes) {
        batches.push({ list, at, items });
        at += items.length;
        items = [];
        size = 0;
      }
      items.push(item);
      size += n;
      total += n;
    }
    if (items.length > 0) batches.push({ list, at, items });
  }
  if (total <= partBytes) return [snap as unknown as Json];
  const empty = { base: [], events: [], leases: [], sessions: [] };
  const counts: Record<string, number> = {};
  for (const list of LISTS) counts[list] = listOf(snap, list).length;
  const header = {
    format: FORMAT,
    parts: batches.length + 1,
    counts,
    ...withLists(snap, empty),
  };
  return [header as unknown as Json, ...(batches as unknown as Json[])];
}

/** The snapshot `parts` make (as splitSnapshot took it), or why they make none. */
export function joinParts(
  parts: readonly Json[],
): { readonly snapshot: Json } | { readonly problem: string } {
  const head = parts[0] as Record<string, Json> | undefined;
  if (head === undefined) return { problem: 'no parts' };
  if (typeof head !== 'object' || head === null || head.format !== FORMAT) {
    return parts.length === 1 ? { snapshot: head } : { problem: 'its first part is no header' };
  }
  if (head.parts !== parts.length) {
    return {
      problem: `its header counts ${String(head.parts)} parts, and there are ${parts.length}`,
    };
  }
  const counts = head.counts as Record<string, Json> | undefined;
  const lists: Record<ListName, Json[]> = { base: [], events: [], leases: [], sessions: [] };
  let at = 0; // index into LISTS: batches never go back to an earlier list
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as Record<string, Json> | null;
    const list = LISTS.indexOf(p?.list as ListName);
    const into = lists[LISTS[list] as ListName];
    if (
      p === null ||
      typeof p !== 'object' ||
      list < at ||
      !Array.isArray(p.items) ||
      p.at !== into?.length
    ) {
      return { problem: `part ${i} is not the next batch of a list` };
    }
    at = list;
    for (const item of p.items as readonly Json[]) into.push(item);
  }
  for (const list of LISTS) {
    if (typeof counts !== 'object' || counts === null || counts[list] !== lists[list].length) {
      return {
        problem: `its parts hold ${lists[list].length} ${list} items, not the header's count`,
      };
    }
  }
  const { format: _f, parts: _p, counts: _c, ...rest } = head;
  return { snapshot: withLists(rest as unknown as Lists, lists) as unknown as Json };
}
