/**
 * Transactions: what the log replicates. `prepare` (requests.ts) has already checked a request
 * against the state and fixed everything that depends on it (the sequential name, the parent's
 * new cversion, the ephemerals a closing session owns), so applying a txn decides nothing: every
 * replica applying the same txns in the same order holds the same tree.
 */
import type { Acl } from './acl.js';
import { emptyNode, type Stat, type TreeStore, type ZnodeKind } from './data-tree.js';
import { baseName, parentOf } from './znode-paths.js';

export type TxnOp =
  | {
      readonly type: 'create';
      readonly path: string;
      readonly data: string;
      readonly dataLength: number;
      readonly kind: ZnodeKind;
      readonly ttl: number;
      readonly ephemeralOwner: number;
      /** The parent's cversion after this create (ZooKeeper's CreateTxn.parentCVersion). */
      readonly parentCversion: number;
      /** The node's ACL as prepare fixed it up (`auth` already replaced). */
      readonly acl: readonly Acl[];
    }
  | {
      readonly type: 'setACL';
      readonly path: string;
      readonly acl: readonly Acl[];
      /** The node's aversion after this txn. */
      readonly aversion: number;
    }
  | { readonly type: 'delete'; readonly path: string }
  | {
      readonly type: 'setData';
      readonly path: string;
      readonly data: string;
      readonly dataLength: number;
      readonly version: number;
    }
  | { readonly type: 'check'; readonly path: string; readonly version: number }
  | { readonly type: 'createSession'; readonly session: number; readonly timeout: number }
  | {
      readonly type: 'closeSession';
      readonly session: number;
      /** The session's ephemerals when the leader prepared the close, deleted in this order. */
      readonly ephemerals: readonly string[];
    };

export type TxnBody = TxnOp | { readonly type: 'multi'; readonly ops: readonly TxnOp[] };

export interface Txn {
  readonly zxid: number;
  /** The leader's clock when it prepared the txn: ctime/mtime, and session creation. */
  readonly time: number;
  /** The session that asked (0: the leader itself, for expiries and container clean-up). */
  readonly session: number;
  readonly body: TxnBody;
}

/** What a txn did, for the reply to the client that asked. */
export type TxnResult =
  | { readonly type: 'create'; readonly path: string; readonly stat: Stat }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'setACL'; readonly stat: Stat }
  | { readonly type: 'check' }
  | { readonly type: 'createSession'; readonly session: number; readonly timeout: number }
  | { readonly type: 'closeSession' }
  | { readonly type: 'multi'; readonly results: readonly TxnResult[] };

/** A broken invariant: a txn that does not fit the state it is applied to. */
export class TxnApplyError extends Error {
  constructor(
    readonly zxid: number,
    what: string,
  ) {
    super(`txn ${zxid} does not apply: ${what}`);
    this.name = 'TxnApplyError';
  }
}

/** Applies one committed txn; zxids must rise. */
export function applyTxn(tree: TreeStore, txn: Txn): TxnResult {
  if (!(txn.zxid > tree.lastZxid())) {
    throw new TxnApplyError(txn.zxid, `zxid not above the last applied ${tree.lastZxid()}`);
  }
  const result =
    txn.body.type === 'multi'
      ? { type: 'multi' as const, results: txn.body.ops.map((op) => applyOp(tree, txn, op)) }
      : applyOp(tree, txn, txn.body);
  tree.setLastZxid(txn.zxid);
  return result;
}

/** Applies one op of a txn without advancing lastZxid (prepare uses it to stage a multi). */
export function applyOp(tree: TreeStore, txn: Txn, op: TxnOp): TxnResult {
  const fail = (what: string): never => {
    throw new TxnApplyError(txn.zxid, `${op.type}: ${what}`);
  };
  switch (op.type) {
    case 'create': {
      if (tree.node(op.path) !== undefined) fail(`${op.path} exists`);
      const parentPath = parentOf(op.path);
      const parent = tree.editNode(parentPath) ?? fail(`no parent ${parentPath}`);
      const node = emptyNode(
        op.kind,
        txn.zxid,
        txn.time,
        op.ephemeralOwner,
        op.ttl,
        op.data,
        op.dataLength,
        op.acl,
      );
      tree.putNode(op.path, node);
      parent.children.add(baseName(op.path));
      parent.stat.numChildren = parent.children.size;
      parent.stat.cversion = op.parentCversion;
      parent.stat.pzxid = txn.zxid;
      if (op.kind === 'ephemeral') {
        const s = tree.editSession(op.ephemeralOwner) ?? fail(`no session ${op.ephemeralOwner}`);
        s.ephemerals.add(op.path);
      }
      return { type: 'create', path: op.path, stat: { ...node.stat } };
    }
    case 'delete': {
      deleteNode(tree, txn, op.path, fail);
      return { type: 'delete' };
    }
    case 'setData': {
      const node = tree.editNode(op.path) ?? fail(`no node ${op.path}`);
      node.data = op.data;
      node.stat.dataLength = op.dataLength;
      node.stat.version = op.version;
      node.stat.mzxid = txn.zxid;
      node.stat.mtime = txn.time;
      return { type: 'setData', stat: { ...node.stat } };
    }
    case 'setACL': {
      const node = tree.editNode(op.path) ?? fail(`no node ${op.path}`);
      node.acl = op.acl;
      node.stat.aversion = op.aversion;
      return { type: 'setACL', stat: { ...node.stat } };
    }
    case 'check':
      return { type: 'check' };
    case 'createSession': {
      if (tree.session(op.session) !== undefined) fail(`session ${op.session} exists`);
      tree.putSession({
        id: op.session,
        timeout: op.timeout,
        createdAt: txn.time,
        ephemerals: new Set(),
      });
      if (op.session >= tree.nextSessionId()) tree.setNextSessionId(op.session + 1);
      return { type: 'createSession', session: op.session, timeout: op.timeout };
    }
    case 'closeSession': {
      if (tree.session(op.session) === undefined) fail(`no session ${op.session}`);
      for (const path of op.ephemerals) deleteNode(tree, txn, path, fail);
      tree.removeSession(op.session);
      return { type: 'closeSession' };
    }
  }
}

function deleteNode(tree: TreeStore, txn: Txn, path: string, fail: (w: string) => never): void {
  const node = tree.node(path) ?? fail(`no node ${path}`);
  if (node.children.size > 0) fail(`${path} has children`);
  const parentPath = parentOf(path);
  const parent = tree.editNode(parentPath) ?? fail(`no parent ${parentPath}`);
  parent.children.delete(baseName(path));
  parent.stat.numChildren = parent.children.size;
  // ZooKeeper's DataTree.deleteNode moves pzxid but leaves cversion: sequence numbers come
  // from creates alone.
  if (txn.zxid > parent.stat.pzxid) parent.stat.pzxid = txn.zxid;
  if (node.kind === 'ephemeral')
    tree.editSession(node.stat.ephemeralOwner)?.ephemerals.delete(path);
  tree.removeNode(path);
}
