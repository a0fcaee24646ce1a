/**
 * A zxid names a transaction by the epoch of the leader that proposed it and that leader's own
 * counter (Junqueira, Reed, Serafini, DSN 2011). Zxids order transactions: first by epoch,
 * then by counter, so a later leader's proposals come after everything an earlier one proposed.
 */
export type Zxid = readonly [epoch: number, counter: number];

export const ZXID_ZERO: Zxid = [0, 0];

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareZxid(a: Zxid, b: Zxid): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

export function zxidKey(z: Zxid): string {
  return `${z[0]}.${z[1]}`;
}

export function maxZxid(a: Zxid, b: Zxid): Zxid {
  return compareZxid(a, b) >= 0 ? a : b;
}
