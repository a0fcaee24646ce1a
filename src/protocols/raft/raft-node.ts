/**
 * A Raft server as a deterministic state machine on the node contract (dissertation: Diego
 * Ongaro, "Consensus: Bridging Theory and Practice", 2014): its term, vote and role, and the
 * transitions between roles, dispatching messages and timers to the pieces beside it —
 * elector.ts (timer, campaigns, votes; rules in election.ts), leader-replication.ts (progress,
 * appends, heartbeats, the commit rule; rules in replication.ts), follower-append.ts (a
 * follower's appends and heartbeats), leader-read.ts and follower-read.ts (ReadIndex, leases,
 * follower reads; rules in read-index.ts), snapshot-keeper.ts and snapshot-shipper.ts
 * (taking, installing and sending snapshots; chunks in snapshot.ts), admin.ts (membership
 * changes and leadership transfer; rules in membership.ts), hard-state.ts (term and vote on
 * disk), raft-log.ts (the log over durable storage).
 *
 * Durability ordering (§3.8, §11.7): term, vote and log entries are written to storage, and any
 * message or reply whose truth depends on them is sent only from the `sync` callback. The
 * leader sends appends before its own write is durable (§10.2.1) but counts itself towards a
 * majority only once it is.
 */
import type { Json } from '../../core/json.js';
import type {
  AppliesLog,
  ClientReply,
  ClientRequest,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  StartInfo,
  TimerId,
} from '../../core/node.js';
import { admittedConfig, joinedStart, LeaderAdmin } from './admin.js';
import { DEFAULT_TIMING, type RaftTiming, type Role } from './election.js';
import { Elector } from './elector.js';
import { FollowerAppends } from './follower-append.js';
import { FollowerReader } from './follower-read.js';
import { loadHardState, saveHardState } from './hard-state.js';
import type { InvariantRecorder } from './invariants.js';
import { LeaderReads, type ReadMode } from './leader-read.js';
import { LeaderReplication } from './leader-replication.js';
import { EMPTY_MEMBERSHIP, isAdminOp } from './membership.js';
import type { Membership, RaftMsg, Snapshot } from './messages.js';
import { NO_MUTANTS, type RaftMutants } from './mutants.js';
import { must } from './raft-assert.js';
import { RaftLog } from './raft-log.js';
import { SnapshotKeeper } from './snapshot-keeper.js';
import { restoreParts } from './snapshot.js';
import type { StateMachine } from './state-machine.js';
import { timerNumber, timerString } from './timer-data.js';

export type { StateMachine } from './state-machine.js';
export type { Role } from './election.js';
/** Re-exported: tests read a joining server's mark in its storage. */
export { JOIN_KEY } from './admin.js';

export type { ReadMode } from './leader-read.js';

export interface RaftOptions {
  /** The initial voters (default: the whole cluster). Other servers wait to be added. */
  readonly voters?: readonly NodeId[];
  /**
   * This server joins a running cluster it did not found (a new member, or a wiped one coming
   * back): started empty, its configuration is empty until the leader's entries or snapshot
   * give it one, so it never campaigns or counts itself a voter on the strength of `voters`.
   * Recorded in its storage, so a restart before it heard from the leader keeps to it.
   */
  readonly join?: boolean;
  readonly readMode?: ReadMode;
  /** For lease reads: the assumed bound on every clock's rate error (0.05 = ±5 %). */
  readonly driftBound?: number;
  /** Take a snapshot once this many entries have been applied since the last one. */
  readonly snapshotEvery?: number;
  /** InstallSnapshot chunk size in characters of a snapshot part's JSON text. */
  readonly chunkSize?: number;
  /**
   * Followers serve reads themselves after asking the leader for a read index (default true);
   * false refuses them with "not leader", so clients go to the leader.
   */
  readonly followerReads?: boolean;
  readonly timing?: RaftTiming;
  readonly mutants?: RaftMutants;
  readonly recorder?: InvariantRecorder;
}

