/**
 * The leader's side of membership changes and leadership transfer (dissertation ch. 4, §3.10):
 * adding a server as a learner and promoting it once caught up, the operator's promote and
 * remove, transfer-leader, and the replies that wait on them. The safety rules themselves are
 * in membership.ts; a joining server's start is `joinedStart`.
 */
import type { ClientReply, NodeEnv, NodeId, RequestId } from '../../core/node.js';
import type { DurableStore } from '../../core/storage.js';
import type { RaftTiming, Role } from './election.js';
import {
  changeMembership,
  EMPTY_MEMBERSHIP,
  isVoter,
  MEMBERSHIP_REFUSALS,
  removalKeepsQuorum,
  type AdminOp,
} from './membership.js';
import type { Entry, Membership, RaftMsg } from './messages.js';
import type { RaftMutants } from './mutants.js';
import type { RaftLog } from './raft-log.js';
import type { Progress } from './replication.js';

/** Present (true) in the storage of a server that started by joining a running cluster. */
export const JOIN_KEY = 'raft/join';
/** A learner is promoted once it is within this many entries of the leader's log. */
const CATCH_UP_MARGIN = 8;

/**
 * Whether this server starts from the empty configuration: a server that joins does, now and
 * on every later start, so that neither `voters` nor an old identity's place makes it campaign
 * or count itself before the leader's log says what it is. Only an empty store takes the mark:
 * a server with state already belongs to its cluster by that state.
 */
export function joinedStart(
  s: DurableStore,
  joining: boolean,
  empty: boolean,
  joinAsVoter: boolean,
): boolean {
  if (joining && empty && s.get(JOIN_KEY) === undefined) {
    s.put(JOIN_KEY, true);
    s.sync(() => {});
  }
  return s.get(JOIN_KEY) === true && !joinAsVoter;
}

/** Present (true) once a joined server has seen its log name it a learner: its own admission. */
export const ADMITTED_KEY = 'raft/admitted';

/**
 * The configuration a server acts on, given the latest one in its log. A server that joined (or
 * was wiped and rejoins under its old name) is admitted by the add-learner entry of its own join;
 * until its log (any entry, or its snapshot) names it a learner, a configuration naming it a voter can only be its former
 * self's, in a leader's snapshot taken before that self was removed. Acting on it, the wiped
 * server may elect itself where it was once the sole voter (kv-raft --swarm --seed 313 --ops 1000:
 * n6 installed such a snapshot and rebooted before the entries after it arrived). So until
 * admitted it acts on the empty configuration: no campaign, no vote. The mark is written with the
 * entry that admits it, durable before that entry is acknowledged, so before any promotion.
 */
export function admittedConfig(
  s: DurableStore,
  self: NodeId,
  joined: boolean,
  latest: Membership,
  logNamesLearner: (self: NodeId) => boolean,
): Membership {
  if (!joined || s.get(ADMITTED_KEY) === true) return latest;
  // Any entry of the log may admit it: its add-learner and a promotion can arrive in one append.
  if (!latest.learners.includes(self) && !logNamesLearner(self)) return EMPTY_MEMBERSHIP;
  s.put(ADMITTED_KEY, true);
  return latest;
}

/** What the leader's admin operations need of their server. */
export interface AdminHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly log: RaftLog;
  readonly timing: RaftTiming;
  readonly mutants: Pick<RaftMutants, 'promoteUnready' | 'removeBelowQuorum'>;
  role(): Role;
  term(): number;
  commit(): number;
  config(): Membership;
  progress(id: NodeId): Progress | undefined;
  /** True once this leader has committed an entry of its own term (§6.4). */
  committedInTerm(): boolean;
  appendAsLeader(entry: Entry): number;
  sendAppends(pr: Progress): void;
  replyNotLeader(request: RequestId): void;
  becomeFollower(term: number, leader: NodeId | null): void;
}

export class LeaderAdmin {
  private readonly configWaiters = new Map<number, RequestId[]>();
  private promotion: { node: NodeId; requests: RequestId[] } | null = null;
  private transfer: { target: NodeId; until: number; requests: RequestId[] } | null = null;

  constructor(private readonly host: AdminHost) {}

  /** The server leadership is being handed to, if a transfer is under way (§3.10). */
  get transferTarget(): NodeId | null {
    return this.transfer === null ? null : this.transfer.target;
  }

  /**
   * `id` answered this leader within the shortest election timeout (itself: always). A follower
   * that has not answered since the election does not count, however recent the election.
   */
  private activeNow(id: NodeId): boolean {
    const { env, timing } = this.host;
    const since = env.now() - timing.electionMinMs;
    return id === env.id || (this.host.progress(id)?.answeredAt ?? -Infinity) >= since;
  }

  /**
   * `id` holds the leader's log but for the last few entries (a learner ready to vote), and at
   * least the entry of the configuration in force: in a short log the margin alone would find a
   * learner that has never answered (one not even started) caught up.
   */
  private caughtUp(id: NodeId): boolean {
    const pr = this.host.progress(id);
    const log = this.host.log;
    return (
      pr !== undefined &&
      pr.match >= log.configIndex() &&
      pr.match + CATCH_UP_MARGIN >= log.lastIndex()
    );
  }

