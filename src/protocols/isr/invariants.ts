/**
 * Replication's safety rules, recorded across every replica of a simulated cluster (one
 * recorder per run, shared by its nodes, like Raft's InvariantRecorder): at most one leader per
 * partition per leader epoch; no replica acts under an epoch older than one it acted under; and
 * a committed offset (one a leader's high watermark passed) is held, with the same batch, by
 * every replica that becomes leader and by every later commit there. (A replica may hold other
 * records at a committed offset for a while — a deposed leader that has not heard of the new
 * epoch appends on, a follower fetches from it — as long as they are truncated before it could
 * lead: checked when it leads.) The first violation is kept; the simulator checks after each
 * step.
 */
import type { NodeId } from '../../core/node.js';
import type { StoredBatch } from './batch.js';

function identity(b: StoredBatch): string {
  return `epoch ${b.leaderEpoch} ${JSON.stringify(b.payload)}`;
}

export class IsrRecorder {
  violation: string | undefined;
  private readonly leaders = new Map<string, NodeId>();
  private readonly epochs = new Map<string, number>();
  /** partition → offset → the committed batch's identity. */
  private readonly committedAt = new Map<string, Map<number, string>>();

  private fail(message: string): void {
    this.violation ??= message;
  }

  /** `node` acts for `partition` under `epoch` (as its leader when `leads`). */
  acting(node: NodeId, partition: string, epoch: number, leads: boolean): void {
    const key = `${node}/${partition}`;
    const seen = this.epochs.get(key) ?? -1;
    if (epoch < seen) {
      this.fail(`${node} acts for ${partition} in leader epoch ${epoch} after epoch ${seen}`);
    }
    this.epochs.set(key, Math.max(seen, epoch));
    if (!leads) return;
    const other = this.leaders.get(`${partition}/${epoch}`);
    if (other !== undefined && other !== node) {
      this.fail(`${partition}: ${other} and ${node} both lead leader epoch ${epoch}`);
    }
    this.leaders.set(`${partition}/${epoch}`, node);
  }

  committed(node: NodeId, partition: string, batches: readonly StoredBatch[]): void {
    let map = this.committedAt.get(partition);
    if (map === undefined) {
      map = new Map();
      this.committedAt.set(partition, map);
    }
    for (const b of batches) {
      const id = identity(b);
      const was = map.get(b.baseOffset);
      if (was !== undefined && was !== id) {
        this.fail(
          `${partition} offset ${b.baseOffset}: committed ${was}, then ${node} committed ${id}`,
        );
      }
      map.set(b.baseOffset, id);
    }
  }

  /** `node` leads `partition` now, with the log `batchAt` reads: it must hold what is committed. */
  leading(
    node: NodeId,
    partition: string,
    batchAt: (offset: number) => StoredBatch | undefined,
  ): void {
    for (const [offset, id] of this.committedAt.get(partition) ?? []) {
      const b = batchAt(offset);
      if (b === undefined) {
        this.fail(`${partition} offset ${offset}: committed ${id}, and ${node} leads without it`);
        return;
      }
      if (identity(b) !== id) {
        this.fail(
          `${partition} offset ${offset}: committed ${id}, and ${node} leads holding ${identity(b)}`,
        );
        return;
      }
    }
  }
}
