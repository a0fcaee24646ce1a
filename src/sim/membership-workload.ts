/**
 * The admin client: membership changes during a run, for systems that take them as operations
 * (SystemDefinition.membership). It does what an operator replacing a member does, one change
 * at a time: remove a member, sometimes wipe its data and start it again as a joining node
 * (etcd's procedure for a member that lost its disk), add it back as a learner, promote it.
 * The victim is drawn at random, so the removal is sometimes of a node that is up while another
 * is down, and the promotion is first asked for at once, before the learner can have caught up:
 * the situations a system must refuse.
 *
 * Its operations are not the store's: they stay out of the history the checker judges (a
 * membership change reads and writes no key), and are recorded in the trace as notes, so the
 * digest covers them. It acts only while the fault window is open, so the recovery window after
 * the final heal judges a cluster left as the changes left it.
 */
import type { ClientReply, NodeId } from '../core/node.js';
import type { Json } from '../core/json.js';
import type { MembershipOps, SystemDefinition } from '../core/system.js';
import { streamFor, type Random } from '../core/random.js';
import type { FaultState } from './faults.js';
import { ReadinessWatch } from './readiness.js';
import { RetryRoute } from './retry-route.js';
import type { Simulator } from './simulator.js';
import {
  describeStaleMember,
  drawStaleMember,
  StaleMember,
  type StaleMemberSettings,
} from './stale-member.js';

export interface MembershipSettings {
  /** Mean pause between the end of one replacement and the start of the next, ms. */
  readonly pauseMs: number;
  /** Chance that a removed member is wiped and started again as a joining node. */
  readonly wipe: number;
  /**
   * Chance that a replacement starts with a member's disk dying: the node stops and stays down
   * until it has been removed, and the removal asked for is then sometimes of another member.
   */
  readonly kill: number;
  /** How long after a disk dies the operator acts, ms (long enough for the leader to notice). */
  readonly noticeMs: number;
  /**
   * Chance that, with a member not yet back, the next replacement starts anyway (an operator
   * replacing two members at once): two wiped nodes are learners at the same time.
   */
  readonly overlap: number;
  /**
   * How long after a wiped node starts again it is added back, ms: an operator who starts the
   * new node first (etcd's procedure adds it first; either order must be safe).
   */
  readonly addAfterMs: number;
  /** How long after the wipe the node starts again, ms. */
  readonly downMs: number;
  /** How long the client keeps asking for one change before moving on, ms. */
  readonly patienceMs: number;
  /** Pause before asking again after a definite refusal, ms. */
  readonly retryMs: number;
  /** The stale-member regime (stale-member.ts), on a share of the seeds. */
  readonly stale?: StaleMemberSettings;
}

/**
 * Whether a swarm seed runs membership changes, and how: half the seeds of a system that takes
 * them. Drawn from a stream of its own so the rest of the mix is the same either way.
 */
export function drawMembership(system: SystemDefinition, seed: number): MembershipSettings | null {
  if (system.membership === undefined) return null;
  const r = streamFor(seed, 'swarm:membership');
  if (!r.chance(0.5)) return null;
  const round1 = (x: number): number => Number(x.toFixed(1));
  const drawn: MembershipSettings = {
    pauseMs: round1(r.range(0, 500)),
    wipe: r.pick([0, 0.5, 1]),
    kill: r.pick([0, 0.3, 1]),
    noticeMs: Math.round(r.range(1000, 2000)),
    downMs: round1(r.pick([0, 50, 500]) * r.next()),
    patienceMs: Math.round(r.range(300, 3000)),
    retryMs: round1(r.range(5, 50)),
    overlap: r.pick([0, 0, 0.5]),
    addAfterMs: r.pick([0, 0, 500, 1500]),
  };
  // The stale-member regime, from its own stream; on its seeds every removed member is wiped.
  const stale = drawStaleMember(seed);
  return stale === null ? drawn : { ...drawn, stale };
}

