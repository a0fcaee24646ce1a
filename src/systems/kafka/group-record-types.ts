/**
 * The shapes of the records a group coordinator asks its caller to persist (group-records.ts
 * builds, keys and parses them). Apart, so the request and answer types (group-types.ts) can name
 * them without importing the code that builds them from groups.
 */

export type MemberRecord = {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** The member's metadata for the group's chosen protocol. */
  readonly subscription: string;
  readonly assignment: string;
};

export type GroupMetadataRecord = {
  readonly type: 'group';
  readonly groupId: string;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string | null;
  readonly members: readonly MemberRecord[];
};

export type OffsetRecord = {
  readonly type: 'offset';
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
};

/** Tombstones, written when a group is deleted: one per committed offset, then the group's. */
export type OffsetDeleteRecord = {
  readonly type: 'offset-delete';
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
};
export type GroupDeleteRecord = { readonly type: 'group-delete'; readonly groupId: string };

export type GroupRecord =
  GroupMetadataRecord | OffsetRecord | OffsetDeleteRecord | GroupDeleteRecord;
