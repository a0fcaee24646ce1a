/**
 * Requests and `prepare`: ZooKeeper's PrepRequestProcessor. A write request is checked against
 * the current state (plus, on a leader, the txns it has proposed but not applied: pass an
 * Overlay holding them) and becomes a txn, or is refused with ZooKeeper's error code. Prepare is
 * pure: the same state, request, zxid and time give the same answer on any machine.
 */
import { OPEN_ACL, PERMS, aclAllows, fixupAcl, type Acl, type AclId } from './acl.js';
import { Overlay, type TreeStore, type Znode } from './data-tree.js';
import { negotiateTimeout } from './sessions.js';
import { applyOp, type Txn, type TxnOp } from './txns.js';
import {
  MAX_DATA_BYTES,
  MAX_TTL_MS,
  ZK_ERR,
  isCreateMode,
  isEphemeralMode,
  isSequentialMode,
  isTtlMode,
  type CreateMode,
  type ZkErrorCode,
} from './zk-codes.js';
import { base64Bytes, parentOf, pathProblem, sequenceSuffix } from './znode-paths.js';

/** The ops a multi may hold. */
export type OpRequest =
  | {
      readonly type: 'create';
      readonly path: string;
      /** base64. */
      readonly data: string;
      readonly mode: CreateMode;
      /** ms, TTL modes only. */
      readonly ttl?: number;
      /** Absent: world:anyone may do anything (for callers that do not speak ACLs). */
      readonly acl?: readonly Acl[];
    }
  | { readonly type: 'delete'; readonly path: string; readonly version: number }
  | {
      readonly type: 'setData';
      readonly path: string;
      readonly data: string;
      readonly version: number;
    }
  | { readonly type: 'check'; readonly path: string; readonly version: number };

export type WriteRequest =
  | OpRequest
  | { readonly type: 'multi'; readonly ops: readonly OpRequest[] }
  | {
      readonly type: 'setACL';
      readonly path: string;
      readonly acl: readonly Acl[];
      /** The aversion expected, or -1 for any. */
      readonly version: number;
    }
  | { readonly type: 'createSession'; readonly timeout: number }
  | { readonly type: 'closeSession' }
  /** Leader-proposed: `target`'s timeout passed on the leader's clock. */
  | { readonly type: 'expireSession'; readonly target: number }
  /** Leader-proposed: an empty container, or a TTL node past its TTL. */
  | { readonly type: 'deleteContainer'; readonly path: string };

export interface Request {
  /** The asking session; 0 for the leader's own expireSession / deleteContainer. */
  readonly session: number;
  readonly op: WriteRequest;
  /**
   * The identities the asking connection holds (its digest auths, its ip), which ACLs are
   * checked against; absent: none, so only what world:anyone may do is allowed.
   */
  readonly auth?: readonly AclId[];
}

/** A multi's per-op outcome when it is refused: 0 before the failing op, its code, then -2. */
export type Prepared =
  | { readonly ok: true; readonly txn: Txn }
  | { readonly ok: false; readonly code: ZkErrorCode; readonly opCodes?: readonly ZkErrorCode[] };

/**
 * Deliberately broken rules (mutants) that the tests must catch:
 *  - `multi-partial`: a multi whose op fails still commits the ops before it;
 *  - `keep-ephemerals`: closing or expiring a session leaves its ephemerals in the tree;
 *  - `ignore-acl`: setData does not check that the node's ACL grants WRITE.
 */
export const COORD_MUTANTS = ['multi-partial', 'keep-ephemerals', 'ignore-acl'] as const;
export type CoordMutant = (typeof COORD_MUTANTS)[number];

class Refused {
  constructor(readonly code: ZkErrorCode) {}
}
const refuse = (code: ZkErrorCode): never => {
  throw new Refused(code);
};

