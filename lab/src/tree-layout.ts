/**
 * Where a tree panel's nodes go (a block tree with its forks): one column per depth, the main
 * chain along the top row, and each fork on a row of its own below, which the fork's own
 * descendants continue. Pure, so it is unit-tested in Node.
 */
import type { TreeNode } from '../../src/core/lab-views.js';

export const COLUMN_WIDTH = 76;
export const ROW_HEIGHT = 28;

export interface PlacedNode {
  readonly node: TreeNode;
  readonly column: number;
  readonly row: number;
}

export interface TreeLayout {
  readonly placed: readonly PlacedNode[];
  readonly edges: readonly { readonly from: PlacedNode; readonly to: PlacedNode }[];
  readonly columns: number;
  readonly rows: number;
}

export function treeLayout(nodes: readonly TreeNode[]): TreeLayout {
  const minDepth = nodes.reduce((m, n) => Math.min(m, n.depth), Infinity);
  const ordered = [...nodes].sort(
    (a, b) => a.depth - b.depth || (a.kind === b.kind ? 0 : a.kind === 'main' ? -1 : 1),
  );
  const byId = new Map<string, PlacedNode>();
  /** Parents whose row a child already continues: a second child forks onto a new row. */
  const continued = new Set<string>();
  let rows = 1;
  for (const node of ordered) {
    const parent = node.parent === null ? undefined : byId.get(node.parent);
    let row: number;
    if (node.kind === 'main') row = 0;
    else if (
      parent !== undefined &&
      parent.node.kind === 'stale' &&
      !continued.has(parent.node.id)
    ) {
      row = parent.row;
      continued.add(parent.node.id);
    } else row = rows++;
    byId.set(node.id, { node, column: node.depth - minDepth, row });
  }
  const placed = [...byId.values()];
  const edges = placed.flatMap((to) => {
    const from = to.node.parent === null ? undefined : byId.get(to.node.parent);
    return from === undefined ? [] : [{ from, to }];
  });
  const columns = placed.reduce((m, p) => Math.max(m, p.column + 1), 0);
  return { placed, edges, columns, rows: placed.length === 0 ? 0 : rows };
}
