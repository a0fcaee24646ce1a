/**
 * A server's own snapshots: taking them as it applies (staggered across the cluster), and
 * installing one a leader sent. Either may be written beside the log (RaftLog.compactAside,
 * installAside); while one is, no other is taken or installed.
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { Membership, RaftMsg, Snapshot } from './messages.js';
import { must } from './raft-assert.js';
import { RaftLog } from './raft-log.js';
import {
  partsProblem,
  positionFields,
  SnapshotReceiver,
  START,
  takeParts,
  type Position,
  type SnapshotSource,
} from './snapshot.js';

/** What taking and installing snapshots needs of their server. */
export interface KeeperHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly log: RaftLog;
  readonly sm: SnapshotSource;
  term(): number;
  commit(): number;
  /** The configuration before any entry of the log says otherwise. */
  initial(): Membership;
  /** Common to every message from a leader of a current or newer term. */
  heardFromLeader(from: NodeId, term: number): void;
  /** Runs `then` once every write issued so far is durable. */
  durable(then: () => void): void;
  /** `snap` is installed in the log: the state machine and configuration catch up with it. */
  installed(snap: Snapshot): void;
}

export class SnapshotKeeper {
  private readonly receiver = new SnapshotReceiver();
  /**
   * A snapshot (this node's own, or one a leader sent) is being written beside the log
   * (RaftLog.compactAside, installAside): no other is taken or installed until it is done.
   */
  private saving = false;

  constructor(
    private readonly host: KeeperHost,
    /** Take a snapshot once this many entries have been applied since the last one. */
    private readonly every: number,
    /** Where this node's snapshots fall in each period of `every` (see maybeTake). */
    private readonly phase: number,
    /** The compact-before-snapshot-durable mutant. */
    private readonly compactEarly: boolean,
  ) {}

  /**
   * Snapshots at the points k·every + phase (k ≥ 1) of the applied index, the phase spread over
   * half a period by the node's place in the cluster. All replicas apply the same entries at
   * about the same moment, and taking a snapshot holds a node for a while (a large store takes
   * milliseconds to copy and encode): staggered, at most one replica of a majority is busy at a
   * time, instead of every replica at once.
   */
  maybeTake(applied: number): void {
    if (this.saving) return;
    const { log } = this.host;
    const every = this.every;
    const k = Math.max(1, Math.floor((log.snapshotIndex - this.phase) / every) + 1);
    if (applied < k * every + this.phase) return;
    const index = applied;
    const snapshot: Snapshot = {
      index,
      term: must(log.term(index), 'applied-entry-term-known', `entry ${index} is applied`),
      config: log.configAt(index, this.host.initial()),
      parts: takeParts(this.host.sm),
    };
    if (!RaftLog.aside(snapshot)) return log.compact(snapshot);
    // Written beside the log, so this node's acknowledgements do not wait for it; the log is
    // compacted once it is durable.
    this.saving = true;
    log.compactAside(
      snapshot,
      () => {
        this.saving = false;
      },
      this.compactEarly,
    );
  }

  /** A chunk of a leader's snapshot (InstallSnapshot, §5.3). */
  onSnapshot(from: NodeId, m: Extract<RaftMsg, { type: 'snapshot' }>): void {
    const h = this.host;
    const answer = (installed: boolean, at: Position = START): void => {
      const term = h.term();
      h.durable(() =>
        h.env.send(from, {
          type: 'snapshot-resp',
          term,
          index: m.index,
          ...positionFields(at),
          installed,
          round: m.round,
        }),
      );
    };
    if (m.term < h.term()) return answer(false);
    h.heardFromLeader(from, m.term);
    if (m.index <= h.commit()) {
      // Everything the snapshot holds is already committed here, hence identical.
      this.receiver.reset();
      return answer(true);
    }
    // One being written beside the log is answered when it is durable; a chunk of another
    // waits too (the leader resends it when it hears nothing).
    if (this.saving) return;
    const snap = this.receiver.take(m);
    if (snap === null) return answer(false, this.receiver.position);
    // A snapshot that is no snapshot is refused: nothing installed, and the sender starts over
    // from offset 0 (an honest one never sends such a thing).
    const refuse = (problem: string): void => {
      h.env.log('raft: snapshot refused', { from, index: m.index, problem });
      answer(false);
    };
    if ('malformed' in snap) return refuse(snap.malformed);
    const problem = partsProblem(h.sm, snap.parts);
    if (problem !== undefined) return refuse(problem);
    const installed = (): void => {
      h.installed(snap);
      answer(true);
    };
    if (!RaftLog.aside(snap)) {
      h.log.install(snap);
      return installed();
    }
    // Answered "installed" only once its parts are durable beside the log and the log is
    // compacted past it; heartbeats are answered meanwhile.
    this.saving = true;
    h.log.installAside(snap, () => {
      this.saving = false;
      installed();
    });
  }
}
