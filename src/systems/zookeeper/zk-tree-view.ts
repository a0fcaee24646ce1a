/**
 * A server's znode tree as its inspect() view carries it, for the lab's node card: every znode
 * in tree order (a parent before its children) with its version, a short preview of its data
 * and, for an ephemeral, its owning session; bounded, so a large tree costs the lab's snapshots
 * little. Plain JSON, computed from the applied state only.
 */
import type { Json } from '../../core/json.js';
import type { CoordState } from '../coordination/data-tree.js';

/** At most this many znodes in a view; the rest are counted (`znodeCount`). */
export const MAX_ZNODES_SHOWN = 40;
const PREVIEW_CHARS = 12;

/** One znode in the view: path, data version, data preview, ephemeral owner (0: none). */
export type ZnodeRow = readonly [path: string, version: number, data: string, owner: number];

/** Path components compared in turn, so `/a/b` comes right after `/a` (not after `/a-x`). */
function treeOrder(a: string, b: string): number {
  const pa = a === '/' ? [] : a.split('/').slice(1);
  const pb = b === '/' ? [] : b.split('/').slice(1);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Printable data as a quoted prefix; anything else as its size. */
export function dataPreview(base64: string): string {
  if (base64 === '') return '';
  let bytes: string;
  try {
    bytes = atob(base64);
  } catch {
    return '?';
  }
  if (!/^[\x20-\x7e]*$/.test(bytes)) return `${bytes.length} B`;
  return bytes.length > PREVIEW_CHARS ? `"${bytes.slice(0, PREVIEW_CHARS)}…"` : `"${bytes}"`;
}

/** The `znodes`, `znodeCount` and `sessions` fields of a server's view. */
export function znodeView(state: CoordState): Record<string, Json> {
  const paths = [...state.nodes.keys()].sort(treeOrder);
  const znodes: Json[] = [];
  for (const path of paths.slice(0, MAX_ZNODES_SHOWN)) {
    const n = state.nodes.get(path);
    if (n === undefined) throw new Error(`znode ${path} listed but absent`);
    const row: ZnodeRow = [path, n.stat.version, dataPreview(n.data), n.stat.ephemeralOwner];
    znodes.push([...row]);
  }
  const sessions = [...state.sessions.keys()].sort((a, b) => a - b);
  return { znodes, znodeCount: paths.length, sessions };
}
