/**
 * The whole replicated state as plain JSON (for Zab's SNAP sync and the durable snapshot), and
 * back. A snapshot read back is untrusted: its shape is checked with a schema, then the tree's
 * invariants, before any of it is used.
 */
import * as v from 'valibot';
import type { Json } from '../../core/json.js';
import { checkSchema } from '../../core/schema-issue.js';
import { OPEN_ACL } from './acl.js';
import { aclSchema } from './coord-schemas.js';
import { CoordState, type Znode } from './data-tree.js';
import { treeProblem } from './tree-invariants.js';
import { baseName, parentOf, pathProblem } from './znode-paths.js';

export const SNAPSHOT_FORMAT = 'truthkit-zk-state/1';

const int = v.pipe(v.number(), v.safeInteger());
const nonNeg = v.pipe(int, v.minValue(0));
const statSchema = v.strictObject({
  czxid: nonNeg,
  mzxid: nonNeg,
  pzxid: nonNeg,
  ctime: int,
  mtime: int,
  version: nonNeg,
  cversion: int,
  aversion: nonNeg,
  ephemeralOwner: nonNeg,
  dataLength: nonNeg,
  numChildren: nonNeg,
});
const snapshotSchema = v.strictObject({
  format: v.literal(SNAPSHOT_FORMAT),
  tickMs: v.pipe(int, v.minValue(1)),
  lastZxid: nonNeg,
  nextSessionId: v.pipe(int, v.minValue(1)),
  nodes: v.array(
    v.strictObject({
      path: v.string(),
      data: v.string(),
      kind: v.picklist(['persistent', 'ephemeral', 'container', 'ttl']),
      ttl: nonNeg,
      stat: statSchema,
      /** Absent in snapshots written before ACLs were kept: world:anyone, all. */
      acl: v.optional(aclSchema),
    }),
  ),
  sessions: v.array(
    v.strictObject({ id: v.pipe(int, v.minValue(1)), timeout: nonNeg, createdAt: int }),
  ),
});

export class SnapshotError extends Error {
  constructor(readonly problem: string) {
    super(`zookeeper state snapshot refused: ${problem}`);
    this.name = 'SnapshotError';
  }
}

export function snapshotState(state: CoordState): Json {
  const nodes = [...state.nodes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, n]) => ({
      path,
      data: n.data,
      kind: n.kind,
      ttl: n.ttl,
      stat: { ...n.stat },
      acl: n.acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } })),
    }));
  const sessions = [...state.sessions.values()]
    .sort((a, b) => a.id - b.id)
    .map((s) => ({ id: s.id, timeout: s.timeout, createdAt: s.createdAt }));
  return {
    format: SNAPSHOT_FORMAT,
    tickMs: state.config.tickMs,
    lastZxid: state.lastZxid(),
    nextSessionId: state.nextSessionId(),
    nodes,
    sessions,
  };
}

export function restoreState(json: unknown): CoordState {
  const checked = checkSchema(snapshotSchema, json, 'snapshot');
  if ('problem' in checked) throw new SnapshotError(checked.problem);
  const snap = checked.value;
  const state = new CoordState({ tickMs: snap.tickMs });
  state.nodes.clear();
  for (const s of snap.sessions) {
    if (state.sessions.has(s.id)) throw new SnapshotError(`session ${s.id} twice`);
    state.sessions.set(s.id, { ...s, ephemerals: new Set() });
  }
  for (const n of snap.nodes) {
    if (pathProblem(n.path) !== undefined) throw new SnapshotError(`${n.path}: invalid path`);
    if (state.nodes.has(n.path)) throw new SnapshotError(`${n.path} twice`);
    const node: Znode = {
      data: n.data,
      kind: n.kind,
      ttl: n.ttl,
      stat: { ...n.stat },
      children: new Set(),
      acl: n.acl ?? OPEN_ACL,
    };
    state.nodes.set(n.path, node);
  }
  for (const [path, n] of state.nodes) {
    if (path !== '/') {
      const parent = state.nodes.get(parentOf(path));
      if (parent === undefined) throw new SnapshotError(`${path}: no parent`);
      parent.children.add(baseName(path));
    }
    if (n.kind === 'ephemeral') {
      const owner = state.sessions.get(n.stat.ephemeralOwner);
      if (owner === undefined) throw new SnapshotError(`${path}: owner session missing`);
      owner.ephemerals.add(path);
    }
  }
  state.setLastZxid(snap.lastZxid);
  state.setNextSessionId(snap.nextSessionId);
  const problem = treeProblem(state);
  if (problem !== undefined) throw new SnapshotError(problem);
  return state;
}
