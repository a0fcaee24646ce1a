/**
 * The APIs truthkit's broker speaks and the version range of each: the table its ApiVersions
 * response advertises. A client takes, per API, the highest version both sides know, so each
 * range tops out where the clients we test against top out (kafkajs 2.2.4 lists its versions in
 * src/protocol/requests/<api>/index.js; librdkafka 2.0.2, Debian's, caps each request with
 * rd_kafka_broker_ApiVersion_supported), and below the first flexible (KIP-482) version, except
 * ApiVersions v3 which librdkafka sends first. Every version listed here is tested against
 * kafkajs's own encoders and decoders (test/runtime/kafka/wire-apis.test.ts); the versions each
 * `why` says a client takes are what kafkajs 2.2.4 and librdkafka 2.0.2 (kcat, confluent-kafka)
 * chose against this table in kafkajs-client.test.ts and librdkafka-negotiation.test.ts.
 */

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
} as const;

export type ApiName = keyof typeof ApiKey;

export interface ApiRange {
  readonly api: ApiName;
  readonly key: number;
  readonly min: number;
  readonly max: number;
  /** The first version that is flexible (compact types, tagged fields) in Kafka's schema. */
  readonly firstFlexible: number;
  /** Why this range: what each client picks against it. */
  readonly why: string;
}

const range = (
  api: ApiName,
  min: number,
  max: number,
  firstFlexible: number,
  why: string,
): ApiRange => ({ api, key: ApiKey[api], min, max, firstFlexible, why });

export const API_TABLE: readonly ApiRange[] = [
  range('Produce', 3, 7, 9, 'v3: first with batch v2; kafkajs and librdkafka both take 7'),
  range('Fetch', 4, 11, 12, 'v4: first returning batch v2; both take 11 (rack, preferred replica)'),
  range('ListOffsets', 1, 3, 6, 'v1: one timestamp per partition; kafkajs takes 3, librdkafka 2'),
  range('Metadata', 1, 6, 9, 'v1: controller and racks; kafkajs takes 6, librdkafka 4'),
  range('OffsetCommit', 2, 5, 8, 'v2: no per-offset timestamp; both take 5 (kafkajs max)'),
  range('OffsetFetch', 1, 4, 6, 'v1: offsets from the broker, not ZooKeeper; both take 4'),
  range('FindCoordinator', 0, 2, 3, 'both take 2'),
  range('JoinGroup', 0, 5, 6, 'both take 5 (v4 MEMBER_ID_REQUIRED, v5 static membership)'),
  range('Heartbeat', 0, 3, 4, 'both take 3'),
  range('LeaveGroup', 0, 3, 4, 'kafkajs takes 3 (a batch of members), librdkafka 1'),
  range('SyncGroup', 0, 3, 4, 'both take 3'),
  range('DescribeGroups', 0, 2, 5, 'kafkajs takes 2, librdkafka list_groups 0'),
  range('ListGroups', 0, 2, 3, 'kafkajs takes 2, librdkafka list_groups 0'),
  range('ApiVersions', 0, 3, 3, 'librdkafka sends v3 first, kafkajs v2'),
  range('CreateTopics', 0, 3, 5, 'both take 3 (kafkajs max)'),
  range('DeleteTopics', 0, 1, 4, 'both take 1 (kafkajs max)'),
  range('InitProducerId', 0, 1, 2, 'both take 1 (kafkajs max)'),
];

const BY_KEY = new Map<number, ApiRange>(API_TABLE.map((r) => [r.key, r]));

export function apiRange(key: number): ApiRange | undefined {
  return BY_KEY.get(key);
}

export function isFlexible(r: ApiRange, version: number): boolean {
  return version >= r.firstFlexible;
}

export function supports(key: number, version: number): boolean {
  const r = BY_KEY.get(key);
  return r !== undefined && version >= r.min && version <= r.max;
}

/**
 * Request header version: 2 (with tagged fields) in flexible versions, else 1. Kafka's header v0
 * (no client id) is for ControlledShutdown v0 only, which we do not speak.
 */
export function requestHeaderVersion(r: ApiRange, version: number): 1 | 2 {
  return isFlexible(r, version) ? 2 : 1;
}

/**
 * Response header version: 1 (with tagged fields) in flexible versions, else 0; ApiVersions
 * always 0, so a client that does not yet know our versions can read the answer.
 */
export function responseHeaderVersion(r: ApiRange, version: number): 0 | 1 {
  if (r.key === ApiKey.ApiVersions) return 0;
  return isFlexible(r, version) ? 1 : 0;
}