const LAZY_SYNC_MS = 100;

interface Waiter {
  readonly requests: RequestId[];
}

export class RaftNode implements ProtocolNode<RaftMsg>, AppliesLog {
  readonly log: RaftLog;
  /** The configuration before any entry of the log says otherwise (the empty one if joining). */
  private initial: Membership;
  private readonly joining: boolean;
  /** Started by joining a running cluster (now or on an earlier start): admission applies. */
  private joined = false;
  private readonly mutants: RaftMutants;
  private readonly timing: RaftTiming;

  private currentTerm = 0;
  private vote: NodeId | null = null;
  private roleNow: Role = 'follower';
  private leaderId: NodeId | null = null;
  private configNow: Membership;
  private commit = 0;
  private applied = 0;

  /** The election timer, campaigns and votes. */
  private readonly elector: Elector;

  /** Progress of every follower and learner, appends, heartbeats and the commitment rule. */
  private readonly replication: LeaderReplication;
  /** ReadIndex rounds, leases, and followers' read-index requests. */
  private readonly reads: LeaderReads;
  /** Clients' writes waiting for their entry to be applied, by `client/seq`. */
  private readonly waiters = new Map<string, Waiter>();
  /** Membership changes and leadership transfer: the leader's admin operations. */
  private readonly admin: LeaderAdmin;
  private heartbeatTimer: TimerId | null = null;

  /** Appends and heartbeats from a leader. */
  private readonly follower: FollowerAppends;
  /** This server's own snapshots, and installing a leader's. */
  private readonly keeper: SnapshotKeeper;
  /** The no-sync-before-ack mutant's periodic sync is pending. */
  private lazySyncArmed = false;

  /** Reads this follower serves itself after asking the leader for a read index. */
  private readonly followerReads: FollowerReader;

