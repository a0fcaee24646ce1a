/**
 * A group member as the coordinator tracks it, and the protocol rules over members: which
 * protocols a joining member may bring (every other member must support one of them) and which
 * protocol a completed rebalance chooses (Kafka's vote: among the protocols every member
 * supports, each member votes for the first in its own preference order; most votes wins).
 */
import type { MemberProtocol } from './group-types.js';

export interface Member {
  readonly memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly MemberProtocol[];
  /** From the latest completed sync; '' until then and after a rebalance begins. */
  assignment: string;
  /** When the coordinator last heard from the member; null when loaded from records, until
   * the coordinator first sees a clock (a loaded member gets a whole session from there). */
  lastHeartbeat: number | null;
  /** The JoinGroup request the coordinator is holding for this member, if any. */
  heldJoin: string | null;
  /** The SyncGroup request the coordinator is holding for this member, if any. */
  heldSync: string | null;
}

export function protocolsEqual(
  a: readonly MemberProtocol[],
  b: readonly MemberProtocol[],
): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.name === b[i]?.name && p.metadata === b[i]?.metadata)
  );
}

/** May a member offering `protocols` join alongside `others` (the group's other members)? */
export function protocolsCompatible(
  others: readonly Member[],
  protocols: readonly MemberProtocol[],
): boolean {
  return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
}

/**
 * The protocol every member supports that most members prefer; ties go to the name first in
 * string order (Kafka leaves ties to its hash map's order, which is no order at all). Undefined
 * when the members share no protocol.
 */
export function selectProtocol(members: readonly Member[]): string | undefined {
  const first = members[0];
  if (first === undefined) return undefined;
  const candidates = first.protocols
    .map((p) => p.name)
    .filter((name) => members.every((m) => m.protocols.some((q) => q.name === name)));
  if (candidates.length === 0) return undefined;
  const votes = new Map<string, number>();
  for (const m of members) {
    const vote = m.protocols.find((p) => candidates.includes(p.name));
    if (vote !== undefined) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestVotes = -1;
  for (const name of [...votes.keys()].sort()) {
    const n = votes.get(name) ?? 0;
    if (n > bestVotes) {
      best = name;
      bestVotes = n;
    }
  }
  return best;
}

export function metadataFor(member: Member, protocol: string | null): string {
  if (protocol === null) return '';
  return member.protocols.find((p) => p.name === protocol)?.metadata ?? '';
}
