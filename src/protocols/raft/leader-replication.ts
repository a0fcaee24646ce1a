/**
 * The leader's replication loop (§3.5, §10.2): one Progress per follower and learner, appends
 * pipelined within a window and sent once per instant, heartbeats that recover stalled
 * pipelines and snapshot transfers, the followers' answers, and the commitment rule (§3.6.2),
 * counting the leader's own copy only once it is durable (§10.2.1).
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { RaftTiming, Role } from './election.js';
import { hasQuorum, replicationTargets } from './membership.js';
import type { Entry, Membership, RaftMsg } from './messages.js';
import type { RaftMutants } from './mutants.js';
import { must } from './raft-assert.js';
import type { RaftLog } from './raft-log.js';
import {
  commitCandidate,
  MAX_APPEND_SIZE,
  MAX_BATCH,
  Progress,
  retryIndex,
} from './replication.js';
import { SnapshotShipper } from './snapshot-shipper.js';

/** What the leader's replication needs of its server. */
export interface ReplicationHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly log: RaftLog;
  readonly timing: RaftTiming;
  readonly mutants: Pick<RaftMutants, 'commitOldTerm' | 'noSyncBeforeAck'>;
  role(): Role;
  term(): number;
  commit(): number;
  config(): Membership;
  /** The current read round, which every message to a follower carries (read-index.ts). */
  readRound(): number;
  /** Runs `then` once every write issued so far is durable. */
  durable(then: () => void): void;
  /** The leader's own configuration entry takes effect as soon as it is in its log (§4.1). */
  adoptConfig(config: Membership): void;
  becomeFollower(term: number, leader: NodeId | null): void;
  /** The commitment rule moved the commit index to `index`: apply through it. */
  committed(index: number): void;
  /** A follower's match advanced: a waiting learner may be promoted (admin.ts). */
  promote(): void;
  /** A follower's match advanced: a leadership transfer may finish (admin.ts). */
  finishTransfer(): void;
  /** A follower echoed a newer read round (leader-read.ts). */
  confirmReads(): void;
}

export class LeaderReplication {
  private readonly progresses = new Map<NodeId, Progress>();
  /** Snapshots on their way to followers that fell behind the leader's log. */
  private readonly shipper: SnapshotShipper;
  /** The leader's own log is durable through here (it counts toward a majority only then). */
  private selfMatch = 0;
  /** When each entry still uncommitted was proposed (the commit-latency metric). */
  private readonly proposedAt = new Map<number, number>();
  /** A 'send-appends' timer is pending (schedule). */
  private scheduled = false;

  constructor(
    private readonly host: ReplicationHost,
    chunkSize: number,
  ) {
    this.shipper = new SnapshotShipper(
      { env: host.env, log: host.log, term: () => host.term(), readRound: () => host.readRound() },
      chunkSize,
    );
  }

  /** The progress of replication target `id`, if it is one. */
  progress(id: NodeId): Progress | undefined {
    return this.progresses.get(id);
  }

  /** This server became leader: tracks every target afresh. */
  begin(): void {
    const h = this.host;
    this.progresses.clear();
    this.shipper.clear();
    this.selfMatch = 0;
    // The leader's own copy counts once it is durable: everything it holds now is, after the
    // next sync (a no-op appended right after rides the same sync).
    const held = h.log.lastIndex();
    const term = h.term();
    h.durable(() => {
      if (h.role() === 'leader' && h.term() === term && held > this.selfMatch) {
        this.selfMatch = held;
        this.maybeCommit();
      }
    });
    this.syncTargets();
  }

  /** Leadership ended. */
  end(): void {
    this.progresses.clear();
    this.shipper.clear();
    this.proposedAt.clear();
  }

  /** True when this leader heard from a majority at or after local time `since`. */
  heardFromQuorumSince(since: number): boolean {
    const { env } = this.host;
    return hasQuorum(
      this.host.config(),
      (id) => id === env.id || (this.progresses.get(id)?.lastHeardAt ?? -Infinity) >= since,
    );
  }

  /** Keeps one Progress per replication target of the current membership. */
  private syncTargets(): void {
    const { env, log } = this.host;
    const targets = replicationTargets(this.host.config(), env.id);
    const now = env.now();
    for (const t of targets) {
      if (!this.progresses.has(t)) this.progresses.set(t, new Progress(t, log.lastIndex(), now));
    }
    for (const id of [...this.progresses.keys()]) {
      if (!targets.includes(id)) {
        this.progresses.delete(id);
        this.shipper.forget(id);
      }
    }
  }

  /** Appends one entry to the leader's log and starts replicating it. */
  append(entry: Entry): number {
    const h = this.host;
    const { env, log } = h;
    log.append([entry]);
    const index = log.lastIndex();
    this.proposedAt.set(index, env.now());
    if (entry.kind === 'config') {
      h.adoptConfig(entry.config);
      this.syncTargets();
    }
    const term = h.term();
    const counted = (): void => {
      if (h.role() !== 'leader' || h.term() !== term) return;
      if (index > this.selfMatch) this.selfMatch = index;
      this.maybeCommit();
    };
    if (h.mutants.noSyncBeforeAck) counted();
    else env.storage.sync(counted);
    this.schedule();
    return index;
  }

  /**
   * Appends go out once per instant, not once per proposal: the entries proposed while handling
   * the events due now — in the runtime one turn of the event loop, which may be a socket read
   * of many requests or a batch of forwarded ones — travel in one append per follower, as
   * etcd/raft sends one per Ready. Each append costs an encoding, a frame, a parse, a disk round
   * and an answer whatever it carries. A zero-delay timer fires after those events, so nothing
   * waits for an answer or a clock: proposals made at different moments still pipeline.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.host.env.setTimer(0, 'send-appends');
  }

  /** The 'send-appends' timer fired. */
  sendScheduled(): void {
    this.scheduled = false;
    if (this.host.role() === 'leader') this.sendAll();
  }