  onAdmin(request: RequestId, op: AdminOp): void {
    const h = this.host;
    const { env, log } = h;
    if (h.role() !== 'leader') return h.replyNotLeader(request);
    const fail = (error: string): void => env.reply(request, { ok: false, error, definite: true });
    const config = h.config();
    if (op.f === 'transfer-leader') {
      if (op.node === env.id) return env.reply(request, { ok: true, value: op.node });
      if (!isVoter(config, op.node)) return fail(`${op.node} is not a voter`);
      if (this.transfer !== null) return fail('leadership transfer in progress');
      this.transfer = {
        target: op.node,
        until: env.now() + h.timing.electionMaxMs,
        requests: [request],
      };
      const pr = h.progress(op.node);
      if (pr !== undefined) h.sendAppends(pr);
      this.maybeFinishTransfer();
      return;
    }
    // One change at a time, and only once this leader has committed an entry of its term.
    if (!h.committedInTerm()) return fail('leader has not committed in its term yet');
    // A promotion waiting for its learner to catch up is no change yet (it is appended only
    // once no other is uncommitted), so only a second such wait is refused: a learner that never
    // starts must not block every other change.
    if (log.configIndex() > h.commit() || (op.f === 'add-server' && this.promotion !== null)) {
      return fail('configuration change in progress');
    }
    if (op.f === 'add-server' && !isVoter(config, op.node)) {
      // §4.2.1: add as a learner first; promote once it has caught up (maybePromote).
      if (!config.learners.includes(op.node)) {
        const learner = changeMembership(env.cluster, config, { f: 'add-learner', node: op.node });
        if (typeof learner === 'string') return fail(learner);
        h.appendAsLeader({ term: h.term(), kind: 'config', config: learner });
      }
      this.promotion = { node: op.node, requests: [request] };
      return;
    }
    const next = changeMembership(env.cluster, config, op);
    if (typeof next === 'string') return fail(next);
    // etcd's MemberPromote: a learner far behind would be a voter the majority must wait for.
    if (op.f === 'promote' && !h.mutants.promoteUnready && !this.caughtUp(op.node)) {
      return fail(MEMBERSHIP_REFUSALS.learnerNotReady);
    }
    if (
      op.f === 'remove-server' &&
      !h.mutants.removeBelowQuorum &&
      !removalKeepsQuorum(config, op.node, (id) => this.activeNow(id))
    ) {
      return fail(MEMBERSHIP_REFUSALS.notEnoughActive);
    }
    const index = h.appendAsLeader({ term: h.term(), kind: 'config', config: next });
    this.configWaiters.set(index, [request]);
  }

  /**
   * Promotes a learner that has caught up, once no other change is uncommitted. A learner that
   * meanwhile became a voter (an operator's `promote`) or left the configuration ends the wait.
   */
  maybePromote(): void {
    const h = this.host;
    const p = this.promotion;
    if (p === null || h.role() !== 'leader') return;
    if (h.log.configIndex() > h.commit()) return;
    const config = h.config();
    if (!config.learners.includes(p.node)) {
      this.promotion = null;
      const value = { voters: [...config.voters], learners: [...config.learners] };
      const reply: ClientReply = isVoter(config, p.node)
        ? { ok: true, value }
        : { ok: false, error: MEMBERSHIP_REFUSALS.notMember, definite: true };
      for (const r of p.requests) h.env.reply(r, reply);
      return;
    }
    if (!this.caughtUp(p.node)) return;
    const next = changeMembership(h.env.cluster, config, { f: 'add-server', node: p.node });
    this.promotion = null;
    if (typeof next === 'string') {
      for (const r of p.requests) h.env.reply(r, { ok: false, error: next, definite: true });
      return;
    }
    const index = h.appendAsLeader({ term: h.term(), kind: 'config', config: next });
    this.configWaiters.set(index, p.requests);
  }

  configCommitted(index: number, config: Membership): void {
    const h = this.host;
    const waiting = this.configWaiters.get(index);
    if (waiting !== undefined) {
      this.configWaiters.delete(index);
      const value = { voters: [...config.voters], learners: [...config.learners] };
      for (const r of waiting) h.env.reply(r, { ok: true, value });
    }
    // §4.2.2: a leader removed from the cluster manages it until the removal commits, then
    // steps down; the remaining servers elect a new leader among themselves.
    if (h.role() === 'leader' && !isVoter(h.config(), h.env.id)) {
      h.env.log('removed from the cluster: stepping down', { term: h.term() });
      h.becomeFollower(h.term(), null);
    }
  }

  /** §3.10: once the target's log is complete, tell it to start an election at once. */
  maybeFinishTransfer(): void {
    const h = this.host;
    const t = this.transfer;
    if (t === null || h.role() !== 'leader') return;
    const pr = h.progress(t.target);
    if (pr === undefined || pr.match < h.log.lastIndex()) return;
    h.env.send(t.target, { type: 'timeout-now', term: h.term() });
    for (const r of t.requests) h.env.reply(r, { ok: true, value: t.target });
    t.requests.length = 0;
  }

  /** A transfer that has not finished within an election timeout fails (§3.10). */
  expireTransfer(now: number): void {
    if (this.transfer === null || now <= this.transfer.until) return;
    for (const r of this.transfer.requests) {
      this.host.env.reply(r, { ok: false, error: 'leadership transfer timed out', definite: true });
    }
    this.transfer = null;
  }

  /** On losing leadership: changes may yet commit under the next leader, so their fate is unknown. */
  abandonChanges(unknown: ClientReply): void {
    for (const rs of this.configWaiters.values())
      for (const r of rs) this.host.env.reply(r, unknown);
    this.configWaiters.clear();
    if (this.promotion !== null)
      for (const r of this.promotion.requests) this.host.env.reply(r, unknown);
    this.promotion = null;
  }

  /** On losing leadership: a transfer changed nothing, so it failed definitely. */
  abandonTransfer(): void {
    if (this.transfer !== null) {
      for (const r of this.transfer.requests) this.host.replyNotLeader(r);
    }
    this.transfer = null;
  }
}
