/**
 * The durable part of consumer groups, as the records the coordinator asks its caller to persist
 * (Kafka writes the same facts to the compacted `__consumer_offsets` topic): a group's generation,
 * protocol, leader and members with their assignments after each completed sync, each committed
 * offset, and tombstones when a group is deleted. Replaying them in order rebuilds every group
 * (see GroupCoordinator.replay). `recordKey` names what a record replaces, so a compacted store
 * may keep only the last record per key and replay still gives the same state.
 */
import type { Json } from '../../core/json.js';
import { metadataFor } from './group-members.js';
import type { Group } from './group-state.js';
import type { GroupMetadataRecord, GroupRecord } from './group-record-types.js';

export type {
  GroupDeleteRecord,
  GroupMetadataRecord,
  GroupRecord,
  MemberRecord,
  OffsetDeleteRecord,
  OffsetRecord,
} from './group-record-types.js';

/** The compaction key: a later record with the same key supersedes an earlier one. */
export function recordKey(record: GroupRecord): string {
  switch (record.type) {
    case 'group':
    case 'group-delete':
      return JSON.stringify(['group', record.groupId]);
    case 'offset':
    case 'offset-delete':
      return JSON.stringify(['offset', record.groupId, record.topic, record.partition]);
  }
}

export class GroupRecordError extends Error {
  readonly code = 'bad-group-record';
  constructor(message: string) {
    super(message);
    this.name = 'GroupRecordError';
  }
}

type Obj = { readonly [key: string]: Json };

function obj(x: Json, what: string): Obj {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    throw new GroupRecordError(`${what}: not an object`);
  }
  return x as Obj;
}
function str(o: Obj, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new GroupRecordError(`${k}: not a string`);
  return v;
}
function strOrNull(o: Obj, k: string): string | null {
  const v = o[k];
  return v === null ? null : str(o, k);
}
function int(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new GroupRecordError(`${k}: not an integer`);
  }
  return v;
}

/** A stored value read back as a GroupRecord, or GroupRecordError naming what is wrong. */
export function parseGroupRecord(x: Json): GroupRecord {
  const o = obj(x, 'record');
  const type = o.type;
  const groupId = str(o, 'groupId');
  switch (type) {
    case 'group': {
      const members = o.members;
      if (!Array.isArray(members)) throw new GroupRecordError('members: not a list');
      return {
        type,
        groupId,
        generationId: int(o, 'generationId'),
        protocolType: strOrNull(o, 'protocolType'),
        protocolName: strOrNull(o, 'protocolName'),
        leader: strOrNull(o, 'leader'),
        members: (members as readonly Json[]).map((m) => {
          const r = obj(m, 'member');
          return {
            memberId: str(r, 'memberId'),
            clientId: str(r, 'clientId'),
            clientHost: str(r, 'clientHost'),
            sessionTimeoutMs: int(r, 'sessionTimeoutMs'),
            rebalanceTimeoutMs: int(r, 'rebalanceTimeoutMs'),
            subscription: str(r, 'subscription'),
            assignment: str(r, 'assignment'),
          };
        }),
      };
    }
    case 'offset':
      return {
        type,
        groupId,
        topic: str(o, 'topic'),
        partition: int(o, 'partition'),
        offset: int(o, 'offset'),
        leaderEpoch: int(o, 'leaderEpoch'),
        metadata: str(o, 'metadata'),
        commitTimestamp: int(o, 'commitTimestamp'),
      };
    case 'offset-delete':
      return { type, groupId, topic: str(o, 'topic'), partition: int(o, 'partition') };
    case 'group-delete':
      return { type, groupId };
    default:
      throw new GroupRecordError(`type: unknown record type ${JSON.stringify(type ?? null)}`);
  }
}

/** The group's durable part as a record: written after each completed sync, and on emptying. */
export function groupRecord(group: Group): GroupMetadataRecord {
  return {
    type: 'group',
    groupId: group.groupId,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      sessionTimeoutMs: m.sessionTimeoutMs,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      subscription: metadataFor(m, group.protocolName),
      assignment: m.assignment,
    })),
  };
}
