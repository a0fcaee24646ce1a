/**
 * A range's lease, as CockroachDB's expiration-based leases: {holder, start, expiration, seq},
 * proposed through the range's log and applied alike on every replica. While its lease is valid
 * the holder answers reads from its own applied state without a log round trip, and keeps the
 * marks those reads leave in its own memory (the timestamp cache); it also evaluates every
 * write, pushing it above those marks before proposing it.
 *
 * The rules, and why each is needed (clocks differ by at most `offset` ms):
 * - A lease follows the one its proposer saw (`prev` = that lease's seq): two proposals racing
 *   from one state cannot both take effect.
 * - Another node's lease starts no earlier than the previous one's expiration, by the new
 *   holder's clock; the old holder stops serving `offset` before the expiration, by its own
 *   clock (the stasis period). So the two never serve at the same real time.
 * - The old holder serves a read at `ts` only if ts < expiration; the new holder's cache starts
 *   with its low water at its lease's start (≥ that expiration), so a write it evaluates goes
 *   above every read the old lease served, though it never saw them.
 * - A holder that restarts has forgotten its reads: it does not act on a lease begun before
 *   its restart (by its clock then plus the offset, as its clock may have stepped back), but
 *   waits it out and takes a new one, whose cache starts at the new start.
 * - The same holder asking after its lease expired gets a new lease (a new seq, a new start),
 *   not an extension: that is how a restarted holder gets a fresh cache.
 */
import type { NodeId } from '../../core/node.js';

export interface Lease {
  readonly holder: NodeId;
  /** The holder's clock (ms) when the lease began; the low water of its timestamp cache. */
  readonly start: number;
  readonly expiration: number;
  /** Bumped by a lease of another holder; an extension keeps it. */
  readonly seq: number;
}

export interface LeaseRequest {
  readonly holder: NodeId;
  readonly start: number;
  readonly expiration: number;
  readonly prev: number;
}

export type LeaseMutant =
  /** A new lease's cache starts empty instead of at the lease's start. */
  | 'lease-no-low-water'
  /** The holder serves reads until the expiration itself, without the stasis period. */
  | 'lease-no-stasis';

/** The lease after `req` is applied to `current`, or null when `req` is refused. */
export function nextLease(current: Lease | null, req: LeaseRequest): Lease | null {
  if (req.prev !== (current?.seq ?? 0) || !(req.expiration > req.start)) return null;
  if (current === null) return { ...withoutPrev(req), seq: 1 };
  if (req.start < current.expiration) {
    if (current.holder !== req.holder) return null;
    // An extension: the same lease, held longer. Its start stays, and so does the cache.
    return { ...current, expiration: Math.max(current.expiration, req.expiration) };
  }
  return { ...withoutPrev(req), seq: current.seq + 1 };
}

function withoutPrev(req: LeaseRequest): Omit<Lease, 'seq'> {
  return { holder: req.holder, start: req.start, expiration: req.expiration };
}

/**
 * Whether `self` may serve a read at `tsWall` from memory at its clock `now`: it holds the lease,
 * begun no earlier than `notBefore` (its restart), valid outside its stasis period, and the read
 * is below the expiration.
 */
export function mayServe(
  lease: Lease | null,
  self: NodeId,
  now: number,
  tsWall: number,
  offset: number,
  notBefore: number,
  mutant: LeaseMutant | null,
): boolean {
  if (lease === null || lease.holder !== self || lease.start < notBefore) return false;
  const stasis = mutant === 'lease-no-stasis' ? 0 : offset;
  return now < lease.expiration - stasis && tsWall < lease.expiration;
}

/** Whether `self` holds a lease it may act on now (serve reads, evaluate writes). */
export function holdsValid(
  lease: Lease | null,
  self: NodeId,
  now: number,
  offset: number,
  notBefore: number,
  mutant: LeaseMutant | null,
): boolean {
  return mayServe(lease, self, now, Number.NEGATIVE_INFINITY, offset, notBefore, mutant);
}
