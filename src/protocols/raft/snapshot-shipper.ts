/**
 * The leader's side of InstallSnapshot (§5.3): one SnapshotSender per follower that fell behind
 * the leader's snapshot, its chunks sent, answered and (when stalled) resent.
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { RaftMsg } from './messages.js';
import { must } from './raft-assert.js';
import type { RaftLog } from './raft-log.js';
import type { Progress } from './replication.js';
import { SnapshotSender } from './snapshot.js';

/** What sending snapshots needs of the leader. */
export interface ShipperHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly log: RaftLog;
  term(): number;
  /** The current read round, which every message to a follower carries (read-index.ts). */
  readRound(): number;
}

export class SnapshotShipper {
  private readonly senders = new Map<NodeId, SnapshotSender>();

  constructor(
    private readonly host: ShipperHost,
    /** InstallSnapshot chunk size in characters of a snapshot part's JSON text. */
    private readonly chunkSize: number,
  ) {}

  /** Starts sending the leader's snapshot to `pr`, whose next entry it no longer holds. */
  start(pr: Progress): void {
    const snap = must(
      this.host.log.snapshot(),
      'snapshot-present-below-log',
      `${pr.id} needs entry ${pr.next}, compacted away, so a snapshot covers it`,
    );
    const sender = new SnapshotSender(snap);
    this.senders.set(pr.id, sender);
    pr.becomeSnapshot();
    this.sendChunk(pr.id, sender);
  }

  private sendChunk(to: NodeId, sender: SnapshotSender): void {
    const { env } = this.host;
    const c = sender.chunk(this.chunkSize);
    sender.sentAt = env.now();
    env.send(to, {
      type: 'snapshot',
      term: this.host.term(),
      index: sender.snapshot.index,
      snapTerm: sender.snapshot.term,
      config: sender.snapshot.config,
      offset: c.offset,
      chunk: c.chunk,
      done: c.done,
      round: this.host.readRound(),
      ...(c.parts === undefined ? {} : { part: c.part, parts: c.parts }),
    });
  }

  /**
   * Resends the chunk to `pr` if no answer came for `stalled` ms (a chunk or its answer was
   * lost). False when `pr` is not receiving a snapshot.
   */
  resendStalled(pr: Progress, now: number, stalled: number): boolean {
    const sender = this.senders.get(pr.id);
    if (pr.state !== 'snapshot' || sender === undefined || now - sender.sentAt <= stalled) {
      return false;
    }
    this.sendChunk(pr.id, sender);
    return true;
  }

  /** A follower's answer short of "installed": sends the next chunk it asks for. */
  onProgress(from: NodeId, m: Extract<RaftMsg, { type: 'snapshot-resp' }>): void {
    const sender = this.senders.get(from);
    if (sender === undefined || m.index !== sender.snapshot.index) return;
    if (sender.answered({ part: m.part ?? 0, offset: m.received })) this.sendChunk(from, sender);
  }

  /** `id` installed its snapshot, left the configuration, or the leadership ended. */
  forget(id: NodeId): void {
    this.senders.delete(id);
  }

  clear(): void {
    this.senders.clear();
  }
}
