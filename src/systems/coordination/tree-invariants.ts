/**
 * What must hold of the replicated state after every txn, checked by the tests after each step
 * and by restore before it trusts a snapshot.
 */
import type { CoordState } from './data-tree.js';
import { base64Bytes, baseName, childPath, parentOf } from './znode-paths.js';

/** The first broken invariant, or undefined when the state is consistent. */
export function treeProblem(state: CoordState): string | undefined {
  if (state.nodes.get('/') === undefined) return 'no root';
  for (const [path, n] of state.nodes) {
    if (path !== '/') {
      const parent = state.nodes.get(parentOf(path));
      if (parent === undefined) return `${path}: no parent`;
      if (!parent.children.has(baseName(path))) return `${path}: not listed by its parent`;
    }
    if (n.stat.numChildren !== n.children.size)
      return `${path}: numChildren ${n.stat.numChildren} ≠ ${n.children.size}`;
    for (const c of n.children) {
      if (!state.nodes.has(childPath(path, c))) return `${path}: lists missing child ${c}`;
    }
    if (base64Bytes(n.data) !== n.stat.dataLength) return `${path}: dataLength does not match data`;
    if (n.kind === 'ephemeral') {
      if (n.children.size > 0) return `${path}: ephemeral with children`;
      const owner = state.sessions.get(n.stat.ephemeralOwner);
      if (owner === undefined)
        return `${path}: ephemeral outlives session ${n.stat.ephemeralOwner}`;
      if (!owner.ephemerals.has(path)) return `${path}: not in its session's ephemerals`;
    } else if (n.stat.ephemeralOwner !== 0) {
      return `${path}: ${n.kind} node with an ephemeralOwner`;
    }
    // Prepare replaces `auth` by the asker's identities: a stored one could never match anyone.
    if (n.acl.some((a) => a.id.scheme === 'auth')) return `${path}: ACL names the auth scheme`;
    if (n.stat.pzxid < n.stat.czxid || n.stat.mzxid < n.stat.czxid)
      return `${path}: zxids out of order`;
    if (n.stat.mzxid > state.lastZxid() || n.stat.pzxid > state.lastZxid())
      return `${path}: zxid above lastZxid`;
  }
  for (const s of state.sessions.values()) {
    if (s.id >= state.nextSessionId()) return `session ${s.id} not below nextSessionId`;
    for (const p of s.ephemerals) {
      if (state.nodes.get(p)?.stat.ephemeralOwner !== s.id)
        return `session ${s.id} lists ${p}, not its own`;
    }
  }
  return undefined;
}
