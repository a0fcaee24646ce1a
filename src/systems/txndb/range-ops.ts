/**
 * What a transaction coordinator asks of a range, as the commands the range's Raft group logs,
 * and the range's own commands (a split, a lease). Every command may carry `at`, the key it was
 * routed by (a record's anchor for the record commands): the range checks, when the command is
 * applied, that `at` and the keys it touches are still its own, since a split may have moved
 * them since the command was sent. Checked with a schema when they arrive: they come from other
 * nodes.
 */
import * as v from 'valibot';
import { schemaProblem } from '../../core/schema-issue.js';
import type { Json } from '../../core/json.js';
import type { Timestamp, TxnMeta } from '../../protocols/mvcc/mvcc-types.js';

const MAX_KEY = 256;
const key = v.pipe(v.string(), v.maxLength(MAX_KEY));
const id = v.pipe(v.string(), v.minLength(1), v.maxLength(128));
const wall = v.pipe(v.number(), v.finite());
const timestamp = v.strictObject({
  wall,
  logical: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});
const txnMeta = v.strictObject({
  id,
  anchor: key,
  epoch: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  writeTs: timestamp,
  priority: v.pipe(v.number(), v.finite()),
});
const value = v.nullable(
  v.union([
    v.string(),
    v.number(),
    v.boolean(),
    v.array(v.unknown()),
    v.record(v.string(), v.unknown()),
  ]),
);

const at = v.optional(key);
const nodeId = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const rangeId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/));

const rangeOp = v.variant('k', [
  v.strictObject({
    k: v.literal('split'),
    key: v.pipe(key, v.minLength(1)),
    gen: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    right: rangeId,
  }),
  v.strictObject({
    k: v.literal('lease'),
    holder: nodeId,
    start: wall,
    expiration: wall,
    prev: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  }),
  v.strictObject({
    k: v.literal('get'),
    at,
    key,
    ts: timestamp,
    limit: v.nullable(timestamp),
    txn: v.nullable(txnMeta),
  }),
  v.strictObject({
    k: v.literal('scan'),
    at,
    lo: key,
    hi: v.nullable(key),
    ts: timestamp,
    limit: v.nullable(timestamp),
    txn: v.nullable(txnMeta),
  }),
  v.strictObject({
    k: v.literal('put'),
    at,
    key,
    value,
    txn: txnMeta,
    lease: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  }),
  v.strictObject({ k: v.literal('resolve'), at, key, id, commitTs: v.nullable(timestamp) }),
  v.strictObject({
    k: v.literal('refresh'),
    at,
    keys: v.pipe(v.array(key), v.maxLength(10_000)),
    spans: v.pipe(v.array(v.tuple([key, v.nullable(key)])), v.maxLength(1_000)),
    from: timestamp,
    to: timestamp,
    id,
  }),
  v.strictObject({
    k: v.literal('begin'),
    at,
    id,
    priority: v.pipe(v.number(), v.finite()),
    now: wall,
  }),
  v.strictObject({ k: v.literal('heartbeat'), at, id, now: wall }),
  v.strictObject({ k: v.literal('commit'), at, id, commitTs: timestamp }),
  v.strictObject({ k: v.literal('rollback'), at, id }),
  v.strictObject({
    k: v.literal('push'),
    at,
    pushee: id,
    pusher: id,
    priority: v.pipe(v.number(), v.finite()),
    now: wall,
  }),
]);

/** The range's own commands, proposed by its leader and never taken from another node. */
export type RangeAdminOp =
  | {
      readonly k: 'split';
      readonly key: string;
      /** The generation of the range being split: a split of an older one is refused. */
      readonly gen: number;
      readonly right: string;
    }
  | {
      readonly k: 'lease';
      readonly holder: string;
      readonly start: number;
      readonly expiration: number;
      /** The sequence of the lease this one follows (0: none yet). */
      readonly prev: number;
    };

