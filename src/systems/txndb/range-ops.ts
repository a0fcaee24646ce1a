/**
 * What a transaction coordinator asks of a range, as the commands the range's Raft group logs.
 * Reads are logged too, not answered from the leader's memory: a read leaves its mark in the
 * timestamp cache, and logging it puts that mark on every replica, so whichever replica leads
 * next still pushes a later write above the read (CockroachDB gets the same from a lease's start
 * time; truthkit pays a log write per read for the simpler argument). Checked with a schema when
 * they arrive: they come from other nodes.
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

const rangeOp = v.variant('k', [
  v.strictObject({
    k: v.literal('get'),
    key,
    ts: timestamp,
    limit: v.nullable(timestamp),
    txn: v.nullable(txnMeta),
  }),
  v.strictObject({
    k: v.literal('scan'),
    lo: key,
    hi: v.nullable(key),
    ts: timestamp,
    limit: v.nullable(timestamp),
    txn: v.nullable(txnMeta),
  }),
  v.strictObject({ k: v.literal('put'), key, value, txn: txnMeta }),
  v.strictObject({ k: v.literal('resolve'), key, id, commitTs: v.nullable(timestamp) }),
  v.strictObject({
    k: v.literal('refresh'),
    keys: v.pipe(v.array(key), v.maxLength(10_000)),
    spans: v.pipe(v.array(v.tuple([key, v.nullable(key)])), v.maxLength(1_000)),
    from: timestamp,
    to: timestamp,
    id,
  }),
  v.strictObject({
    k: v.literal('begin'),
    id,
    priority: v.pipe(v.number(), v.finite()),
    now: wall,
  }),
  v.strictObject({ k: v.literal('heartbeat'), id, now: wall }),
  v.strictObject({ k: v.literal('commit'), id, commitTs: timestamp }),
  v.strictObject({ k: v.literal('rollback'), id }),
  v.strictObject({
    k: v.literal('push'),
    pushee: id,
    pusher: id,
    priority: v.pipe(v.number(), v.finite()),
    now: wall,
  }),
]);

export type RangeOp =
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
  | { readonly k: 'put'; readonly key: string; readonly value: Json | null; readonly txn: TxnMeta }
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

/** Why `op` is not a range command (`field: problem`), or undefined when it is one. */
export function rangeOpProblem(op: unknown): string | undefined {
  return schemaProblem(rangeOp, op, 'range op');
}

/** The keys a command touches, to check they belong to the range it was sent to. */
export function keysOf(op: RangeOp): readonly string[] {
  switch (op.k) {
    case 'get':
    case 'put':
    case 'resolve':
      return [op.key];
    case 'scan':
      return [op.lo];
    case 'refresh':
      return [...op.keys, ...op.spans.map(([lo]) => lo)];
    default:
      return [];
  }
}

const version = v.strictObject({ ts: timestamp, value });
const txnRecord = v.strictObject({
  id,
  status: v.picklist(['pending', 'committed', 'aborted']),
  priority: v.pipe(v.number(), v.finite()),
  commitTs: v.nullable(timestamp),
  heartbeat: wall,
});
const rangeSnapshot = v.strictObject({
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

/** Why `data` is not a range's snapshot, or undefined when it is one. */
export function rangeSnapshotProblem(data: unknown): string | undefined {
  return schemaProblem(rangeSnapshot, data, 'snapshot');
}
