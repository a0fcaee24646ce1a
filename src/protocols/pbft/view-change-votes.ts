/**
 * The VIEW-CHANGE messages a replica holds for the view it is entering and for views above it.
 * Of one sender's view-changes for views above the replica's own only the highest is kept, so a
 * faulty replica cannot fill memory with view-changes for ever higher views; f + 1 senders
 * wanting views above ours include an honest one, so the replica joins the smallest of them.
 */
import type { NodeId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';
import type { ViewChangeInfo } from './view-change.js';

export interface HeldViewChange {
  readonly msg: SignedMsg;
  readonly info: ViewChangeInfo;
}

export class ViewChangeVotes {
  private readonly byView = new Map<number, Map<NodeId, HeldViewChange>>();

  /**
   * Keeps a verified view-change for a view ≥ `current` (the caller drops older ones); false
   * when its sender already asked for a higher view above `current`, which is kept instead.
   */
  add(msg: SignedMsg, info: ViewChangeInfo, current: number): boolean {
    if (info.v > current) {
      for (const [v, held] of this.byView) {
        if (v <= current || v === info.v || !held.has(info.i)) continue;
        if (v > info.v) return false;
        held.delete(info.i);
        if (held.size === 0) this.byView.delete(v);
      }
    }
    let m = this.byView.get(info.v);
    if (m === undefined) this.byView.set(info.v, (m = new Map()));
    if (!m.has(info.i)) m.set(info.i, { msg, info });
    return true;
  }

  /** The view-changes held for view `v`, by sender. */
  forView(v: number): ReadonlyMap<NodeId, HeldViewChange> | undefined {
    return this.byView.get(v);
  }

  /**
   * The smallest view above `current` that at least `weak` (f + 1) other replicas asked for
   * between them, or undefined when fewer ask for any view above it.
   */
  joinTarget(current: number, self: NodeId, weak: number): number | undefined {
    const senders = new Set<NodeId>();
    let smallest = Infinity;
    for (const [v, m] of this.byView) {
      if (v <= current) continue;
      for (const i of m.keys()) {
        if (i === self) continue;
        senders.add(i);
        smallest = Math.min(smallest, v);
      }
    }
    return senders.size >= weak ? smallest : undefined;
  }

  /** Forgets the view-changes for views below `v`. */
  dropBelow(v: number): void {
    for (const k of [...this.byView.keys()]) if (k < v) this.byView.delete(k);
  }

  /** Forgets the view-changes for `v` and below (the replica entered `v`). */
  dropThrough(v: number): void {
    this.dropBelow(v + 1);
  }
}
