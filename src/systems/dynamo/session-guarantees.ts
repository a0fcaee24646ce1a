/**
 * Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent Replicated Data",
 * PDIS 1994) of a grow-only store judged from its history: every read returns a set of items,
 * every write carries a set of items, and no item is ever taken away. Per client session:
 * read your writes (a read after your acknowledged write holds its items), monotonic reads (a
 * read holds every item an earlier read of the same key held) and writes follow reads (whoever
 * sees an item sees what its writer had read before writing it). And, across sessions, the
 * regular-register guarantee (Lamport, "On Interprocess Communication", 1986): a read holds the
 * items of every write acknowledged before the read began.
 */

export interface ItemOp {
  readonly id: number;
  readonly process: number;
  readonly key: string;
  readonly kind: 'read' | 'write';
  readonly ok: boolean;
  readonly invoke: number;
  readonly complete: number;
  readonly items: ReadonlySet<string>;
}

export type Guarantee = 'read-your-writes' | 'monotonic-reads' | 'writes-follow-reads' | 'regular';

export interface GuaranteeViolation {
  readonly guarantee: Guarantee;
  /** The read that missed items. */
  readonly read: number;
  /** The op whose items it should have held. */
  readonly because: number;
  readonly missing: string;
}

function firstMissing(want: Iterable<string>, have: ReadonlySet<string>): string | undefined {
  for (const x of want) if (!have.has(x)) return x;
  return undefined;
}

/**
 * The union of the items of `ops` that completed before a moment, grown as the moment moves on
 * (reads are visited in invoke order, so each op is added once).
 */
class PrefixUnion {
  readonly items = new Set<string>();
  /** The op that brought each item in, for the evidence. */
  readonly from = new Map<string, ItemOp>();
  private next = 0;
  private readonly ops: ItemOp[];

  constructor(ops: readonly ItemOp[]) {
    this.ops = [...ops].sort((a, b) => a.complete - b.complete || a.id - b.id);
  }

  upTo(t: number): this {
    while (this.next < this.ops.length && (this.ops[this.next] as ItemOp).complete < t) {
      const op = this.ops[this.next++] as ItemOp;
      for (const x of op.items) {
        if (!this.items.has(x)) {
          this.items.add(x);
          this.from.set(x, op);
        }
      }
    }
    return this;
  }
}

function group<T>(xs: readonly T[], by: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = by(x);
    const g = m.get(k);
    if (g === undefined) m.set(k, [x]);
    else g.push(x);
  }
  return m;
}

/** Every violation of each guarantee (at most `limit` per guarantee), in history order. */
export function sessionViolations(ops: readonly ItemOp[], limit = 20): GuaranteeViolation[] {
  const out: GuaranteeViolation[] = [];
  const counts = new Map<Guarantee, number>();
  const note = (g: Guarantee, read: ItemOp, u: PrefixUnion): void => {
    if ((counts.get(g) ?? 0) >= limit) return;
    const missing = firstMissing(u.items, read.items);
    if (missing === undefined) return;
    counts.set(g, (counts.get(g) ?? 0) + 1);
    out.push({ guarantee: g, read: read.id, because: (u.from.get(missing) as ItemOp).id, missing });
  };
  const reads = ops
    .filter((o) => o.kind === 'read' && o.ok)
    .sort((a, b) => a.invoke - b.invoke || a.id - b.id);
  const acked = ops.filter((o) => o.kind === 'write' && o.ok);
  const session = (o: ItemOp): string => `${o.process}\u0000${o.key}`;
  const regular = new Map([...group(acked, (o) => o.key)].map(([k, g]) => [k, new PrefixUnion(g)]));
  const own = new Map([...group(acked, session)].map(([k, g]) => [k, new PrefixUnion(g)]));
  const earlier = new Map([...group(reads, session)].map(([k, g]) => [k, new PrefixUnion(g)]));
  // What each write's client had read of its key before writing (its causal past there).
  const pastOf = new Map<ItemOp, PrefixUnion>();
  const writer = new Map<string, ItemOp>();
  for (const w of ops
    .filter((o) => o.kind === 'write')
    .sort((a, b) => a.invoke - b.invoke || a.id - b.id)) {
    for (const x of w.items) if (!writer.has(x)) writer.set(x, w);
  }
  const readsBy = group(reads, session);
  for (const r of reads) {
    const u = regular.get(r.key);
    if (u !== undefined) note('regular', r, u.upTo(r.invoke));
    const o = own.get(session(r));
    if (o !== undefined) note('read-your-writes', r, o.upTo(r.invoke));
    note('monotonic-reads', r, (earlier.get(session(r)) as PrefixUnion).upTo(r.invoke));
    // A process's writes' pasts grow with time, so only its latest writer seen here matters.
    const latest = new Map<number, ItemOp>();
    for (const x of r.items) {
      const w = writer.get(x);
      if (w === undefined) continue;
      const l = latest.get(w.process);
      if (l === undefined || w.invoke > l.invoke) latest.set(w.process, w);
    }
    for (const w of latest.values()) {
      let past = pastOf.get(w);
      if (past === undefined) {
        past = new PrefixUnion(readsBy.get(session(w)) ?? []).upTo(w.invoke);
        pastOf.set(w, past);
      }
      note('writes-follow-reads', r, past);
    }
  }
  return out.sort((a, b) => a.read - b.read);
}
