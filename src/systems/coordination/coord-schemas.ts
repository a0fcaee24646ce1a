/**
 * The shapes of requests (from clients, through the wire codec) and txns (from a leader,
 * through Zab) as valibot schemas, so a malformed one is refused where it enters rather than
 * deep inside prepare or apply. Values are only shape-checked here: prepare still refuses bad
 * paths, versions and data with ZooKeeper's codes, as ZooKeeper does.
 */
import * as v from 'valibot';
import { schemaProblem } from '../../core/schema-issue.js';
import { MAX_ACL_ENTRIES } from './acl.js';
import { CREATE_MODES, MAX_DATA_BYTES, type CreateMode } from './zk-codes.js';

const int = v.pipe(v.number(), v.safeInteger());
const nonNeg = v.pipe(int, v.minValue(0));
/** A path, bounded; its syntax is prepare's to judge (BADARGUMENTS). */
const path = v.pipe(v.string(), v.maxLength(4096));
/** base64 of at most 1 MiB, plus room for prepare to refuse a slightly larger one by code. */
const data = v.pipe(v.string(), v.maxLength(Math.ceil((MAX_DATA_BYTES + 4) / 3) * 4 + 8));
const mode = v.picklist(Object.keys(CREATE_MODES) as CreateMode[]);
/** An identity: its scheme and id are prepare's to judge (INVALIDACL), only bounded here. */
export const aclIdSchema = v.strictObject({
  scheme: v.pipe(v.string(), v.maxLength(64)),
  id: v.pipe(v.string(), v.maxLength(4096)),
});
export const aclSchema = v.pipe(
  v.array(v.strictObject({ perms: int, id: aclIdSchema })),
  v.maxLength(MAX_ACL_ENTRIES),
);

const opRequest = v.variant('type', [
  v.strictObject({
    type: v.literal('create'),
    path,
    data,
    mode,
    ttl: v.optional(int),
    acl: v.optional(aclSchema),
  }),
  v.strictObject({ type: v.literal('delete'), path, version: int }),
  v.strictObject({ type: v.literal('setData'), path, data, version: int }),
  v.strictObject({ type: v.literal('check'), path, version: int }),
]);

/** ZooKeeper's default jute.maxbuffer bounds a multi's size; this bounds its op count too. */
export const MAX_MULTI_OPS = 1000;

const writeRequest = v.variant('type', [
  ...opRequest.options,
  v.strictObject({
    type: v.literal('multi'),
    ops: v.pipe(v.array(opRequest), v.maxLength(MAX_MULTI_OPS)),
  }),
  v.strictObject({ type: v.literal('setACL'), path, acl: aclSchema, version: int }),
  v.strictObject({ type: v.literal('createSession'), timeout: nonNeg }),
  v.strictObject({ type: v.literal('closeSession') }),
  v.strictObject({ type: v.literal('expireSession'), target: nonNeg }),
  v.strictObject({ type: v.literal('deleteContainer'), path }),
]);

export const requestSchema = v.strictObject({
  session: nonNeg,
  op: writeRequest,
  auth: v.optional(v.pipe(v.array(aclIdSchema), v.maxLength(MAX_ACL_ENTRIES))),
});

export const readRequestSchema = v.variant('type', [
  v.strictObject({ type: v.literal('exists'), path, watch: v.optional(v.boolean()) }),
  v.strictObject({ type: v.literal('getData'), path, watch: v.optional(v.boolean()) }),
  v.strictObject({
    type: v.literal('getChildren'),
    path,
    watch: v.optional(v.boolean()),
    withStat: v.optional(v.boolean()),
  }),
  v.strictObject({ type: v.literal('getAllChildrenNumber'), path }),
  v.strictObject({ type: v.literal('getACL'), path }),
]);

const txnOp = v.variant('type', [
  v.strictObject({
    type: v.literal('create'),
    path,
    data,
    dataLength: v.pipe(nonNeg, v.maxValue(MAX_DATA_BYTES)),
    kind: v.picklist(['persistent', 'ephemeral', 'container', 'ttl']),
    ttl: nonNeg,
    ephemeralOwner: nonNeg,
    parentCversion: int,
    acl: aclSchema,
  }),
  v.strictObject({ type: v.literal('setACL'), path, acl: aclSchema, aversion: nonNeg }),
  v.strictObject({ type: v.literal('delete'), path }),
  v.strictObject({
    type: v.literal('setData'),
    path,
    data,
    dataLength: v.pipe(nonNeg, v.maxValue(MAX_DATA_BYTES)),
    version: nonNeg,
  }),
  v.strictObject({ type: v.literal('check'), path, version: nonNeg }),
  v.strictObject({ type: v.literal('createSession'), session: nonNeg, timeout: nonNeg }),
  v.strictObject({
    type: v.literal('closeSession'),
    session: nonNeg,
    ephemerals: v.array(path),
  }),
]);

export const txnSchema = v.strictObject({
  zxid: nonNeg,
  time: int,
  session: nonNeg,
  body: v.variant('type', [
    ...txnOp.options,
    v.strictObject({
      type: v.literal('multi'),
      ops: v.pipe(v.array(txnOp), v.maxLength(MAX_MULTI_OPS)),
    }),
  ]),
});

/** Why `x` is not a write request, or undefined when it is one. */
export const requestProblem = (x: unknown): string | undefined =>
  schemaProblem(requestSchema, x, 'request');
export const readRequestProblem = (x: unknown): string | undefined =>
  schemaProblem(readRequestSchema, x, 'read');
/** Why `x` is not a txn (e.g. in a peer's proposal), or undefined when it is one. */
export const txnProblem = (x: unknown): string | undefined => schemaProblem(txnSchema, x, 'txn');
