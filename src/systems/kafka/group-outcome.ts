/**
 * Building a call's outcome: the answers (to the request just made or to held ones) and the
 * records to persist, and the shapes of the JoinGroup and SyncGroup answers.
 */
import { GROUP_ERR } from './group-errors.js';
import { metadataFor } from './group-members.js';
import type { GroupRecord } from './group-records.js';
import type { Group } from './group-state.js';
import type {
  GroupEvent,
  GroupOutcome,
  GroupResponse,
  JoinGroupResponse,
  SyncGroupResponse,
} from './group-types.js';

export class OutcomeBuilder {
  readonly events: GroupEvent[] = [];
  readonly records: GroupRecord[] = [];
  answer(requestId: string, memberId: string, response: GroupResponse): void {
    this.events.push({ requestId, memberId, response });
  }
  done(): GroupOutcome {
    return { events: this.events, records: this.records };
  }
}

export function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return {
    api: 'JoinGroup',
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    memberId,
    members: [],
  };
}

/** The current generation as `memberId` learns it; only the leader gets the members. */
export function joinAnswer(group: Group, memberId: string): JoinGroupResponse {
  const isLeader = group.leaderId === memberId;
  return {
    api: 'JoinGroup',
    errorCode: GROUP_ERR.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    memberId,
    members: isLeader
      ? [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          metadata: metadataFor(m, group.protocolName),
        }))
      : [],
  };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { api: 'SyncGroup', errorCode, protocolType: null, protocolName: null, assignment: '' };
}

export function syncAnswer(group: Group, errorCode: number, assignment: string): SyncGroupResponse {
  return {
    api: 'SyncGroup',
    errorCode,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    assignment,
  };
}
