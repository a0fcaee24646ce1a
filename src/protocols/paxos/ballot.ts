/**
 * Ballots: totally ordered and unique per proposer, so two proposers never use the same ballot
 * with different values. A ballot is `round * MAX_NODES + proposer index`; 0 means "none".
 */
import type { NodeId } from '../../core/node.js';

export type Ballot = number;

export const NO_BALLOT: Ballot = 0;
const MAX_NODES = 1000;

export function makeBallot(round: number, proposer: number): Ballot {
  return round * MAX_NODES + proposer;
}

export function roundOf(ballot: Ballot): number {
  return Math.floor(ballot / MAX_NODES);
}

/** The proposer index of `id` in the cluster (stable across restarts). */
export function proposerIndex(cluster: readonly NodeId[], id: NodeId): number {
  const i = cluster.indexOf(id);
  if (i < 0) throw new Error(`${id} is not in the cluster`);
  return i;
}

/** `floor(n/2) + 1`: any two such sets of acceptors intersect. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}
