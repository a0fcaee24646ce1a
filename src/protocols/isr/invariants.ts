/**
 * Replication's safety rules, recorded across every replica of a simulated cluster (one
 * recorder per run, shared by its nodes, like Raft's InvariantRecorder): at most one leader per
 * partition per leader epoch; no replica acts under an epoch older than one it acted under; and
 * a committed offset (one a leader's high watermark passed) is held, with the same batch, by
 * every replica that becomes leader of a later epoch and by every later commit there. (A replica
 * may hold other records at a committed offset for a while — a deposed leader that has not heard
 * of the new epoch appends on, a follower fetches from it — as long as they are truncated before
 * it could lead: checked when it leads.) The first violation is kept; the simulator checks after
 * each step.
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
  /** partition → offset → the committed batch's identity, and the epoch whose leader committed it. */
  private readonly committedAt = new Map<string, Map<number, { id: string; epoch: number }>>();

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

  committed(node: NodeId, partition: string, epoch: number, batches: readonly StoredBatch[]): void {
    let map = this.committedAt.get(partition);
    if (map === undefined) {
      map = new Map();
      this.committedAt.set(partition, map);
    }
    for (const b of batches) {
      const id = identity(b);
      const was = map.get(b.baseOffset)?.id;
      if (was !== undefined && was !== id) {
        this.fail(
          `${partition} offset ${b.baseOffset}: committed ${was}, then ${node} committed ${id}`,
        );
      }
      if (was === undefined) map.set(b.baseOffset, { id, epoch });
    }
  }

  /**
   * `node` leads `partition` in `epoch` now, with the log `batchAt` reads: it must hold what
   * leaders of earlier epochs committed. (Not what later epochs' leaders did: a broker whose
   * metadata lags may act as the leader of an epoch already superseded. It cannot commit there —
   * the ISR it knows has moved on — and it truncates once it learns of the newer epochs.)
   */
  leading(
    node: NodeId,
    partition: string,
    epoch: number,
    batchAt: (offset: number) => StoredBatch | undefined,
  ): void {
    for (const [offset, c] of this.committedAt.get(partition) ?? []) {
      if (c.epoch >= epoch) continue;
      const b = batchAt(offset);
      if (b === undefined || identity(b) !== c.id) {
        const held = b === undefined ? 'without it' : `holding ${identity(b)}`;
        this.fail(
          `${partition} offset ${offset}: committed ${c.id} in epoch ${c.epoch}, and ${node} ` +
            `leads epoch ${epoch} ${held}`,
        );
        return;
      }
    }
  }
}
