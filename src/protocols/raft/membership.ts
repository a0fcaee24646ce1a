/**
 * Cluster membership (dissertation ch. 4). truthkit changes membership one server at a time
 * (§4.1): any two majorities of configurations that differ by one voter overlap, so no joint
 * consensus is needed, provided that
 *   - a configuration takes effect on each server as soon as it is in its log (not when
 *     committed), and reverts if that entry is truncated;
 *   - a leader starts a change only after the previous one committed, and only after it has
 *     committed an entry of its own term (the fix for the bug reported on raft-dev in 2015:
 *     otherwise two leaders of different terms could each commit a different one-server change
 *     from the same base, and their majorities need not overlap);
 *   - new servers join as learners (§4.2.1) and are promoted to voters only once caught up, so
 *     adding a server never stalls commitment while it copies the log.
 */
import type { NodeId } from '../../core/node.js';
import type { Membership } from './messages.js';

export type AdminOp =
  | { readonly f: 'add-learner'; readonly node: NodeId }
  | { readonly f: 'add-server'; readonly node: NodeId }
  | { readonly f: 'remove-server'; readonly node: NodeId }
  | { readonly f: 'transfer-leader'; readonly node: NodeId };

export function isAdminOp(op: unknown): op is AdminOp {
  if (typeof op !== 'object' || op === null) return false;
  const o = op as { f?: unknown; node?: unknown };
  return (
    typeof o.node === 'string' &&
    (o.f === 'add-learner' ||
      o.f === 'add-server' ||
      o.f === 'remove-server' ||
      o.f === 'transfer-leader')
  );
}

/** Sorts members into the cluster's fixed order, so every server lists them alike. */
function ordered(universe: readonly NodeId[], members: Iterable<NodeId>): NodeId[] {
  const set = new Set(members);
  return universe.filter((n) => set.has(n));
}

export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id);
}

export function isMember(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.learners.includes(id);
}

/** Everyone but `self` that the leader replicates to: voters and learners. */
export function replicationTargets(m: Membership, self: NodeId): NodeId[] {
  return [...m.voters, ...m.learners].filter((n) => n !== self);
}

export function quorumSize(m: Membership): number {
  return Math.floor(m.voters.length / 2) + 1;
}

/** True when the voters for which `has` holds form a majority of `m`. */
export function hasQuorum(m: Membership, has: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const v of m.voters) if (has(v)) n++;
  return n >= quorumSize(m);
}

/**
 * The highest index that a majority of voters hold, given each voter's match index: the
 * quorum-th largest match.
 */
export function quorumMatch(m: Membership, match: (id: NodeId) => number): number {
  if (m.voters.length === 0) return 0;
  const sorted = m.voters.map(match).sort((a, b) => b - a);
  return sorted[quorumSize(m) - 1] as number;
}

/** The membership after `op`, or an error message when the change makes no sense. */
export function changeMembership(
  universe: readonly NodeId[],
  m: Membership,
  op: Exclude<AdminOp, { f: 'transfer-leader' }>,
): Membership | string {
  const n = op.node;
  if (!universe.includes(n)) return `unknown server ${n}`;
  switch (op.f) {
    case 'add-learner':
      if (isMember(m, n)) return `${n} is already a member`;
      return { voters: m.voters, learners: ordered(universe, [...m.learners, n]) };
    case 'add-server':
      if (isVoter(m, n)) return `${n} is already a voter`;
      return {
        voters: ordered(universe, [...m.voters, n]),
        learners: m.learners.filter((x) => x !== n),
      };
    case 'remove-server':
      if (!isMember(m, n)) return `${n} is not a member`;
      if (isVoter(m, n) && m.voters.length === 1) return 'cannot remove the last voter';
      return {
        voters: m.voters.filter((x) => x !== n),
        learners: m.learners.filter((x) => x !== n),
      };
  }
}

export function sameMembership(a: Membership, b: Membership): boolean {
  return (
    a.voters.length === b.voters.length &&
    a.learners.length === b.learners.length &&
    a.voters.every((v, i) => b.voters[i] === v) &&
    a.learners.every((v, i) => b.learners[i] === v)
  );
}
