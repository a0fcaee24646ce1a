/**
 * One consumer group as the coordinator holds it: its state, generation, chosen protocol,
 * leader and members, the member ids handed out but not yet used (MEMBER_ID_REQUIRED), and the
 * deadlines of the rebalance in progress.
 */
import type { Member } from './group-members.js';
import type { GroupStateName } from './group-types.js';

export interface Group {
  readonly groupId: string;
  state: GroupStateName;
  /** Up by one per completed rebalance; 0 for a group that never completed one. */
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  /** In the order members joined: the first becomes leader when the leader goes. */
  readonly members: Map<string, Member>;
  /** Member ids answered with MEMBER_ID_REQUIRED and not yet joined, with when they lapse. */
  readonly pending: Map<string, number>;
  /** PreparingRebalance: when the members that have not rejoined are dropped. */
  joinDeadline: number | null;
  /** PreparingRebalance from Empty: the join completes only here (pushed on by new members,
   * never past `initialDelayCap`), so a group starting up collects its members first. */
  initialDelayUntil: number | null;
  initialDelayCap: number | null;
  /** Members of the current generation that have not sent SyncGroup yet, and until when they
   * may: past it they are dropped and the group rebalances (Kafka 3.x's pending-sync timeout). */
  readonly pendingSync: Set<string>;
  syncDeadline: number | null;
}

export function newGroup(groupId: string): Group {
  return {
    groupId,
    state: 'Empty',
    generationId: 0,
    protocolType: null,
    protocolName: null,
    leaderId: null,
    members: new Map(),
    pending: new Map(),
    joinDeadline: null,
    initialDelayUntil: null,
    initialDelayCap: null,
    pendingSync: new Set(),
    syncDeadline: null,
  };
}

/** The group's rebalance timeout: the longest any member asked for. */
export function rebalanceTimeoutMs(group: Group): number {
  let max = 0;
  for (const m of group.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
  return max;
}

/** Every member has rejoined (its JoinGroup is held) and no handed-out id is still unused. */
export function allMembersJoined(group: Group): boolean {
  if (group.pending.size > 0) return false;
  for (const m of group.members.values()) if (m.heldJoin === null) return false;
  return true;
}
