/**
 * ZooKeeper's numbers, as its clients see them on the wire (KeeperException.Code, CreateMode,
 * Watcher.Event.EventType): the wire codec and the recipes use these, never message text.
 */

/** KeeperException.Code values this state machine returns. */
export const ZK_ERR = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  CONNECTIONLOSS: -4,
  UNIMPLEMENTED: -6,
  BADARGUMENTS: -8,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDACL: -114,
} as const;
export type ZkErrorName = keyof typeof ZK_ERR;
export type ZkErrorCode = (typeof ZK_ERR)[ZkErrorName];

const NAME_OF_CODE = new Map<number, ZkErrorName>(
  (Object.keys(ZK_ERR) as ZkErrorName[]).map((name) => [ZK_ERR[name], name]),
);

/** The code's name (`NONODE`), or `UNKNOWN(n)`. */
export function zkErrorName(code: number): string {
  return NAME_OF_CODE.get(code) ?? `UNKNOWN(${code})`;
}

/** A refused operation, carrying ZooKeeper's code; callers branch on `code`, never on text. */
export class ZkError extends Error {
  constructor(
    readonly code: ZkErrorCode,
    readonly path?: string,
  ) {
    super(`${zkErrorName(code)}${path === undefined ? '' : ` for ${path}`}`);
    this.name = 'ZkError';
  }
}

/** CreateMode, with ZooKeeper's wire numbers. */
export const CREATE_MODES = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const;
export type CreateMode = keyof typeof CREATE_MODES;

export function isCreateMode(x: unknown): x is CreateMode {
  return typeof x === 'string' && Object.hasOwn(CREATE_MODES, x);
}

export const isSequentialMode = (m: CreateMode): boolean =>
  m === 'persistentSequential' ||
  m === 'ephemeralSequential' ||
  m === 'persistentSequentialWithTtl';
export const isTtlMode = (m: CreateMode): boolean =>
  m === 'persistentWithTtl' || m === 'persistentSequentialWithTtl';
export const isEphemeralMode = (m: CreateMode): boolean =>
  m === 'ephemeral' || m === 'ephemeralSequential';

/** Watcher.Event.EventType values of the events a txn can trigger. */
export const EVENT_TYPES = {
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
} as const;
export type WatchEventType = keyof typeof EVENT_TYPES;

/** EphemeralType.MAX_TTL: a TTL is encoded in 40 bits of the ephemeralOwner on ZooKeeper's disk. */
export const MAX_TTL_MS = 0xff_ffff_ffff;

/** jute.maxbuffer's default (1 MiB): the largest znode data ZooKeeper accepts by default. */
export const MAX_DATA_BYTES = 1024 * 1024;