export type TxnRangeOp =
  | {
      readonly k: 'get';
      readonly key: string;
      readonly ts: Timestamp;
      readonly limit: Timestamp | null;
      readonly txn: TxnMeta | null;
    }
  | {
      readonly k: 'scan';
      readonly lo: string;
      readonly hi: string | null;
      readonly ts: Timestamp;
      readonly limit: Timestamp | null;
      readonly txn: TxnMeta | null;
    }
  | {
      readonly k: 'put';
      readonly key: string;
      readonly value: Json | null;
      readonly txn: TxnMeta;
      /** The lease it was evaluated under: refused if another lease took effect since. */
      readonly lease?: number;
    }
  | {
      readonly k: 'resolve';
      readonly key: string;
      readonly id: string;
      readonly commitTs: Timestamp | null;
    }
  | {
      readonly k: 'refresh';
      readonly keys: readonly string[];
      readonly spans: readonly (readonly [string, string | null])[];
      readonly from: Timestamp;
      readonly to: Timestamp;
      readonly id: string;
    }
  | { readonly k: 'begin'; readonly id: string; readonly priority: number; readonly now: number }
  | { readonly k: 'heartbeat'; readonly id: string; readonly now: number }
  | { readonly k: 'commit'; readonly id: string; readonly commitTs: Timestamp }
  | { readonly k: 'rollback'; readonly id: string }
  | {
      readonly k: 'push';
      readonly pushee: string;
      readonly pusher: string;
      readonly priority: number;
      readonly now: number;
    };

export type RangeOp = TxnRangeOp & { readonly at?: string };

export type AnyRangeOp = RangeOp | RangeAdminOp;

export function isAdminOp(op: AnyRangeOp): op is RangeAdminOp {
  return op.k === 'split' || op.k === 'lease';
}

/** Why `op` is not a range command (`field: problem`), or undefined when it is one. */
export function rangeOpProblem(op: unknown): string | undefined {
  return schemaProblem(rangeOp, op, 'range op');
}

/** The keys a command touches, to check they belong to the range it was sent to. */
export function keysOf(op: AnyRangeOp): readonly string[] {
  const own = 'at' in op && op.at !== undefined ? [op.at] : [];
  switch (op.k) {
    case 'get':
    case 'put':
    case 'resolve':
      return [...own, op.key];
    case 'scan':
      return [...own, op.lo];
    case 'refresh':
      return [...own, ...op.keys, ...op.spans.map(([lo]) => lo)];
    default:
      return own;
  }
}

const version = v.strictObject({ ts: timestamp, value });
const txnRecord = v.strictObject({
  id,
  anchor: key,
  status: v.picklist(['pending', 'committed', 'aborted']),
  priority: v.pipe(v.number(), v.finite()),
  commitTs: v.nullable(timestamp),
  heartbeat: wall,
});
const descriptor = v.strictObject({
  id: rangeId,
  start: key,
  end: v.nullable(key),
  replicas: v.pipe(v.array(nodeId), v.maxLength(16)),
  generation: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});
const lease = v.nullable(
  v.strictObject({
    holder: nodeId,
    start: wall,
    expiration: wall,
    seq: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  }),
);
const rangeState = v.strictObject({
  desc: descriptor,
  lease,
  mvcc: v.strictObject({
    versions: v.array(v.tuple([key, v.array(version)])),
    intents: v.array(v.tuple([key, v.strictObject({ txn: txnMeta, value })])),
    reads: v.strictObject({
      keys: v.array(v.tuple([key, timestamp, v.nullable(id)])),
      spans: v.array(v.tuple([key, v.nullable(key), timestamp, v.nullable(id)])),
    }),
  }),
  records: v.array(txnRecord),
  sessions: v.array(
    v.tuple([
      v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
      v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
      v.unknown(),
    ]),
  ),
});
const rangeSnapshot = v.strictObject({
  ...rangeState.entries,
  spawned: v.pipe(v.array(rangeState), v.maxLength(4096)),
});

/** Why `data` is a range's first state as its split left it, or undefined when it is one. */
export function rangeStateProblem(data: unknown): string | undefined {
  return schemaProblem(rangeState, data, 'range state');
}

/** Why `data` is not a range's snapshot, or undefined when it is one. */
export function rangeSnapshotProblem(data: unknown): string | undefined {
  return schemaProblem(rangeSnapshot, data, 'snapshot');
}
