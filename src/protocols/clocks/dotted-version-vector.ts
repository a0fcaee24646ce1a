/**
 * Dotted version vectors (Preguiça, Baquero, Almeida, Fonte, Gonçalves, "Dotted Version
 * Vectors: Logical Clocks for Optimistic Replication", 2010) and their compact set form, Riak's
 * DVVSet (riak_dt/dvvset, Riak 2.0).
 *
 * A version written by server `i` with a client's context `ctx` gets a *dot* — the single event
 * (i, n) that made it — apart from the history it saw (`ctx`). With a plain version vector on
 * the server the new version's vector is ctx with i's entry bumped, which also claims events of
 * i the client never saw: the server must then either discard a concurrent version (lost
 * update) or keep versions the client did overwrite (false siblings, "sibling explosion"). A
 * dot names exactly one event, so a version is obsolete iff its dot is inside a newer context.
 *
 * DVVSet keeps all siblings of a key under one clock: per server id, a counter n and the values
 * of its newest dots (n, n-1, …, newest first); the older dots of that id are all overwritten.
 */
import { vvDescends, vvGet, type Order, type VersionVector } from './version-vector.js';

export type Dot = readonly [string, number];

/** One version's clock: the event that wrote it and the history it was written over. */
export interface Dvv {
  readonly dot: Dot;
  readonly vv: VersionVector;
}

/** Whether history `vv` contains event `dot`. */
export function vvCovers(vv: VersionVector, dot: Dot): boolean {
  return vvGet(vv, dot[0]) >= dot[1];
}

/** Whether version a's history (its context and its dot) holds all of version b's. */
function contains(a: Dvv, b: Dvv): boolean {
  // a's history holds b's history iff it holds b's dot and b's context.
  return (sameDot(a.dot, b.dot) || vvCovers(a.vv, b.dot)) && vvDescends(withDot(a), b.vv);
}

function withDot(d: Dvv): VersionVector {
  return { ...d.vv, [d.dot[0]]: Math.max(vvGet(d.vv, d.dot[0]), d.dot[1]) };
}

export function sameDot(a: Dot, b: Dot): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** How version `a` stands to version `b` in the causal order. */
export function dvvCompare(a: Dvv, b: Dvv): Order {
  if (sameDot(a.dot, b.dot)) return 'equal';
  const ab = contains(a, b);
  const ba = contains(b, a);
  if (ab && !ba) return 'after';
  if (ba && !ab) return 'before';
  return 'concurrent';
}

/** A DVVSet entry: server id, its counter, and the values of its newest dots, newest first. */
export type DvvSetEntry = readonly [string, number, readonly string[]];

export interface DvvSet {
  /** Sorted by id. */
  readonly entries: readonly DvvSetEntry[];
  /** Values written by a client without a server event yet (a new put's value before update). */
  readonly anonymous: readonly string[];
}

export const DVVSET_EMPTY: DvvSet = { entries: [], anonymous: [] };

/** A client's new value over the context it read (`dvvset:new/2`). */
export function dvvsetNew(context: VersionVector, value: string): DvvSet {
  const entries = Object.entries(context)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, n]): DvvSetEntry => [id, n, []]);
  return { entries, anonymous: [value] };
}

function mergeEntry(a: DvvSetEntry, b: DvvSetEntry): DvvSetEntry {
  const [id, n1, l1] = a;
  const [, n2, l2] = b;
  if (n1 >= n2) {
    // Keep a's values for dots b has not seen, or that b still holds.
    return n1 - l1.length >= n2 - l2.length ? a : [id, n1, l1.slice(0, n1 - n2 + l2.length)];
  }
  return n2 - l2.length >= n1 - l1.length ? b : [id, n2, l2.slice(0, n2 - n1 + l1.length)];
}

/** The context of a set: every event it has seen. */
export function dvvsetJoin(s: DvvSet): VersionVector {
  const out: Record<string, number> = {};
  for (const [id, n] of s.entries) if (n > 0) out[id] = n;
  return out;
}

function strictlyInside(a: DvvSet, b: DvvSet): boolean {
  const ja = dvvsetJoin(a);
  const jb = dvvsetJoin(b);
  return vvDescends(jb, ja) && !vvDescends(ja, jb);
}

/** Merges two replicas' sets of one key (`dvvset:sync/2`): commutative, associative, idempotent. */
export function dvvsetSync(a: DvvSet, b: DvvSet): DvvSet {
  const byId = new Map<string, DvvSetEntry>();
  for (const e of a.entries) byId.set(e[0], e);
  for (const e of b.entries) {
    const mine = byId.get(e[0]);
    byId.set(e[0], mine === undefined ? e : mergeEntry(mine, e));
  }
  const entries = [...byId.values()].sort(([x], [y]) => (x < y ? -1 : 1));
  let anonymous: readonly string[];
  if (strictlyInside(a, b)) anonymous = b.anonymous;
  else if (strictlyInside(b, a)) anonymous = a.anonymous;
  else anonymous = [...new Set([...a.anonymous, ...b.anonymous])].sort();
  return { entries, anonymous };
}

function event(entries: readonly DvvSetEntry[], id: string, value: string): DvvSetEntry[] {
  const out = entries.filter((e) => e[0] !== id);
  const mine = entries.find((e) => e[0] === id);
  out.push(mine === undefined ? [id, 1, [value]] : [id, mine[1] + 1, [value, ...mine[2]]]);
  return out.sort(([x], [y]) => (x < y ? -1 : 1));
}

/**
 * Server `id` takes the client's new value `client` (from `dvvsetNew`) into the key's set
 * `server` (`dvvset:update/3`): what the client's context covers is overwritten, the rest stays
 * as siblings, and the new value gets the dot (id, n+1).
 */
export function dvvsetUpdate(client: DvvSet, server: DvvSet, id: string): DvvSet {
  if (client.anonymous.length !== 1) throw new RangeError('an update carries exactly one value');
  const value = client.anonymous[0] as string;
  const synced = dvvsetSync({ entries: client.entries, anonymous: [] }, server);
  return { entries: event(synced.entries, id, value), anonymous: synced.anonymous };
}

/** Every sibling value, entries' first, in id order. */
export function dvvsetValues(s: DvvSet): string[] {
  return [...s.entries.flatMap((e) => e[2]), ...s.anonymous];
}