/** The drawn chances, for the failing-seed line (the stale-member regime wipes every removal). */
export function describeMembership(m: MembershipSettings): string {
  return (
    `wipe:${m.stale !== undefined ? 1 : m.wipe},kill:${m.kill},overlap:${m.overlap},add-after:${m.addAfterMs}ms` +
    (m.stale !== undefined ? `,${describeStaleMember(m.stale)}` : '')
  );
}

/** The FaultState source that holds `node` down for the admin (a dead disk, a wipe). */
const holdSource = (node: NodeId): string => `membership:${node}`;

export class MembershipClient {
  private readonly random: Random;
  /** New replacements may start (the fault window is open). */
  private active = false;
  /** A replacement is under way or scheduled. */
  private busy = false;
  private seq = 0;
  /** Where the next change is asked first: the last node that named a leader or accepted one. */
  private target: NodeId;
  /**
   * Nodes removed (or maybe removed: the reply was lost) and not yet promoted back. They are
   * finished first, after the fault window too, so the run does not end with members missing
   * for the admin's own reasons: a removed node never hears from the leader again, and a
   * client that asks it waits in vain.
   */
  private readonly outstanding: NodeId[] = [];
  /** A member whose disk died: down until a removal of it succeeds. */
  private dead: NodeId | null = null;
  /** Whether each promoted node had heard from the cluster since its wipe (readiness.ts). */
  readonly readiness: ReadinessWatch;
  private readonly stale: StaleMember | undefined;

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly ops: MembershipOps,
    private readonly settings: MembershipSettings,
  ) {
    this.random = streamFor(sim.seed, 'workload:admin');
    this.target = sim.nodeIds[0] as NodeId;
    this.readiness = new ReadinessWatch(sim);
    this.stale =
      settings.stale !== undefined ? new StaleMember(sim, faults, settings.stale) : undefined;
  }

  start(): void {
    this.active = true;
    this.next();
  }

  /** The fault window closed: no new replacement starts; those begun are finished. */
  stop(): void {
    this.active = false;
    this.stale?.stop();
    if (!this.busy) this.next();
  }

  private note(detail: string): void {
    this.sim.note('membership', 'fault', detail);
  }

  private next(): void {
    const work = this.active || this.outstanding.length > 0 || this.dead !== null;
    this.busy = work;
    if (work) this.sim.schedule(this.random.exponential(this.settings.pauseMs), () => this.step());
  }

  private step(): void {
    const unfinished = this.outstanding[0];
    const overlap =
      this.active &&
      this.settings.overlap > 0 &&
      unfinished !== undefined &&
      this.random.chance(this.settings.overlap);
    if (overlap) {
      const others = this.spare().filter((n) => !this.outstanding.includes(n));
      if (others.length > 0) return this.replace(this.random.pick(others));
    }
    if (unfinished !== undefined) return this.rejoin(unfinished);
    if (this.dead === null && this.active && this.random.chance(this.settings.kill)) {
      const dead = this.random.pick(this.spare());
      this.dead = dead;
      this.faults.crash(holdSource(dead), [dead]);
      this.note(`disk of ${dead} died: down until removed`);
      this.sim.schedule(this.settings.noticeMs, () => this.replace(this.pickVictim()));
      return;
    }
    if (this.dead === null && !this.active) return this.next();
    this.replace(this.pickVictim());
  }

  /** The dead member, or (an operator's slip) another member at random. */
  private pickVictim(): NodeId {
    if (this.dead !== null && (!this.active || this.random.chance(0.5))) return this.dead;
    return this.random.pick(this.spare());
  }

  /** The nodes a replacement may pick: all of them, but for a stale member (stale-member.ts). */
  private spare(): readonly NodeId[] {
    return this.stale?.spare(this.sim.nodeIds) ?? this.sim.nodeIds;
  }

  /** One replacement: remove, maybe wipe and restart as joining, then rejoin. */
  private replace(victim: NodeId): void {
    const always = this.settings.stale !== undefined;
    const wipe = victim === this.dead || this.random.chance(always ? 1 : this.settings.wipe);
    this.ask(this.ops.remove(victim), `remove ${victim}`, (removed) => {
      if (removed === false) return this.next();
      if (!this.outstanding.includes(victim)) this.outstanding.push(victim);
      if (removed === null) return this.next();
      if (wipe) this.wipe(victim);
      const after = wipe ? this.settings.addAfterMs : 0;
      if (after > 0) this.sim.schedule(this.settings.downMs + after, () => this.rejoin(victim));
      else this.rejoin(victim);
    });
  }

  /**
   * Adds `node` as a learner and promotes it, asking for the promotion at once (a system must
   * refuse it until the learner has caught up). When the learner is already there, the refused
   * addition changes nothing and the promotion is asked for all the same.
   */
  private rejoin(node: NodeId): void {
    if (this.active) {
      this.stale?.adding(node, [...this.outstanding, ...(this.dead !== null ? [this.dead] : [])]);
    }
    this.ask(this.ops.addLearner(node), `add-learner ${node}`, (added) => {
      if (added === null) return this.next();
      this.ask(this.ops.promote(node), `promote ${node}`, (promoted) => {
        if (promoted === true) this.readiness.promoted(node, this.target);
        if (promoted === true) this.outstanding.splice(this.outstanding.indexOf(node), 1);
        this.next();
      });
    });
  }

  /** The node's data erased while it is stopped; it starts again as a new, joining node. */
  private wipe(id: NodeId): void {
    if (this.dead === id) this.dead = null;
    this.faults.crash(holdSource(id), [id]);
    this.sim.disk(id).reset(this.ops.joinState);
    this.readiness.wipe(id);
    this.note(`wipe ${id}: starts again as a joining node`);
    const wipedAt = this.sim.now;
    // Up again unless a fault of another source still holds it down.
    this.sim.schedule(this.settings.downMs, () => {
      this.faults.heal(holdSource(id));
      this.stale?.restarted(id, wipedAt);
    });
  }

  /**
   * Asks for `op` until a node accepts it (true), a reply leaves it unknown (null), or patience
   * runs out (false); a definite refusal (not the leader, a change in progress, a learner not
   * caught up) is asked again, of the leader it names or the next node.
   */
  private ask(op: Json, what: string, then: (ok: boolean | null) => void): void {
    const deadline = this.sim.now + this.settings.patienceMs;
    const route = new RetryRoute(this.sim.nodeIds);
    const attempt = (): void => {
      const to = this.target;
      this.sim.request(to, 'admin', this.seq++, op, (reply: ClientReply) => {
        if (reply.ok) {
          this.note(`${what}: done by ${to}`);
          return then(true);
        }
        if (!reply.definite) {
          this.note(`${what}: unknown (${reply.error})`);
          return then(null);
        }
        if (this.sim.now + this.settings.retryMs >= deadline) {
          this.note(`${what}: gave up (${reply.error})`);
          return then(false);
        }
        this.target = route.next(to, reply.leader);
        this.sim.schedule(this.settings.retryMs, attempt);
      });
    };
    attempt();
  }
}

/**
 * The liveness a run with membership changes must keep: once the final heal has put every node
 * back and no change is being made, an operation invoked after it succeeds. A change the
 * system should have refused (a removal that leaves no active majority, a joining node that
 * counts itself a voter) can leave a cluster that never commits again.
 */
/** When the final heal came and the first operation invoked after it succeeded (run.ts). */
export interface Recovery {
  readonly healedAt: number | null;
  readonly firstOkAt: number | null;
}

export function judgeRecovery(recovery: Recovery): {
  verdict: 'valid' | 'invalid';
  message: string;
} {
  const { healedAt, firstOkAt } = recovery;
  if (healedAt === null) return { verdict: 'valid', message: 'no fault window to recover from' };
  if (firstOkAt !== null) {
    return {
      verdict: 'valid',
      message: `an operation succeeded ${firstOkAt - healedAt} ms after the final heal`,
    };
  }
  return {
    verdict: 'invalid',
    message: `no operation invoked after the final heal (${healedAt} ms) succeeded`,
  };
}