  constructor(
    private readonly env: NodeEnv<RaftMsg>,
    readonly sm: StateMachine,
    options: RaftOptions = {},
  ) {
    this.mutants = options.mutants ?? NO_MUTANTS;
    this.timing = options.timing ?? DEFAULT_TIMING;
    const voters = options.voters ?? env.cluster;
    this.initial = { voters: env.cluster.filter((n) => voters.includes(n)), learners: [] };
    this.configNow = this.initial;
    this.joining = options.join === true;
    const recorder = options.recorder;
    this.log = new RaftLog(
      env.storage,
      recorder === undefined
        ? undefined
        : (index, entry, prevTerm) => recorder.appended(env.id, index, entry, prevTerm),
    );
    this.recorder = recorder;
    // What every part of the node reads of its state; each part's host type names what it uses.
    const node = {
      env,
      sm,
      log: this.log,
      timing: this.timing,
      mutants: this.mutants,
      role: (): Role => this.roleNow,
      term: (): number => this.currentTerm,
      commit: (): number => this.commit,
      config: (): Membership => this.configNow,
    };
    this.elector = new Elector({
      ...node,
      votedFor: () => this.vote,
      configBeforeUncommitted: () => {
        const at = this.log.configIndex();
        return at > this.commit ? this.log.configAt(at - 1, this.initial) : null;
      },
      becomeFollower: (term, leader) => this.becomeFollower(term, leader),
      becomeLeader: () => this.becomeLeader(),
      checkQuorum: () => this.checkQuorum(),
      preCandidate: () => {
        this.roleNow = 'pre-candidate';
        this.followerReads.settle();
      },
      candidate: () => this.becomeCandidate(),
      voteFor: (id) => {
        this.vote = id;
        this.persistHardState();
      },
      durable: (then) => this.durable(then),
    });
    this.follower = new FollowerAppends({
      ...node,
      heardFromLeader: (from, term) => this.heardFromLeader(from, term),
      durable: (then) => this.durable(then),
      durableForAck: (then) => this.durableForAck(then),
      advanceCommit: (to) => this.advanceFollowerCommit(to),
      configChanged: () => {
        this.configNow = this.configFromLog();
      },
    });
    this.reads = new LeaderReads(
      {
        ...node,
        applied: () => this.applied,
        roundOf: (id) => this.replication.progress(id)?.round ?? 0,
        committedInTerm: () => this.committedInTerm(),
        hearsQuorum: () => this.hearsQuorum(),
        heartbeatAll: () => this.replication.heartbeats(),
        replyNotLeader: (r) => this.replyNotLeader(r),
      },
      options.readMode ?? 'read-index',
      options.driftBound ?? 0.05,
      this.mutants.readIndexNoRound,
    );
    const snapshotEvery = options.snapshotEvery ?? 64;
    const position = Math.max(0, env.cluster.indexOf(env.id));
    this.keeper = new SnapshotKeeper(
      {
        ...node,
        initial: () => this.initial,
        heardFromLeader: (from, term) => this.heardFromLeader(from, term),
        durable: (then) => this.durable(then),
        installed: (snap) => this.snapshotInstalled(snap),
      },
      snapshotEvery,
      Math.floor((snapshotEvery * position) / (2 * env.cluster.length)),
      this.mutants.compactBeforeSnapshotDurable,
    );
    this.replication = new LeaderReplication(
      {
        ...node,
        readRound: () => this.reads.round,
        durable: (then) => this.durable(then),
        adoptConfig: (config) => {
          this.configNow = config;
        },
        becomeFollower: (term, leader) => this.becomeFollower(term, leader),
        committed: (index) => {
          this.commit = index;
          this.applyCommitted();
        },
        promote: () => this.admin.maybePromote(),
        finishTransfer: () => this.admin.maybeFinishTransfer(),
        confirmReads: () => this.reads.confirm(),
      },
      options.chunkSize ?? 1024,
    );
    this.admin = new LeaderAdmin({
      ...node,
      progress: (id) => this.replication.progress(id),
      committedInTerm: () => this.committedInTerm(),
      appendAsLeader: (entry) => this.replication.append(entry),
      sendAppends: (pr) => this.replication.sendAppends(pr),
      replyNotLeader: (r) => this.replyNotLeader(r),
      becomeFollower: (term, leader) => this.becomeFollower(term, leader),
    });
    this.followerReads = new FollowerReader(
      {
        ...node,
        leader: () => this.leaderId,
        applied: () => this.applied,
        leaderIsAlive: () => this.elector.leaderIsAlive(),
        replyNotLeader: (r) => this.replyNotLeader(r),
        becomeFollower: (term, leader) => this.becomeFollower(term, leader),
      },
      options.followerReads ?? true,
      this.mutants.followerReadNoWait,
    );
  }

  /** The run's safety recorder, when invariants are being checked (see invariants.ts). */
  readonly recorder: InvariantRecorder | undefined;

  // ---- read-only views for tests, invariants and the lab ----------------------------------

  get role(): Role {
    return this.roleNow;
  }
  get term(): number {
    return this.currentTerm;
  }
  get leader(): NodeId | null {
    return this.leaderId;
  }
  get commitIndex(): number {
    return this.commit;
  }
  get lastApplied(): number {
    return this.applied;
  }
  get config(): Membership {
    return this.configNow;
  }
  get votedFor(): NodeId | null {
    return this.vote;
  }

