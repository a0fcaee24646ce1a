/**
 * How many faulty replicas a PBFT cluster tolerates and how many replicas each certificate
 * needs: the one place the replica, the view change and the Byzantine strategies take f and Q
 * from.
 *
 * Castro & Liskov (OSDI'99, §2 and §4.2) use n = 3f + 1 and quorums of 2f + 1. For other n the
 * quorum must be sized from what it has to guarantee, not from that formula:
 *
 * - intersection: any two quorums share at least f + 1 replicas, so an honest one, which never
 *   votes for two digests at one (view, seq): 2Q − n ≥ f + 1, the smallest such Q being
 *   ⌈(n + f + 1) / 2⌉;
 * - availability: the n − f replicas that are not faulty can form a quorum alone: Q ≤ n − f.
 *
 * Both hold iff n ≥ 3f + 1 (Bracha & Toueg, JACM 1985): `safe` picks the first, `live` the
 * second, and below the bound (n = 3f, only with an explicit f) they differ and each gives up
 * the other property. For n = 3f + 1 both are 2f + 1.
 */

/** The most Byzantine replicas n replicas tolerate: ⌊(n − 1) / 3⌋. */
export function faultsTolerated(n: number): number {
  return Math.floor((n - 1) / 3);
}

/** The smallest quorum any two of which share f + 1 replicas: ⌈(n + f + 1) / 2⌉. */
export function quorumSize(n: number, f: number = faultsTolerated(n)): number {
  return Math.ceil((n + f + 1) / 2);
}

/**
 * `safe`: Q = ⌈(n + f + 1) / 2⌉ (quorums intersect in an honest replica); `live`: Q = n − f
 * (f silent replicas cannot block a quorum); `fixed-2f+1`: the textbook 2f + 1 whatever n is,
 * right only for n = 3f + 1 (the `quorum-2f-plus-1` mutant).
 */
export const QUORUM_RULES = ['safe', 'live', 'fixed-2f+1'] as const;
export type QuorumRule = (typeof QUORUM_RULES)[number];

export interface Quorums {
  readonly n: number;
  /** The Byzantine replicas the cluster is built to tolerate. */
  readonly f: number;
  /**
   * Q: distinct replicas behind a prepared certificate (the primary's pre-prepare and Q − 1
   * backups' prepares), committed-local (Q commits), a stable checkpoint (Q signed checkpoints)
   * and a new view (Q view-changes).
   */
  readonly quorum: number;
  /** f + 1: enough to include an honest replica (joining a higher view, a client's replies). */
  readonly weak: number;
}

export type QuorumErrorCode = 'bad-n' | 'bad-f' | 'bad-quorum';

/** A cluster size, fault budget or rule that gives no usable quorum. */
export class QuorumError extends Error {
  constructor(
    readonly code: QuorumErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QuorumError';
  }
}

/**
 * The quorums of a cluster of `n` replicas built to tolerate `f` Byzantine ones (default
 * ⌊(n − 1) / 3⌋). `f` may be at most ⌊n / 3⌋: one more than PBFT tolerates only when n = 3f,
 * the case the lower bound is about. Throws QuorumError on anything else.
 */
export function quorums(
  n: number,
  f: number = faultsTolerated(n),
  rule: QuorumRule = 'safe',
): Quorums {
  if (!Number.isInteger(n) || n < 1) {
    throw new QuorumError(
      'bad-n',
      `pbft: a cluster needs a positive integer of replicas, not ${n}`,
    );
  }
  const maxF = Math.floor(n / 3);
  if (!Number.isInteger(f) || f < 0 || f > maxF) {
    throw new QuorumError(
      'bad-f',
      `pbft: f must be an integer in [0, ${maxF}] for ${n} replicas, not ${f}`,
    );
  }
  const quorum = rule === 'safe' ? quorumSize(n, f) : rule === 'live' ? n - f : 2 * f + 1;
  // More than f, so every quorum holds an honest replica; at most n, so one can exist at all.
  if (quorum <= f || quorum > n) {
    throw new QuorumError(
      'bad-quorum',
      `pbft: the ${rule} quorum for n = ${n}, f = ${f} would be ${quorum}, outside [${f + 1}, ${n}]`,
    );
  }
  return { n, f, quorum, weak: f + 1 };
}