export function prepare(
  tree: TreeStore,
  request: Request,
  zxid: number,
  time: number,
  mutant?: CoordMutant,
): Prepared {
  if (!Number.isSafeInteger(zxid) || zxid <= tree.lastZxid()) {
    throw new RangeError(`zxid ${zxid} must be an integer above ${tree.lastZxid()}`);
  }
  const { op, session } = request;
  const ctx: PrepContext = { session, auth: request.auth ?? [], mutant };
  const txn = (body: Txn['body']): Prepared => ({ ok: true, txn: { zxid, time, session, body } });
  try {
    if (op.type === 'createSession') {
      if (!isInt(op.timeout) || op.timeout < 0) refuse(ZK_ERR.BADARGUMENTS);
      const id = tree.nextSessionId();
      return txn({
        type: 'createSession',
        session: id,
        timeout: negotiateTimeout(op.timeout, tree.config.tickMs),
      });
    }
    if (op.type === 'expireSession' || op.type === 'deleteContainer') {
      if (session !== 0) refuse(ZK_ERR.BADARGUMENTS);
    } else if (session === 0 || tree.session(session) === undefined) {
      refuse(ZK_ERR.SESSIONEXPIRED);
    }
    switch (op.type) {
      case 'closeSession':
        return txn(closeSession(tree, session, mutant));
      case 'expireSession':
        if (tree.session(op.target) === undefined) refuse(ZK_ERR.SESSIONEXPIRED);
        return txn(closeSession(tree, op.target, mutant));
      case 'deleteContainer':
        return txn(deleteContainer(tree, op.path, time));
      case 'multi':
        return prepareMulti(tree, ctx, op.ops, zxid, time);
      case 'setACL':
        return txn(prepareSetAcl(tree, ctx, op));
      default:
        return txn(prepareOp(tree, ctx, op));
    }
  } catch (e) {
    if (e instanceof Refused) return { ok: false, code: e.code };
    throw e;
  }
}

/** Who asks: the session, the identities its connection holds, and the rule broken if any. */
interface PrepContext {
  readonly session: number;
  readonly auth: readonly AclId[];
  readonly mutant: CoordMutant | undefined;
}

function prepareMulti(
  tree: TreeStore,
  ctx: PrepContext,
  ops: readonly OpRequest[],
  zxid: number,
  time: number,
): Prepared {
  const { session, mutant } = ctx;
  if (!Array.isArray(ops)) refuse(ZK_ERR.BADARGUMENTS);
  // Each op sees the effects of the ones before it, as ZooKeeper's outstanding changes do.
  const staged = new Overlay(tree);
  const stagedTxn: Txn = { zxid, time, session, body: { type: 'multi', ops: [] } };
  const txnOps: TxnOp[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op === undefined) throw new Error('multi: hole in ops');
    let t: TxnOp;
    try {
      t = prepareOp(staged, ctx, op);
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      if (mutant === 'multi-partial' && i > 0) {
        return { ok: true, txn: { zxid, time, session, body: { type: 'multi', ops: txnOps } } };
      }
      const opCodes = ops.map((_, j): ZkErrorCode =>
        j < i ? ZK_ERR.OK : j === i ? e.code : ZK_ERR.RUNTIMEINCONSISTENCY,
      );
      return { ok: false, code: e.code, opCodes };
    }
    applyOp(staged, stagedTxn, t);
    txnOps.push(t);
  }
  return { ok: true, txn: { zxid, time, session, body: { type: 'multi', ops: txnOps } } };
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || pathProblem(path) !== undefined) refuse(ZK_ERR.BADARGUMENTS);
}

function dataBytes(data: unknown): number {
  const n = typeof data === 'string' ? base64Bytes(data) : undefined;
  if (n === undefined || n > MAX_DATA_BYTES) return refuse(ZK_ERR.BADARGUMENTS);
  return n;
}

function checkVersion(node: Znode, version: unknown): void {
  if (!isInt(version) || version < -1) refuse(ZK_ERR.BADARGUMENTS);
  if (version !== -1 && version !== node.stat.version) refuse(ZK_ERR.BADVERSION);
}

/** NOAUTH unless `node`'s ACL grants `perm` to one of the asker's identities. */
function checkAcl(node: Znode, perm: number, ctx: PrepContext): void {
  if (!aclAllows(node.acl, perm, ctx.auth)) refuse(ZK_ERR.NOAUTH);
}

function storedAcl(acl: unknown, ctx: PrepContext): readonly Acl[] {
  const fixed = fixupAcl(acl, ctx.auth);
  return 'code' in fixed ? refuse(fixed.code) : fixed.acl;
}

// Each op checks in ZooKeeper's order (PrepRequestProcessor): arguments, the ACL list given,
// the node (or parent) exists, the ACL that guards it, then versions and the tree's rules.
function prepareOp(tree: TreeStore, ctx: PrepContext, op: OpRequest): TxnOp {
  switch (op.type) {
    case 'create':
      return prepareCreate(tree, ctx, op);
    case 'delete': {
      checkPath(op.path);
      if (op.path === '/' || op.path === '/zookeeper') refuse(ZK_ERR.BADARGUMENTS);
      // The parent's DELETE permission guards its children, checked before the child is looked at.
      const parent = tree.node(parentOf(op.path)) ?? refuse(ZK_ERR.NONODE);
      checkAcl(parent, PERMS.DELETE, ctx);
      const node = tree.node(op.path) ?? refuse(ZK_ERR.NONODE);
      checkVersion(node, op.version);
      if (node.children.size > 0) refuse(ZK_ERR.NOTEMPTY);
      return { type: 'delete', path: op.path };
    }
    case 'setData': {
      checkPath(op.path);
      const dataLength = dataBytes(op.data);
      const node = tree.node(op.path) ?? refuse(ZK_ERR.NONODE);
      if (ctx.mutant !== 'ignore-acl') checkAcl(node, PERMS.WRITE, ctx);
      checkVersion(node, op.version);
      return {
        type: 'setData',
        path: op.path,
        data: op.data,
        dataLength,
        version: node.stat.version + 1,
      };
    }
    case 'check': {
      checkPath(op.path);
      const node = tree.node(op.path) ?? refuse(ZK_ERR.NONODE);
      checkAcl(node, PERMS.READ, ctx);
      checkVersion(node, op.version);
      return { type: 'check', path: op.path, version: node.stat.version };
    }
    default:
      return refuse(ZK_ERR.UNIMPLEMENTED);
  }
}

