/**
 * Grow-only and positive-negative counters (Shapiro, Preguiça, Baquero, Zawirski, "Conflict-free
 * Replicated Data Types", SSS 2011): one entry per actor, each only ever raised by its actor,
 * joined by pointwise maximum. A delta is the one raised entry.
 */
export type GCounter = Readonly<Record<string, number>>;

export type PNCounter = {
  readonly p: GCounter;
  readonly n: GCounter;
};

function entry(c: GCounter, actor: string): number {
  return Object.hasOwn(c, actor) ? (c[actor] as number) : 0;
}

export function gcounterJoin(a: GCounter, b: GCounter): GCounter {
  const out: Record<string, number> = {};
  for (const id of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    out[id] = Math.max(entry(a, id), entry(b, id));
  }
  return out;
}

export function gcounterValue(c: GCounter): number {
  let s = 0;
  for (const n of Object.values(c)) s += n;
  return s;
}

/** The delta of `actor` adding `by` (a positive integer) to what it knows of the counter. */
export function gcounterInc(c: GCounter, actor: string, by: number): GCounter {
  if (!Number.isInteger(by) || by < 1)
    throw new RangeError(`a counter grows by a positive integer, not ${by}`);
  return { [actor]: entry(c, actor) + by };
}

export const PN_EMPTY: PNCounter = { p: {}, n: {} };

export function pncounterJoin(a: PNCounter, b: PNCounter): PNCounter {
  return { p: gcounterJoin(a.p, b.p), n: gcounterJoin(a.n, b.n) };
}

export function pncounterValue(c: PNCounter): number {
  return gcounterValue(c.p) - gcounterValue(c.n);
}

export function pncounterAdd(c: PNCounter, actor: string, by: number): PNCounter {
  if (!Number.isInteger(by) || by === 0)
    throw new RangeError(`a counter moves by a non-zero integer, not ${by}`);
  return by > 0
    ? { p: gcounterInc(c.p, actor, by), n: {} }
    : { p: {}, n: gcounterInc(c.n, actor, -by) };
}
