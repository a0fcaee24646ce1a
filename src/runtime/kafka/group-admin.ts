/** Looking at groups from outside: DescribeGroups (key 15) and ListGroups (key 16), v0–v2. */
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface DescribeGroupsRequest {
  readonly groups: readonly string[];
}

export interface DescribedMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly memberMetadata: Uint8Array;
  readonly memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead, as Kafka names them. */
  readonly groupState: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: readonly DescribedMember[];
}

export interface DescribeGroupsResponse {
  readonly throttleTimeMs: number;
  readonly groups: readonly DescribedGroup[];
}

export function decodeDescribeGroupsRequest(
  r: WireReader,
  _version: number,
): DescribeGroupsRequest {
  return { groups: r.array((r) => r.string()) };
}

export function encodeDescribeGroupsResponse(
  w: WireWriter,
  version: number,
  res: DescribeGroupsResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.groupState);
    w.string(g.protocolType).string(g.protocolData);
    w.array(g.members, (w, m) => {
      w.string(m.memberId).string(m.clientId).string(m.clientHost);
      w.bytesField(m.memberMetadata).bytesField(m.memberAssignment);
    });
  });
}

export type ListGroupsRequest = Record<string, never>;

export interface ListGroupsResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly groups: readonly { readonly groupId: string; readonly protocolType: string }[];
}

export function decodeListGroupsRequest(_r: WireReader, _version: number): ListGroupsRequest {
  return {};
}

export function encodeListGroupsResponse(
  w: WireWriter,
  version: number,
  res: ListGroupsResponse,
): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  w.array(res.groups, (w, g) => void w.string(g.groupId).string(g.protocolType));
}