function prepareSetAcl(
  tree: TreeStore,
  ctx: PrepContext,
  op: Extract<WriteRequest, { type: 'setACL' }>,
): TxnOp {
  checkPath(op.path);
  const acl = storedAcl(op.acl, ctx);
  const node = tree.node(op.path) ?? refuse(ZK_ERR.NONODE);
  checkAcl(node, PERMS.ADMIN, ctx);
  if (!isInt(op.version) || op.version < -1) refuse(ZK_ERR.BADARGUMENTS);
  if (op.version !== -1 && op.version !== node.stat.aversion) refuse(ZK_ERR.BADVERSION);
  return { type: 'setACL', path: op.path, acl, aversion: node.stat.aversion + 1 };
}

function prepareCreate(
  tree: TreeStore,
  ctx: PrepContext,
  op: Extract<OpRequest, { type: 'create' }>,
): TxnOp {
  const { session } = ctx;
  if (!isCreateMode(op.mode)) return refuse(ZK_ERR.BADARGUMENTS);
  if (typeof op.path !== 'string') return refuse(ZK_ERR.BADARGUMENTS);
  const sequential = isSequentialMode(op.mode);
  // A sequential path may end in '/': the suffix becomes the whole last component.
  if (!sequential && op.path === '/') refuse(ZK_ERR.NODEEXISTS);
  if (pathProblem(sequential ? `${op.path}1` : op.path) !== undefined) refuse(ZK_ERR.BADARGUMENTS);
  const ttl = op.ttl ?? 0;
  if (isTtlMode(op.mode) ? !isInt(ttl) || ttl <= 0 || ttl > MAX_TTL_MS : ttl !== 0) {
    refuse(ZK_ERR.BADARGUMENTS);
  }
  const dataLength = dataBytes(op.data);
  const acl = op.acl === undefined ? OPEN_ACL : storedAcl(op.acl, ctx);
  const parentPath = parentOf(sequential ? `${op.path}1` : op.path);
  const parent = tree.node(parentPath) ?? refuse(ZK_ERR.NONODE);
  checkAcl(parent, PERMS.CREATE, ctx);
  const path = sequential ? op.path + sequenceSuffix(parent.stat.cversion) : op.path;
  if (tree.node(path) !== undefined) refuse(ZK_ERR.NODEEXISTS);
  if (parent.kind === 'ephemeral') refuse(ZK_ERR.NOCHILDRENFOREPHEMERALS);
  const kind = isEphemeralMode(op.mode)
    ? 'ephemeral'
    : op.mode === 'container'
      ? 'container'
      : isTtlMode(op.mode)
        ? 'ttl'
        : 'persistent';
  return {
    type: 'create',
    path,
    data: op.data,
    dataLength,
    kind,
    ttl,
    ephemeralOwner: kind === 'ephemeral' ? session : 0,
    parentCversion: parent.stat.cversion + 1,
    acl,
  };
}

function closeSession(tree: TreeStore, session: number, mutant: CoordMutant | undefined): TxnOp {
  const s = tree.session(session) ?? refuse(ZK_ERR.SESSIONEXPIRED);
  const ephemerals = mutant === 'keep-ephemerals' ? [] : [...s.ephemerals].sort();
  return { type: 'closeSession', session, ephemerals };
}

function deleteContainer(tree: TreeStore, path: string, time: number): TxnOp {
  checkPath(path);
  const node = tree.node(path) ?? refuse(ZK_ERR.NONODE);
  if (node.children.size > 0) refuse(ZK_ERR.NOTEMPTY);
  const due =
    node.kind === 'container'
      ? node.stat.cversion > 0
      : node.kind === 'ttl'
        ? time - node.stat.mtime > node.ttl
        : false;
  if (!due) refuse(ZK_ERR.BADARGUMENTS);
  return { type: 'delete', path };
}
