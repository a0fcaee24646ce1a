/**
 * The leader's sweep of containers and TTL nodes (ZooKeeper's ContainerManager): a container
 * that had children and has none left, or a TTL node unchanged past its TTL with no children, is
 * deleted by a `deleteContainer` the leader proposes; prepare checks again when it is applied, so
 * a child created meanwhile saves the node.
 */
import type { Json } from '../../core/json.js';
import type { CoordState } from '../coordination/data-tree.js';
import { expiredNodes } from '../coordination/sessions.js';
import type { ZkLogOp } from './zk-machine.js';

/**
 * Ticks between sweeps: each walks the whole tree, so not every tick (ZooKeeper's default
 * interval is a minute; a simulated run lasts seconds).
 */
export const SWEEP_EVERY_TICKS = 4;

export class ContainerSweep {
  /** Paths whose deletion this leader has proposed and that are still due. */
  private readonly proposed = new Set<string>();
  private ticks = 0;

  /** A new term of leadership proposes afresh: the last leader's proposals may be lost. */
  reset(): void {
    this.proposed.clear();
  }

  /**
   * Proposes the deletion of every node due at `now`, once per term while it stays due. Each
   * proposal is its own client (the log position and path), so no earlier request's answer
   * stands in for it.
   */
  sweep(
    state: CoordState,
    now: number,
    position: number,
    propose: (client: string, op: Json) => void,
  ): void {
    if (this.ticks++ % SWEEP_EVERY_TICKS !== 0) return;
    const due = expiredNodes(state, now);
    const still = new Set(due);
    for (const path of this.proposed) if (!still.has(path)) this.proposed.delete(path);
    for (const path of due) {
      if (this.proposed.has(path)) continue;
      this.proposed.add(path);
      const op: ZkLogOp = { w: { type: 'deleteContainer', path }, t: now };
      propose(`sweep:${position}:${path}`, op as unknown as Json);
    }
  }
}
