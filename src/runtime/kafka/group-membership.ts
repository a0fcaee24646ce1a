/**
 * The consumer group's membership APIs, v0 up to what both clients use: FindCoordinator (10),
 * JoinGroup (11), SyncGroup (14), Heartbeat (12), LeaveGroup (13). The member metadata and
 * assignments they carry are opaque bytes here (consumer-protocol.ts reads them).
 */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

// FindCoordinator, v0–v2

export interface FindCoordinatorRequest {
  readonly key: string;
  /** v1+: 0 group, 1 transaction; 0 before. */
  readonly keyType: number;
}

export interface FindCoordinatorResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export function decodeFindCoordinatorRequest(
  r: WireReader,
  version: number,
): FindCoordinatorRequest {
  const key = r.string();
  const keyType = version >= 1 ? r.int8() : 0;
  return { key, keyType };
}

export function encodeFindCoordinatorResponse(
  w: WireWriter,
  version: number,
  res: FindCoordinatorResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  if (version >= 1) w.nullableString(res.errorMessage);
  w.int32(res.nodeId).string(res.host).int32(res.port);
}

// JoinGroup, v0–v5

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** v1+; equal to the session timeout before, as Kafka takes it. */
  readonly rebalanceTimeoutMs: number;
  /** '' on a member's first join. */
  readonly memberId: string;
  /** v5+ (static membership, KIP-345); null before. */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly { readonly name: string; readonly metadata: Uint8Array }[];
}

export interface JoinGroupResponse {
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  /** Non-empty only in the leader's response: it computes the assignment. */
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly metadata: Uint8Array;
  }[];
}

export function decodeJoinGroupRequest(r: WireReader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array((r) => ({ name: r.string(), metadata: r.bytesField() }));
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId,
    protocolType,
    protocols,
  };
}

export function encodeJoinGroupResponse(
  w: WireWriter,
  version: number,
  res: JoinGroupResponse,
): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName);
  w.string(res.leader).string(res.memberId);
  w.array(res.members, (w, m) => {
    w.string(m.memberId);
    if (version >= 5) w.nullableString(m.groupInstanceId);
    w.bytesField(m.metadata);
  });
}

// SyncGroup, v0–v3

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+. */
  readonly groupInstanceId: string | null;
  /** The leader's assignment, one per member; empty from followers. */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Uint8Array }[];
}

export interface SyncGroupResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly assignment: Uint8Array;
}

export function decodeSyncGroupRequest(r: WireReader, version: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  const assignments = r.array((r) => ({ memberId: r.string(), assignment: r.bytesField() }));
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export function encodeSyncGroupResponse(
  w: WireWriter,
  version: number,
  res: SyncGroupResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).bytesField(res.assignment);
}

// Heartbeat, v0–v3

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
}

export function decodeHeartbeatRequest(r: WireReader, version: number): HeartbeatRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  return { groupId, generationId, memberId, groupInstanceId };
}

export function encodeHeartbeatResponse(
  w: WireWriter,
  version: number,
  res: HeartbeatResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
}

// LeaveGroup, v0–v3 (v3 leaves a batch of members, KIP-345)

export interface LeaveGroupRequest {
  readonly groupId: string;
  /** One member before v3. */
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
  }[];
}

export interface LeaveGroupResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  /** v3+: one error per member asked to leave. */
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly errorCode: number;
  }[];
}

export function decodeLeaveGroupRequest(r: WireReader, version: number): LeaveGroupRequest {
  const groupId = r.string();
  if (version < 3) return { groupId, members: [{ memberId: r.string(), groupInstanceId: null }] };
  const members = r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }));
  return { groupId, members };
}

export function encodeLeaveGroupResponse(
  w: WireWriter,
  version: number,
  res: LeaveGroupResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  if (version >= 3) {
    w.array(res.members, (w, m) => {
      w.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode);
    });
  }
}
