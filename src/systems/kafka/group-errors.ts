/**
 * The Kafka error codes the group coordinator and the offset store answer with: the numbers are
 * Kafka's own (org.apache.kafka.common.protocol.Errors), so the wire front end copies them into
 * responses unchanged and clients react to them as they do against a Kafka broker.
 */
export const GROUP_ERR = {
  NONE: 0,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
} as const;

export type GroupErrorCode = (typeof GROUP_ERR)[keyof typeof GROUP_ERR];

/**
 * A request the coordinator cannot act on because a number in it is not an integer (or is
 * negative where it must not be): the wire front end has decoded something it should have
 * refused. It answers INVALID_REQUEST or closes that connection; nothing has changed.
 */
export class GroupRequestError extends Error {
  readonly code = 'bad-group-request';
  constructor(message: string) {
    super(message);
    this.name = 'GroupRequestError';
  }
}

export function requireInt(name: string, value: number, min = Number.MIN_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new GroupRequestError(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}
