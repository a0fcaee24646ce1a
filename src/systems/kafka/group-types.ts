/**
 * What the group coordinator is asked and what it answers, as plain data. Opaque client bytes
 * (a member's subscription metadata, the leader's assignments, an offset's metadata) are strings
 * here: the wire front end carries the bytes as base64 and the simulator uses any text, and the
 * coordinator never looks inside them.
 *
 * Every call that changes state returns a `GroupOutcome`: answers (`events`, each naming the
 * request it answers — possibly one the caller is still holding from an earlier call) and records
 * to persist. The caller makes `records` durable first and only then sends `events`: a SyncGroup
 * answer or an OffsetCommit acknowledgement must not reach a client before what it promises is
 * stored.
 */
import type { GroupRecord } from './group-record-types.js';

export const GROUP_STATES = [
  'Empty',
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
] as const;
export type GroupStateName = (typeof GROUP_STATES)[number];

/** One protocol a member offers (for consumers: an assignor name and its subscription). */
export interface MemberProtocol {
  readonly name: string;
  readonly metadata: string;
}

export interface JoinGroupRequest {
  readonly requestId: string;
  readonly groupId: string;
  /** '' on a member's first join. */
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly MemberProtocol[];
  /** JoinGroup v4 and later: a first join is answered MEMBER_ID_REQUIRED with the new id. */
  readonly requireKnownMemberId: boolean;
}

export interface JoinGroupResponse {
  readonly api: 'JoinGroup';
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  /** Every member's metadata for the chosen protocol, for the leader only (empty for others). */
  readonly members: readonly { readonly memberId: string; readonly metadata: string }[];
}

export interface SyncGroupRequest {
  readonly requestId: string;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** SyncGroup v5 sends these; null (older versions) skips the check. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** The leader's assignment per member; followers send none. */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: string }[];
}

export interface SyncGroupResponse {
  readonly api: 'SyncGroup';
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: string;
}

export interface HeartbeatRequest {
  readonly requestId: string;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
}

export interface HeartbeatResponse {
  readonly api: 'Heartbeat';
  readonly errorCode: number;
}

export interface LeaveGroupRequest {
  readonly requestId: string;
  readonly groupId: string;
  /** One member (v0–v2) or many (v3+). */
  readonly memberIds: readonly string[];
}

export interface LeaveGroupResponse {
  readonly api: 'LeaveGroup';
  readonly errorCode: number;
  readonly members: readonly { readonly memberId: string; readonly errorCode: number }[];
}

export interface OffsetCommitPartition {
  readonly partition: number;
  readonly offset: number;
  /** The leader epoch of the record at offset − 1 as the consumer saw it; -1 when unknown. */
  readonly leaderEpoch: number;
  readonly metadata: string;
}

export interface OffsetCommitRequest {
  readonly requestId: string;
  readonly groupId: string;
  /** -1 for a "simple" commit by a client not using group management. */
  readonly generationId: number;
  readonly memberId: string;
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly OffsetCommitPartition[];
  }[];
}

export interface OffsetCommitResponse {
  readonly api: 'OffsetCommit';
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly { readonly partition: number; readonly errorCode: number }[];
  }[];
}

export interface DeleteGroupsResponse {
  readonly api: 'DeleteGroups';
  readonly results: readonly { readonly groupId: string; readonly errorCode: number }[];
}

export type GroupResponse =
  | JoinGroupResponse
  | SyncGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | OffsetCommitResponse
  | DeleteGroupsResponse;

/** An answer to the request `requestId` (sent by `memberId`, when a member sent it). */
export interface GroupEvent {
  readonly requestId: string;
  readonly memberId: string;
  readonly response: GroupResponse;
}

export interface GroupOutcome {
  readonly events: readonly GroupEvent[];
  readonly records: readonly GroupRecord[];
}

export interface OffsetFetchRequest {
  readonly groupId: string;
  /** null: every partition the group has an offset for. */
  readonly topics:
    readonly { readonly topic: string; readonly partitions: readonly number[] }[] | null;
}

export interface FetchedOffset {
  readonly partition: number;
  /** -1 when the group has committed nothing for the partition. */
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface OffsetFetchResponse {
  readonly errorCode: number;
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly FetchedOffset[];
  }[];
}

export interface DescribedMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's metadata for the chosen protocol, and its assignment: only when Stable. */
  readonly metadata: string;
  readonly assignment: string;
}

export interface DescribedGroup {
  readonly groupId: string;
  readonly errorCode: number;
  readonly state: GroupStateName;
  readonly protocolType: string;
  /** The chosen protocol when Stable, '' otherwise (as Kafka's DescribeGroups). */
  readonly protocolData: string;
  readonly members: readonly DescribedMember[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: GroupStateName;
}
