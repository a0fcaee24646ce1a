/**
 * Leader election (§3.4) with the dissertation's two guards against disruption (§9.6, §4.2.3):
 *   - pre-vote: a server whose election timer fires first asks whether it *could* win, without
 *     raising its term; only with a majority of yeses does it start a real election. A server
 *     rejoining from a partition therefore cannot force a healthy leader to step down with an
 *     inflated term.
 *   - leader stickiness (with check-quorum): a server that heard from a leader within the
 *     minimum election timeout refuses (pre-)votes, and a leader that has not heard from a
 *     majority for an election timeout steps down, so a majority follows at most one leader.
 */
import type { Random } from '../../core/random.js';

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface RaftTiming {
  readonly heartbeatMs: number;
  readonly electionMinMs: number;
  readonly electionMaxMs: number;
}

export const DEFAULT_TIMING: RaftTiming = {
  heartbeatMs: 50,
  electionMinMs: 150,
  electionMaxMs: 300,
};

/** A fresh randomized election timeout (§3.4: spreads candidates out to avoid split votes). */
export function electionTimeout(timing: RaftTiming, random: Random): number {
  return random.range(timing.electionMinMs, timing.electionMaxMs);
}

/**
 * The election restriction (§3.6.1): vote only for a candidate whose log is at least as
 * up-to-date as ours — a later last term, or the same last term and at least as long.
 */
export function logUpToDate(
  candidateLastTerm: number,
  candidateLastIndex: number,
  myLastTerm: number,
  myLastIndex: number,
): boolean {
  if (candidateLastTerm !== myLastTerm) return candidateLastTerm > myLastTerm;
  return candidateLastIndex >= myLastIndex;
}

/** Votes collected in one (pre-)election. */
export class VoteTally {
  private readonly granted = new Set<string>();

  grant(id: string): void {
    this.granted.add(id);
  }

  has(id: string): boolean {
    return this.granted.has(id);
  }

  clear(): void {
    this.granted.clear();
  }
}
