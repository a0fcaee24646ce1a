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

/**
 * `add-server` adds a voter the safe way: as a learner first, promoted by the leader itself once
 * caught up (its reply waits for that). `promote` is the operator's promotion of a learner that
 * is already there, refused at once unless it is caught up (etcd's MemberPromote).
 */
export type AdminOp =
  | { readonly f: 'add-learner'; readonly node: NodeId }
  | { readonly f: 'add-server'; readonly node: NodeId }
  | { readonly f: 'promote'; readonly node: NodeId }
  | { readonly f: 'remove-server'; readonly node: NodeId }
  | { readonly f: 'transfer-leader'; readonly node: NodeId };

const ADMIN_OPS: ReadonlySet<unknown> = new Set([
  'add-learner',
  'add-server',
  'promote',
  'remove-server',
  'transfer-leader',
]);

export function isAdminOp(op: unknown): op is AdminOp {
  if (typeof op !== 'object' || op === null) return false;
  const o = op as { f?: unknown; node?: unknown };
  return typeof o.node === 'string' && ADMIN_OPS.has(o.f);
}

/**
 * The refusals of membership changes a caller may act on, as the `error` of a definite reply.
 * They are fixed texts so that front ends can map each to their own error (etcd's, for one) by
 * equality with these constants; any other refusal (not leader, a change in progress, the
 * leader's term not committed yet) is worth retrying.
 */
export const MEMBERSHIP_REFUSALS = {
  unknownServer: 'membership: no such server in the cluster',
  alreadyMember: 'membership: already a member',
  notMember: 'membership: not a member',
  notLearner: 'membership: can only promote a learner',
  learnerNotReady: 'membership: the learner is not caught up with the leader',
  notEnoughActive:
    'membership: removing it would leave fewer active voters than a majority of the rest',
} as const;

export type MembershipRefusal = (typeof MEMBERSHIP_REFUSALS)[keyof typeof MEMBERSHIP_REFUSALS];

const REFUSAL_TEXTS: ReadonlySet<string> = new Set(Object.values(MEMBERSHIP_REFUSALS));

export function isMembershipRefusal(text: string): text is MembershipRefusal {
  return REFUSAL_TEXTS.has(text);
}

/** The configuration a server that joins an existing cluster starts from: it counts for nothing. */
export const EMPTY_MEMBERSHIP: Membership = { voters: [], learners: [] };

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

/** The membership after `op`, or the refusal when the change makes no sense. */
export function changeMembership(
  universe: readonly NodeId[],
  m: Membership,
  op: Exclude<AdminOp, { f: 'transfer-leader' }>,
): Membership | MembershipRefusal {
  const n = op.node;
  if (!universe.includes(n)) return MEMBERSHIP_REFUSALS.unknownServer;
  switch (op.f) {
    case 'add-learner':
      if (isMember(m, n)) return MEMBERSHIP_REFUSALS.alreadyMember;
      return { voters: m.voters, learners: ordered(universe, [...m.learners, n]) };
    case 'add-server':
    case 'promote':
      if (isVoter(m, n)) return MEMBERSHIP_REFUSALS.alreadyMember;
      if (op.f === 'promote' && !m.learners.includes(n)) return MEMBERSHIP_REFUSALS.notLearner;
      return {
        voters: ordered(universe, [...m.voters, n]),
        learners: m.learners.filter((x) => x !== n),
      };
    case 'remove-server':
      if (!isMember(m, n)) return MEMBERSHIP_REFUSALS.notMember;
      if (isVoter(m, n) && m.voters.length === 1) return MEMBERSHIP_REFUSALS.notEnoughActive;
      return {
        voters: m.voters.filter((x) => x !== n),
        learners: m.learners.filter((x) => x !== n),
      };
  }
}

/**
 * Whether removing `node` keeps the cluster able to commit (etcd's strict reconfiguration
 * check): the voters that remain and that the leader hears from now must be a majority of the
 * configuration without it. Removing a voter that is up, while another is down, could
 * otherwise leave a configuration whose majority is not running. Learners count for nothing, so
 * removing one is always allowed.
 */
export function removalKeepsQuorum(
  m: Membership,
  node: NodeId,
  active: (id: NodeId) => boolean,
): boolean {
  if (!isVoter(m, node)) return true;
  const rest: Membership = { voters: m.voters.filter((v) => v !== node), learners: [] };
  return hasQuorum(rest, active);
}

export function sameMembership(a: Membership, b: Membership): boolean {
  return (
    a.voters.length === b.voters.length &&
    a.learners.length === b.learners.length &&
    a.voters.every((v, i) => b.voters[i] === v) &&
    a.learners.every((v, i) => b.learners[i] === v)
  );
}