  inspect(): NodeView {
    return {
      role: this.roleNow,
      term: this.currentTerm,
      leader: this.leaderId,
      commit: this.commit,
      applied: this.applied,
      lastIndex: this.log.lastIndex(),
      snapshotIndex: this.log.snapshotIndex,
      voters: [...this.configNow.voters],
      learners: [...this.configNow.learners],
      ...this.sm.summary(),
    };
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  start(info: StartInfo): void {
    const s = this.env.storage;
    this.log.load();
    const hard = loadHardState(s);
    if (hard !== undefined) {
      this.currentTerm = hard.term;
      this.vote = hard.vote;
    }
    const snap = this.log.snapshot();
    if (snap !== null) {
      restoreParts(this.sm, snap.parts);
      this.commit = this.applied = snap.index;
    }
    const empty = hard === undefined && snap === null && this.log.lastIndex() === 0;
    if (joinedStart(s, this.joining, empty, this.mutants.joinAsVoter)) {
      this.initial = EMPTY_MEMBERSHIP;
      this.joined = true;
    }
    this.configNow = this.configFromLog();
    this.elector.start(info.recovered);
    if (this.mutants.noSyncBeforeAck) this.armLazySync();
  }

  onTimer(name: string, data: Json | undefined): void {
    switch (name) {
      case 'election':
        return this.elector.tick();
      case 'heartbeat':
        if (this.roleNow === 'leader' && timerNumber(name, data, 'term') === this.currentTerm) {
          this.heartbeatTick();
          this.heartbeatTimer = this.env.setTimer(this.timing.heartbeatMs, 'heartbeat', data);
        }
        return;
      case 'lazy-sync':
        this.lazySyncArmed = false;
        this.env.storage.sync(() => {});
        this.armLazySync();
        return;
      case 'follower-read':
        return this.followerReads.timeout(timerString(name, data, 'ctx'));
      case 'send-appends':
        return this.replication.sendScheduled();
    }
  }

  onMessage(from: NodeId, msg: RaftMsg): void {
    switch (msg.type) {
      case 'pre-vote':
        return this.elector.onPreVote(from, msg);
      case 'pre-vote-resp':
        return this.elector.onPreVoteResp(from, msg);
      case 'vote':
        return this.elector.onVote(from, msg);
      case 'vote-resp':
        return this.elector.onVoteResp(from, msg);
      case 'append':
        return this.follower.onAppend(from, msg);
      case 'append-resp':
        return this.replication.onAppendResp(from, msg);
      case 'heartbeat':
        return this.follower.onHeartbeat(from, msg);
      case 'heartbeat-resp':
        return this.replication.onHeartbeatResp(from, msg);
      case 'snapshot':
        return this.keeper.onSnapshot(from, msg);
      case 'snapshot-resp':
        return this.replication.onSnapshotResp(from, msg);
      case 'timeout-now':
        return this.elector.onTimeoutNow(msg);
      case 'read-index':
        return this.reads.onReadIndex(from, msg);
      case 'read-index-resp':
        return this.followerReads.onReadIndexResp(from, msg);
    }
  }

  // ---- durability ---------------------------------------------------------------------------

  /** Runs `then` once every write issued so far is durable. */
  private durable(then: () => void): void {
    if (this.env.storage.unsyncedWrites === 0) then();
    else this.env.storage.sync(then);
  }

  /** Like `durable`, except in the no-sync-before-ack mutant, which answers at once. */
  private durableForAck(then: () => void): void {
    if (this.mutants.noSyncBeforeAck) then();
    else this.durable(then);
  }

  private armLazySync(): void {
    if (this.lazySyncArmed) return;
    this.lazySyncArmed = true;
    this.env.setTimer(LAZY_SYNC_MS, 'lazy-sync');
  }

  private persistHardState(): void {
    saveHardState(this.env.storage, { term: this.currentTerm, vote: this.vote });
  }

  // ---- elections ----------------------------------------------------------------------------

  /** Starts a candidacy in the next term, voting for itself (elector.ts campaigns). */
  private becomeCandidate(): void {
    if (this.roleNow === 'leader') this.stepDown();
    this.currentTerm++;
    this.vote = this.env.id;
    this.leaderId = null;
    this.roleNow = 'candidate';
    this.followerReads.settle();
    this.persistHardState();
    this.env.metric('elections');
  }

  /** Follows `leader` (or nobody yet) in `term`, adopting the term if it is newer. */
  private becomeFollower(term: number, leader: NodeId | null): void {
    if (term > this.currentTerm) {
      this.currentTerm = term;
      this.vote = null;
      this.persistHardState();
      this.leaderId = null;
    }
    if (this.roleNow === 'leader') this.stepDown();
    if (this.roleNow !== 'follower') this.elector.resetDeadline();
    this.roleNow = 'follower';
    if (leader !== null) this.leaderId = leader;
    this.followerReads.settle();
  }

  private becomeLeader(): void {
    this.roleNow = 'leader';
    this.leaderId = this.env.id;
    this.followerReads.settle();
    this.recorder?.leader(this.currentTerm, this.env.id, this.log);
    this.env.metric('leader-changes');
    this.env.log('became leader', { term: this.currentTerm });
    this.replication.begin();
    if (this.heartbeatTimer !== null) this.env.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = this.env.setTimer(this.timing.heartbeatMs, 'heartbeat', {
      term: this.currentTerm,
    });
    // §6.4 / §3.6.2: a no-op of the new term commits everything before it and lets ReadIndex
    // know the commit index is current.
    this.replication.append({ term: this.currentTerm, kind: 'noop' });
  }

  /** Leaves leadership: answers everyone waiting on it, as best it can. */
  private stepDown(): void {
    this.roleNow = 'follower';
    this.leaderId = null;
    if (this.heartbeatTimer !== null) this.env.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.replication.end();
    // Writes may yet commit under the next leader: their fate is unknown.
    const unknown: ClientReply = { ok: false, error: 'leadership lost', definite: false };
    for (const w of this.waiters.values()) for (const r of w.requests) this.env.reply(r, unknown);
    this.waiters.clear();
    this.admin.abandonChanges(unknown);
    // Reads and transfers changed nothing: they failed definitely (a follower that asked for a
    // read index hears so too, rather than waiting for its timeout).
    this.reads.abandon();
    this.admin.abandonTransfer();
  }

  /** True when this leader heard from a majority within the minimum election timeout. */
  private hearsQuorum(): boolean {
    return this.replication.heardFromQuorumSince(this.env.now() - this.timing.electionMinMs);
  }

  /** Check-quorum (§6.2): a leader that has not heard from a majority lately steps down. */
  private checkQuorum(): void {
    const since = this.env.now() - this.timing.electionMaxMs;
    if (!this.replication.heardFromQuorumSince(since)) {
      this.env.log('check-quorum failed: stepping down', { term: this.currentTerm });
      this.becomeFollower(this.currentTerm, null);
    }
  }

  // ---- leader ticks --------------------------------------------------------------------------

  private heartbeatTick(): void {
    const now = this.env.now();
    this.reads.startRound(now);
    this.replication.tick(now);
    this.reads.confirm();
    this.admin.expireTransfer(now);
    this.admin.maybePromote();
  }

  // ---- replication: follower ----------------------------------------------------------------

  /** Common to every message from a leader of a current or newer term. */
  private heardFromLeader(from: NodeId, term: number): void {
    this.becomeFollower(term, from);
    this.leaderId = from;
    this.elector.leaderContact();
  }

  /**
   * A commit index learned outside Raft's messages: the leader's answer to a request this node
   * forwarded names the entry it applied. If this log holds that entry (same index and term),
   * Log Matching makes this log identical to the leader's through it, and the entry is
   * committed, so committing through it is safe — at once, rather than when the leader's next
   * append or heartbeat carries the commit index (up to a heartbeat later on an idle cluster).
   * A leader keeps to its own commitment rule; an entry this log lacks is left to those
   * messages.
   */
  learnCommitted(index: number, term: number): void {
    if (this.roleNow === 'leader' || index <= this.commit) return;
    if (index > this.log.lastIndex() || this.log.term(index) !== term) return;
    this.commit = index;
    this.applyCommitted();
  }

  appliedEntry(): { index: number; term: number } {
    return { index: this.applied, term: this.log.term(this.applied) ?? 0 };
  }

  private advanceFollowerCommit(to: number): void {
    const target = Math.min(to, this.log.lastIndex());
    if (target <= this.commit) return;
    this.commit = target;
    this.applyCommitted();
  }

  /** The latest configuration in the log, as far as this server is admitted to act on it. */
  private configFromLog(): Membership {
    const latest = this.log.configAt(this.log.lastIndex(), this.initial);
    return admittedConfig(this.env.storage, this.env.id, this.joined, latest, (self) =>
      this.log.someConfig((m) => m.learners.includes(self)),
    );
  }

  /** A leader's snapshot is installed in the log (snapshot-keeper.ts). */
  private snapshotInstalled(snap: Snapshot): void {
    // Entries a leader sent meanwhile may have been applied past the snapshot already.
    if (snap.index > this.applied) {
      restoreParts(this.sm, snap.parts);
      this.commit = this.applied = snap.index;
    }
    this.configNow = this.configFromLog();
    this.followerReads.serve();
  }

  // ---- applying -----------------------------------------------------------------------------

  private applyCommitted(): void {
    while (this.applied < this.commit) {
      const index = ++this.applied;
      const e = must(this.log.entry(index), 'committed-entry-present', `entry ${index}`);
      this.recorder?.apply(this.env.id, index, e);
      if (e.kind === 'command') {
        const result = this.sm.apply(e.command);
        const key = `${e.command.client}/${e.command.seq}`;
        const w = this.waiters.get(key);
        if (w !== undefined) {
          this.waiters.delete(key);
          for (const r of w.requests) this.env.reply(r, { ok: true, value: result });
        }
      } else if (e.kind === 'config') {
        this.admin.configCommitted(index, e.config);
      }
    }
    if (this.roleNow === 'leader') this.reads.applied();
    else this.followerReads.serve();
    this.keeper.maybeTake(this.applied);
  }

  /** True once this leader has committed an entry of its own term (§6.4). */
  private committedInTerm(): boolean {
    return this.log.term(this.commit) === this.currentTerm;
  }

  // ---- clients ------------------------------------------------------------------------------

  private replyNotLeader(request: RequestId): void {
    const reply: ClientReply =
      this.leaderId !== null && this.leaderId !== this.env.id
        ? { ok: false, error: 'not leader', definite: true, leader: this.leaderId }
        : { ok: false, error: 'not leader', definite: true };
    this.env.reply(request, reply);
  }

  onClientRequest(request: ClientRequest): void {
    const op = request.op;
    if (isAdminOp(op)) return this.admin.onAdmin(request.id, op);
    if (!this.sm.valid(op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    const read = this.sm.isRead(op);
    if (read && this.mutants.readFromFollower && this.roleNow !== 'leader') {
      this.env.reply(request.id, { ok: true, value: this.sm.read(op) });
      return;
    }
    if (this.roleNow !== 'leader') {
      if (read && this.followerReads.mayServe(op))
        return this.followerReads.hold({ request: request.id, query: op });
      return this.replyNotLeader(request.id);
    }
    if (!this.hearsQuorum()) {
      // A leader cut off from its majority would only sit on the request until check-quorum
      // deposes it, leaving the client unsure; refusing before logging anything is definite.
      this.env.reply(request.id, { ok: false, error: 'leader lost its quorum', definite: true });
      return;
    }
    if (read) return this.reads.read({ kind: 'client', request: request.id, query: op });
    const transferTarget = this.admin.transferTarget;
    if (transferTarget !== null) {
      // §3.10: the old leader stops accepting new work while it hands over.
      this.env.reply(request.id, {
        ok: false,
        error: 'leadership transfer in progress',
        definite: true,
        leader: transferTarget,
      });
      return;
    }
    const recalled = this.sm.recall(request.client, request.seq);
    if (recalled !== undefined) {
      this.env.reply(request.id, { ok: true, value: recalled.result });
      return;
    }
    const key = `${request.client}/${request.seq}`;
    const w = this.waiters.get(key);
    if (w !== undefined) {
      w.requests.push(request.id);
      return;
    }
    this.waiters.set(key, { requests: [request.id] });
    this.replication.append({
      term: this.currentTerm,
      kind: 'command',
      command: { client: request.client, seq: request.seq, op },
    });
  }
}
