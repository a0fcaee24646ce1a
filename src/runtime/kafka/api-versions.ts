/** ApiVersions (key 18): the client asks which versions we speak; the answer is API_TABLE. */
import { API_TABLE, ApiKey, apiRange, type ApiRange } from './api-versions-table.js';
import { KafkaError } from './kafka-errors.js';
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface ApiVersionsRequest {
  /** v3+ (KIP-511): who the client is; null before v3. */
  readonly clientSoftwareName: string | null;
  readonly clientSoftwareVersion: string | null;
}

export interface ApiVersionEntry {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface ApiVersionsResponse {
  readonly errorCode: number;
  readonly apiKeys: readonly ApiVersionEntry[];
  readonly throttleTimeMs: number;
}

export function decodeApiVersionsRequest(r: WireReader, version: number): ApiVersionsRequest {
  if (version < 3) return { clientSoftwareName: null, clientSoftwareVersion: null };
  const clientSoftwareName = r.compactString();
  const clientSoftwareVersion = r.compactString();
  r.taggedFields();
  return { clientSoftwareName, clientSoftwareVersion };
}

export function encodeApiVersionsResponse(
  w: WireWriter,
  version: number,
  res: ApiVersionsResponse,
): void {
  w.int16(res.errorCode);
  if (version >= 3) {
    w.compactArray(res.apiKeys, (w, k) => {
      w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion).taggedFields();
    });
    w.int32(res.throttleTimeMs);
    w.taggedFields();
    return;
  }
  w.array(res.apiKeys, (w, k) => void w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion));
  if (version >= 1) w.int32(res.throttleTimeMs);
}

const entry = (r: ApiRange): ApiVersionEntry => ({
  apiKey: r.key,
  minVersion: r.min,
  maxVersion: r.max,
});

/** The answer to a version we speak: every API of the table. */
export function supportedApiVersions(): ApiVersionsResponse {
  return { errorCode: KafkaError.NONE, apiKeys: API_TABLE.map(entry), throttleTimeMs: 0 };
}

/**
 * The answer to an ApiVersions version above ours (KIP-511), encoded as v0 whatever was asked:
 * UNSUPPORTED_VERSION and, as Kafka's broker does, only ApiVersions' own range, from which
 * librdkafka picks the version to retry with (kafkajs steps down its own list instead).
 */
export function unsupportedApiVersions(): ApiVersionsResponse {
  const own = apiRange(ApiKey.ApiVersions);
  if (own === undefined) throw new Error('API_TABLE lacks ApiVersions');
  return { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys: [entry(own)], throttleTimeMs: 0 };
}

/**
 * Kafka refuses a v3+ client software name or version outside this pattern with INVALID_REQUEST
 * (the broker checks, the codec only reads); the server calls this.
 */
export function validClientSoftware(s: string): boolean {
  return /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/.test(s);
}
