/**
 * LMD-GHOST (Buterin et al., "Combining GHOST and Casper", 2020, §3): from the justified
 * checkpoint, walk down, at each block taking the child whose subtree holds the most stake among
 * validators' latest votes (latest message driven: each validator counts once, for its newest
 * vote); ties go to the higher root, as in the consensus specs. Equivocating (slashable)
 * validators do not count.
 */
import type { PosRules } from './config.js';
import type { Root, ValidatorId } from './types.js';

export interface TreeView {
  parentOf(root: Root): Root | undefined;
  childrenOf(root: Root): readonly Root[];
  /** The justified epoch in the block's own state. */
  justifiedEpochOf(root: Root): number;
}

/**
 * The blocks from `justifiedRoot` down that lead to a viable head: a leaf whose own state has
 * justified at least `justifiedEpoch` (the consensus specs' filter_block_tree). Without it a
 * node may head a branch that never saw the justification it knows of, vote with an older
 * source, and have that vote surround its own last one — which its slashing protection then
 * refuses, for good.
 */
function viableSet(tree: TreeView, justifiedRoot: Root, justifiedEpoch: number): Set<Root> {
  const viable = new Set<Root>();
  const visit = (root: Root): boolean => {
    const children = tree.childrenOf(root);
    let any = children.length === 0 && tree.justifiedEpochOf(root) >= justifiedEpoch;
    for (const c of children) if (visit(c)) any = true;
    if (any) viable.add(root);
    return any;
  };
  visit(justifiedRoot);
  return viable;
}

export function ghostHead(
  tree: TreeView,
  justifiedRoot: Root,
  justifiedEpoch: number,
  latestVotes: ReadonlyMap<ValidatorId, Root>,
  stakes: Readonly<Record<ValidatorId, number>>,
  excluded: ReadonlySet<ValidatorId>,
  rules: PosRules,
): Root {
  const weight = new Map<Root, number>();
  if (rules.ghostWeight) {
    for (const [v, head] of latestVotes) {
      if (excluded.has(v)) continue;
      const stake = stakes[v] ?? 0;
      for (let r: Root | undefined = head; r !== undefined; r = tree.parentOf(r)) {
        weight.set(r, (weight.get(r) ?? 0) + stake);
        if (r === justifiedRoot) break;
      }
    }
  }
  const viable = viableSet(tree, justifiedRoot, justifiedEpoch);
  let head = justifiedRoot;
  for (;;) {
    const all = tree.childrenOf(head);
    const children = all.some((c) => viable.has(c)) ? all.filter((c) => viable.has(c)) : all;
    if (children.length === 0) return head;
    let best: Root | undefined;
    for (const c of children) {
      const wc = weight.get(c) ?? 0;
      const wb = best === undefined ? -1 : (weight.get(best) ?? 0);
      if (best === undefined || wc > wb || (wc === wb && c > best)) best = c;
    }
    if (best === undefined) return head;
    head = best;
  }
}
