/**
 * Reads, served by the connected server from its own applied state (sequentially consistent per
 * client; `sync` first for the latest). A read may leave a watch, with ZooKeeper's rules:
 * exists leaves a data watch on a node that exists and an exist watch on one that does not;
 * getData and getChildren leave none on a missing node (they fail with NONODE), nor on one whose
 * ACL refuses them READ (NOAUTH). exists needs no permission, as in ZooKeeper.
 */
import { PERMS, aclAllows, redactDigests, type Acl, type AclId } from './acl.js';
import { allChildrenNumber, sortedChildren, type Stat, type TreeStore } from './data-tree.js';
import type { WatchManager } from './watches.js';
import { ZK_ERR, type ZkErrorCode } from './zk-codes.js';
import { pathProblem } from './znode-paths.js';

export type ReadRequest =
  | { readonly type: 'exists'; readonly path: string; readonly watch?: boolean }
  | { readonly type: 'getData'; readonly path: string; readonly watch?: boolean }
  | {
      readonly type: 'getChildren';
      readonly path: string;
      readonly watch?: boolean;
      /** getChildren2: the parent's stat too. */
      readonly withStat?: boolean;
    }
  | { readonly type: 'getAllChildrenNumber'; readonly path: string }
  | { readonly type: 'getACL'; readonly path: string };

export type ReadResult =
  | { readonly type: 'exists'; readonly stat: Stat | null }
  | { readonly type: 'getData'; readonly data: string; readonly stat: Stat }
  | { readonly type: 'getChildren'; readonly children: readonly string[]; readonly stat?: Stat }
  | { readonly type: 'getAllChildrenNumber'; readonly count: number }
  | { readonly type: 'getACL'; readonly acl: readonly Acl[]; readonly stat: Stat };

export type ReadReply =
  | { readonly ok: true; readonly result: ReadResult }
  | { readonly ok: false; readonly code: ZkErrorCode };

export function read(
  tree: TreeStore,
  watches: WatchManager | undefined,
  session: number,
  req: ReadRequest,
  /** The identities the reader's connection holds; none by default. */
  auth: readonly AclId[] = [],
): ReadReply {
  if (typeof req.path !== 'string' || pathProblem(req.path) !== undefined) {
    return { ok: false, code: ZK_ERR.BADARGUMENTS };
  }
  const node = tree.node(req.path);
  const watch = 'watch' in req && req.watch === true;
  const refused: ReadReply = { ok: false, code: ZK_ERR.NOAUTH };
  switch (req.type) {
    case 'exists':
      if (watch) watches?.add(session, req.path, node === undefined ? 'exist' : 'data');
      return {
        ok: true,
        result: { type: 'exists', stat: node === undefined ? null : { ...node.stat } },
      };
    case 'getData':
      if (node === undefined) return { ok: false, code: ZK_ERR.NONODE };
      if (!aclAllows(node.acl, PERMS.READ, auth)) return refused;
      if (watch) watches?.add(session, req.path, 'data');
      return { ok: true, result: { type: 'getData', data: node.data, stat: { ...node.stat } } };
    case 'getChildren': {
      if (node === undefined) return { ok: false, code: ZK_ERR.NONODE };
      if (!aclAllows(node.acl, PERMS.READ, auth)) return refused;
      if (watch) watches?.add(session, req.path, 'child');
      const children = sortedChildren(node);
      return {
        ok: true,
        result:
          req.withStat === true
            ? { type: 'getChildren', children, stat: { ...node.stat } }
            : { type: 'getChildren', children },
      };
    }
    case 'getAllChildrenNumber': {
      if (node === undefined) return { ok: false, code: ZK_ERR.NONODE };
      if (!aclAllows(node.acl, PERMS.READ, auth)) return refused;
      const count = allChildrenNumber(tree, req.path);
      if (count === undefined) return { ok: false, code: ZK_ERR.NONODE };
      return { ok: true, result: { type: 'getAllChildrenNumber', count } };
    }
    case 'getACL': {
      if (node === undefined) return { ok: false, code: ZK_ERR.NONODE };
      // READ or ADMIN may look; only ADMIN sees digest hashes (FinalRequestProcessor).
      if (!aclAllows(node.acl, PERMS.READ | PERMS.ADMIN, auth)) return refused;
      const acl = aclAllows(node.acl, PERMS.ADMIN, auth) ? node.acl : redactDigests(node.acl);
      return { ok: true, result: { type: 'getACL', acl, stat: { ...node.stat } } };
    }
  }
}