  sendAll(): void {
    for (const pr of this.progresses.values()) this.sendAppends(pr);
  }

  /** Sends as many appends to `pr` as its state and window allow. */
  sendAppends(pr: Progress): void {
    const last = this.host.log.lastIndex();
    while (pr.canSend() && (pr.state === 'probe' || pr.next <= last)) {
      if (!this.sendAppend(pr)) return;
    }
  }

  private sendAppend(pr: Progress): boolean {
    const h = this.host;
    const { log } = h;
    if (pr.next <= log.snapshotIndex) {
      this.shipper.start(pr);
      return false;
    }
    const prevIndex = pr.next - 1;
    const entries = log.batch(pr.next, MAX_BATCH, MAX_APPEND_SIZE);
    const last = prevIndex + entries.length;
    h.env.send(pr.id, {
      type: 'append',
      term: h.term(),
      prevIndex,
      // Past the snapshot index, so the log holds the entry (or it is the snapshot's own).
      prevTerm: must(log.term(prevIndex), 'term-of-prev-entry-known', `entry ${prevIndex}`),
      entries,
      commit: h.commit(),
      round: h.readRound(),
    });
    pr.sent(last);
    return true;
  }

  /** A heartbeat to `pr`: the commit index (as far as `pr` holds it) and the read round. */
  private heartbeat(pr: Progress): void {
    const h = this.host;
    h.env.send(pr.id, {
      type: 'heartbeat',
      term: h.term(),
      commit: Math.min(pr.match, h.commit()),
      round: h.readRound(),
    });
  }

  /** A heartbeat to every target (a read round starting). */
  heartbeats(): void {
    for (const pr of this.progresses.values()) this.heartbeat(pr);
  }

  /** The heartbeat timer: a heartbeat to every target, and recovery of stalled transfers. */
  tick(now: number): void {
    const { log, timing } = this.host;
    const stalled = 2 * timing.heartbeatMs;
    for (const pr of this.progresses.values()) {
      this.heartbeat(pr);
      // A lost snapshot chunk (or its answer) is resent; a lost append (or its answer) leaves
      // a pipeline that will not drain by itself, so it probes again.
      if (
        !this.shipper.resendStalled(pr, now, stalled) &&
        pr.state === 'replicate' &&
        pr.match < log.lastIndex() &&
        now - pr.lastAckAt > stalled
      ) {
        pr.becomeProbe();
        this.sendAppends(pr);
      }
    }
  }

  /** The progress of `from` if `m` is an answer to this leader in its term (else none). */
  private answering(from: NodeId, term: number): Progress | undefined {
    const h = this.host;
    if (term > h.term()) {
      h.becomeFollower(term, null);
      return undefined;
    }
    if (h.role() !== 'leader' || term !== h.term()) return undefined;
    return this.progresses.get(from);
  }

  onAppendResp(from: NodeId, m: Extract<RaftMsg, { type: 'append-resp' }>): void {
    const pr = this.answering(from, m.term);
    if (pr === undefined) return;
    const h = this.host;
    const now = h.env.now();
    pr.heard(now);
    if (m.success) {
      if (pr.acknowledged(m.match, now)) {
        this.maybeCommit();
        h.promote();
        h.finishTransfer();
      }
      this.sendAppends(pr);
    } else {
      const retry = retryIndex(m.hintIndex, m.hintTerm, (t) => h.log.lastIndexOfTerm(t));
      if (pr.rejected(m.rejected, retry)) this.sendAppends(pr);
    }
    this.ackRound(pr, m.round);
  }

  onHeartbeatResp(from: NodeId, m: Extract<RaftMsg, { type: 'heartbeat-resp' }>): void {
    const pr = this.answering(from, m.term);
    if (pr === undefined) return;
    pr.heard(this.host.env.now());
    if (pr.state === 'probe') pr.probeSent = false;
    if (pr.match < this.host.log.lastIndex()) this.sendAppends(pr);
    this.ackRound(pr, m.round);
  }

  onSnapshotResp(from: NodeId, m: Extract<RaftMsg, { type: 'snapshot-resp' }>): void {
    const pr = this.answering(from, m.term);
    if (pr === undefined) return;
    const now = this.host.env.now();
    pr.heard(now);
    if (m.installed) {
      this.shipper.forget(from);
      if (pr.state === 'snapshot') pr.becomeProbe();
      if (pr.acknowledged(m.index, now)) {
        this.maybeCommit();
        this.host.promote();
      }
      this.sendAppends(pr);
    } else this.shipper.onProgress(from, m);
    this.ackRound(pr, m.round);
  }

  /** `pr` echoed read round `round`: news confirms reads (leader-read.ts). */
  private ackRound(pr: Progress, round: number): void {
    if (round <= pr.round) return;
    pr.round = round;
    this.host.confirmReads();
  }

  /** The commitment rule, then applying what it commits. */
  private maybeCommit(): void {
    const h = this.host;
    if (h.role() !== 'leader') return;
    const { env, log } = h;
    const commit = h.commit();
    const next = commitCandidate(
      h.config(),
      (id) => (id === env.id ? this.selfMatch : (this.progresses.get(id)?.match ?? 0)),
      (i) => log.term(i),
      h.term(),
      commit,
      h.mutants.commitOldTerm,
    );
    if (next <= commit) return;
    const now = env.now();
    for (let i = commit + 1; i <= next; i++) {
      const at = this.proposedAt.get(i);
      if (at !== undefined) {
        env.metric('commit-latency', now - at);
        this.proposedAt.delete(i);
      }
    }
    h.committed(next);
  }
}
