/**
 * Multi-Paxos: a replicated log of state-machine commands with a distinguished leader.
 *
 * A node that stops hearing a leader becomes a candidate: it runs phase 1 once, for every slot
 * from the first one it does not know to be chosen, with a ballot higher than any it promised.
 * With promises from a majority it is the leader: it re-proposes, in its own ballot, the
 * highest-ballot value any promise reported for each of those slots (a no-op for a gap), and
 * then runs only phase 2 for each new command. A slot is chosen once a majority accepted it in
 * one ballot; commands are applied in slot order and the client is answered from the result.
 *
 * Followers learn chosen slots from the leader's `chosenThrough`: a slot the follower accepted
 * in the leader's own ballot holds the leader's value (one value per slot per ballot), anything
 * else is fetched with `catchup`. Acceptors make every promise and accept durable before
 * answering; nothing else needs to be durable (a restarted node relearns the log).
 */
import { countWithinSize, type Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode, TimerId } from '../../core/node.js';
import { type Ballot, makeBallot, majority, NO_BALLOT, proposerIndex, roundOf } from './ballot.js';
import type { PaxosMutants } from './single-decree.js';

/** A log command: a client's operation (deduplicated by client and seq) or a gap filler. */
export type Command =
  | { readonly kind: 'op'; readonly client: string; readonly seq: number; readonly op: Json }
  | { readonly kind: 'noop' };

interface SlotValue {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly cmd: Command;
}

export type MultiPaxosMsg =
  | { readonly type: 'prepare'; readonly ballot: Ballot; readonly from: number }
  | { readonly type: 'promise'; readonly ballot: Ballot; readonly accepted: readonly SlotValue[] }
  | {
      readonly type: 'accept';
      readonly ballot: Ballot;
      readonly slot: number;
      readonly cmd: Command;
      readonly chosenThrough: number;
    }
  | { readonly type: 'accepted'; readonly ballot: Ballot; readonly slot: number }
  | { readonly type: 'nack'; readonly ballot: Ballot; readonly promised: Ballot }
  | { readonly type: 'heartbeat'; readonly ballot: Ballot; readonly chosenThrough: number }
  | { readonly type: 'catchup'; readonly from: number }
  | {
      readonly type: 'chosen';
      readonly entries: readonly { readonly slot: number; readonly cmd: Command }[];
    };

/** The replicated state machine a Multi-Paxos log drives. */
export interface StateMachine {
  /** Applies one client operation and returns its result. Must be deterministic. */
  apply(op: Json): Json;
  /** Rejects malformed operations before they enter the log. */
  valid(op: Json): boolean;
  /** A small summary for inspect(). */
  summary(): Record<string, Json>;
}

const HEARTBEAT_MS = 30;
const ELECTION_MIN_MS = 150;
const ELECTION_MAX_MS = 300;
/** An unchosen proposal is resent to every acceptor this often (lost accepts, restarts). */
const RESEND_MS = 60;
const MAX_ELECTION_BACKOFF = 8;
/** Most chosen entries sent in answer to one catch-up request. */
export const CATCHUP_BATCH = 64;
/**
 * And about this much of them by jsonSizeBound, past the first: 64 large commands in one
 * message would pass what a transport carries (16 MiB), and that node would never catch up.
 */
export const CATCHUP_MAX_SIZE = 1 << 20;

interface Proposal {
  readonly cmd: Command;
  readonly acks: Set<NodeId>;
  sentAt: number;
}

type Role = 'follower' | 'candidate' | 'leader';

export class MultiPaxosNode implements ProtocolNode<MultiPaxosMsg> {
  private readonly index: number;
  private readonly quorum: number;
  // acceptor (durable: `promised`, `slot/<n>`)
  private promised: Ballot = NO_BALLOT;
  /**
   * The promise on disk. `promised` may run ahead of it (a nack's or a heartbeat's ballot raises
   * it in memory, which only makes this node refuse more), so a promise is written whenever the
   * one it answers is above what is on disk, not above what is in memory: otherwise a promise
   * raised by a hint is sent without ever being made durable, and after a restart this node
   * promises a lower ballot again (kv-paxos --swarm seed 408 of a 10,000-seed sweep: two values
   * chosen for one slot).
   */
  private durablePromised: Ballot = NO_BALLOT;
  private readonly accepted = new Map<number, { ballot: Ballot; cmd: Command }>();
  // proposer
  private role: Role = 'follower';
  private ballot: Ballot = NO_BALLOT;
  private readonly promises = new Map<NodeId, readonly SlotValue[]>();
  private readonly proposals = new Map<number, Proposal>();
  private nextSlot = 1;
  /** Client requests waiting for their command, by `client/seq`. */
  private readonly waiting = new Map<string, number[]>();
  // learner + state machine
  private readonly chosen = new Map<number, Command>();
  private applied = 0;
  private leaderChosenThrough = 0;
  private lastChosen: { slot: number; cmd: Command } | null = null;
  private readonly sessions = new Map<string, { seq: number; result: Json }>();
  private electionTimer: TimerId | null = null;
  private electionBackoff = 1;
  /** When this node last heard the leader it follows (local clock). */
  private heardLeaderAt = -Infinity;
  /** When this node last asked the leader for chosen entries (one request in flight). */
  private catchupAskedAt = -Infinity;

  constructor(
    private readonly env: NodeEnv<MultiPaxosMsg>,
    private readonly machine: StateMachine,
    private readonly mutants: PaxosMutants,
  ) {
    this.index = proposerIndex(env.cluster, env.id);
    this.quorum = majority(env.cluster.length);
  }

  start(): void {
    const s = this.env.storage;
    this.promised = (s.get('promised') as number | undefined) ?? NO_BALLOT;
    this.durablePromised = this.promised;
    for (const key of s.keys('slot/')) {
      const v = s.get(key) as unknown as { ballot: Ballot; cmd: Command };
      this.accepted.set(Number(key.slice(5)), v);
      // An acceptor that accepted in a ballot has promised at least that ballot.
      this.promised = Math.max(this.promised, v.ballot);
    }
    this.resetElectionTimer();
    this.env.setTimer(HEARTBEAT_MS, 'tick');
  }

  // ---- client -------------------------------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    if (!this.machine.valid(request.op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    if (this.role !== 'leader') {
      const hint = this.leaderHint();
      this.env.reply(request.id, {
        ok: false,
        error: 'not the leader',
        definite: true,
        ...(hint !== undefined ? { leader: hint } : {}),
      });
      return;
    }
    const key = `${request.client}/${request.seq}`;
    const session = this.sessions.get(request.client);
    if (session !== undefined && session.seq === request.seq) {
      this.env.reply(request.id, { ok: true, value: session.result });
      return;
    }
    // Proposed again even if an earlier leadership of ours proposed it: applying dedups.
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), request.id]);
    this.propose(this.nextSlot++, {
      kind: 'op',
      client: request.client,
      seq: request.seq,
      op: request.op,
    });
  }

  private leaderHint(): NodeId | undefined {
    return this.promised === NO_BALLOT
      ? undefined
      : this.env.cluster[this.promised - makeBallot(roundOf(this.promised), 0)];
  }

  // ---- leader election (phase 1) -------------------------------------------------------------

  private resetElectionTimer(): void {
    if (this.electionTimer !== null) this.env.cancelTimer(this.electionTimer);
    const delay = this.env.random.range(ELECTION_MIN_MS, ELECTION_MAX_MS) * this.electionBackoff;
    this.electionTimer = this.env.setTimer(delay, 'election');
  }

  private campaign(): void {
    // Each election that brings no leader doubles the next timeout (up to a bound), so on a
    // slow or lossy network candidates stop pre-empting each other; a leader's word resets it.
    this.electionBackoff = Math.min(MAX_ELECTION_BACKOFF, this.electionBackoff * 2);
    this.stepDown();
    this.role = 'candidate';
    const ballot = makeBallot(roundOf(this.promised) + 1, this.index);
    this.ballot = ballot;
    this.promised = ballot;
    this.promises.clear();
    this.env.metric('paxos.elections');
    // The ballot is durable (as this acceptor's promise) before anyone hears of it, so a
    // restarted node never reuses it.
    this.env.storage.put('promised', ballot);
    this.durablePromised = ballot;
    this.env.storage.sync(() => {
      if (this.ballot !== ballot || this.role !== 'candidate') return;
      const from = this.applied + 1;
      for (const to of this.env.cluster) this.env.send(to, { type: 'prepare', ballot, from });
    });
    this.resetElectionTimer();
  }

  private onPromise(from: NodeId, msg: Extract<MultiPaxosMsg, { type: 'promise' }>): void {
    if (this.role !== 'candidate' || msg.ballot !== this.ballot) return;
    this.promises.set(from, msg.accepted);
    if (this.promises.size < this.quorum) return;
    this.role = 'leader';
    this.env.metric('paxos.leaderships');
    // Any slot from here on may have been chosen in an earlier ballot; if so, the highest-ballot
    // value some member of this majority accepted is that value. Re-propose it (or a no-op).
    const best = new Map<number, SlotValue>();
    let last = this.applied;
    for (const entries of this.promises.values()) {
      for (const e of entries) {
        if (e.slot <= this.applied) continue;
        last = Math.max(last, e.slot);
        const b = best.get(e.slot);
        if (b === undefined || e.ballot > b.ballot) best.set(e.slot, e);
      }
    }
    this.promises.clear();
    this.nextSlot = last + 1;
    for (let slot = this.applied + 1; slot <= last; slot++) {
      const known = this.chosen.get(slot);
      this.propose(slot, known ?? best.get(slot)?.cmd ?? { kind: 'noop' });
    }
    this.heartbeat();
  }

  /**
   * Gives up leadership or candidacy. Clients keep waiting: a command this node proposed may
   * still be chosen by the next leader, and this node answers when it learns and applies it.
   */
  private stepDown(): void {
    if (this.role === 'follower') return;
    this.role = 'follower';
    this.proposals.clear();
  }

  // ---- phase 2 --------------------------------------------------------------------------------

  private propose(slot: number, cmd: Command): void {
    this.proposals.set(slot, { cmd, acks: new Set(), sentAt: this.env.now() });
    this.sendAccept(slot, cmd);
  }

  private sendAccept(slot: number, cmd: Command, to: readonly NodeId[] = this.env.cluster): void {
    const msg: MultiPaxosMsg = {
      type: 'accept',
      ballot: this.ballot,
      slot,
      cmd,
      chosenThrough: this.applied,
    };
    for (const n of to) this.env.send(n, msg);
  }

  private onAccepted(from: NodeId, msg: Extract<MultiPaxosMsg, { type: 'accepted' }>): void {
    if (this.role !== 'leader' || msg.ballot !== this.ballot) return;
    const p = this.proposals.get(msg.slot);
    if (p === undefined) return;
    p.acks.add(from);
    if (p.acks.size < this.quorum) return;
    this.proposals.delete(msg.slot);
    this.choose(msg.slot, p.cmd);
  }

  private onNack(msg: Extract<MultiPaxosMsg, { type: 'nack' }>): void {
    if (msg.promised <= this.promised) return;
    this.promised = msg.promised; // a hint only: the durable promise is written on prepare
    if (msg.ballot === this.ballot) this.stepDown();
  }

  private heartbeat(): void {
    for (const to of this.env.peers) {
      this.env.send(to, { type: 'heartbeat', ballot: this.ballot, chosenThrough: this.applied });
    }
  }

  // ---- acceptor -------------------------------------------------------------------------------

  /** A message from a proposer with a ballot at least our promise: follow it. */
  private follow(ballot: Ballot): void {
    // Ballots are unique per proposer, so another proposer's ballot at or above our promise
    // means our own leadership or candidacy is over.
    if (ballot !== this.ballot) this.stepDown();
    if (this.role === 'follower') this.resetElectionTimer();
  }

  private heardLeader(): void {
    this.heardLeaderAt = this.env.now();
    this.electionBackoff = 1;
  }

  private onPrepare(from: NodeId, msg: Extract<MultiPaxosMsg, { type: 'prepare' }>): void {
    // A follower that heard its leader moments ago refuses to help depose it (refusing is
    // always safe), so a node that merely lost touch cannot disrupt a working majority.
    const sticky =
      from !== this.env.id &&
      this.role === 'follower' &&
      Math.abs(this.env.now() - this.heardLeaderAt) < ELECTION_MIN_MS;
    if (msg.ballot < this.promised || sticky) {
      this.env.send(from, { type: 'nack', ballot: msg.ballot, promised: this.promised });
      return;
    }
    const fresh = msg.ballot > this.durablePromised;
    this.promised = msg.ballot;
    if (from !== this.env.id) this.follow(msg.ballot);
    const accepted: SlotValue[] = [];
    for (const [slot, v] of this.accepted) {
      if (slot >= msg.from) accepted.push({ slot, ballot: v.ballot, cmd: v.cmd });
    }
    accepted.sort((a, b) => a.slot - b.slot);
    const promise: MultiPaxosMsg = { type: 'promise', ballot: msg.ballot, accepted };
    if (this.mutants.forgetPromise) {
      // The mutant answers from memory: a restart forgets the promise.
      this.env.send(from, promise);
      return;
    }
    if (fresh) {
      this.env.storage.put('promised', msg.ballot);
      this.durablePromised = msg.ballot;
    }
    this.env.storage.sync(() => this.env.send(from, promise));
  }

  private onAccept(from: NodeId, msg: Extract<MultiPaxosMsg, { type: 'accept' }>): void {
    if (msg.ballot < this.promised && !this.mutants.acceptLowerBallot) {
      this.env.send(from, { type: 'nack', ballot: msg.ballot, promised: this.promised });
      return;
    }
    if (msg.ballot > this.promised) this.promised = msg.ballot;
    if (msg.ballot > this.durablePromised) {
      this.env.storage.put('promised', msg.ballot);
      this.durablePromised = msg.ballot;
    }
    if (from !== this.env.id) {
      this.follow(msg.ballot);
      this.heardLeader();
    }
    const value = { ballot: msg.ballot, cmd: msg.cmd };
    this.accepted.set(msg.slot, value);
    this.env.storage.put(`slot/${msg.slot}`, value as unknown as Json);
    const ballot = msg.ballot;
    this.env.storage.sync(() => {
      this.env.send(from, { type: 'accepted', ballot, slot: msg.slot });
    });
    if (from !== this.env.id) this.learnThrough(msg.ballot, msg.chosenThrough, from);
  }

  // ---- learner --------------------------------------------------------------------------------

  private onHeartbeat(from: NodeId, msg: Extract<MultiPaxosMsg, { type: 'heartbeat' }>): void {
    if (msg.ballot < this.promised) {
      this.env.send(from, { type: 'nack', ballot: msg.ballot, promised: this.promised });
      return;
    }
    this.promised = Math.max(this.promised, msg.ballot);
    this.follow(msg.ballot);
    this.heardLeader();
    this.learnThrough(msg.ballot, msg.chosenThrough, from);
  }

  /**
   * The leader of `ballot` says every slot through `through` is chosen. A slot this node
   * accepted in that very ballot holds the leader's value for it, which is the chosen one;
   * for any other slot, ask the leader.
   */
  private learnThrough(ballot: Ballot, through: number, leader: NodeId): void {
    this.leaderChosenThrough = Math.max(this.leaderChosenThrough, through);
    let slot = this.applied + 1;
    while (slot <= through) {
      if (!this.chosen.has(slot)) {
        const a = this.accepted.get(slot);
        if (a === undefined || a.ballot !== ballot) break;
        this.choose(slot, a.cmd);
      }
      slot = this.applied + 1;
    }
    const now = this.env.now();
    if (this.applied < through && Math.abs(now - this.catchupAskedAt) >= RESEND_MS) {
      this.catchupAskedAt = now;
      this.env.send(leader, { type: 'catchup', from: this.applied + 1 });
    }
  }

  private onCatchup(from: NodeId, msg: Extract<MultiPaxosMsg, { type: 'catchup' }>): void {
    const available = Math.min(this.applied - msg.from + 1, CATCHUP_BATCH);
    const cmd = (i: number): Command => this.chosen.get(msg.from + i) as Command;
    const n = countWithinSize(available, (i) => cmd(i) as unknown as Json, CATCHUP_MAX_SIZE);
    const entries = Array.from({ length: n }, (_, i) => ({ slot: msg.from + i, cmd: cmd(i) }));
    if (entries.length > 0) this.env.send(from, { type: 'chosen', entries });
  }

  private onChosen(msg: Extract<MultiPaxosMsg, { type: 'chosen' }>): void {
    this.catchupAskedAt = -Infinity;
    for (const e of msg.entries) if (!this.chosen.has(e.slot)) this.choose(e.slot, e.cmd);
  }

  private choose(slot: number, cmd: Command): void {
    if (slot <= this.applied || this.chosen.has(slot)) return;
    this.chosen.set(slot, cmd);
    this.lastChosen = { slot, cmd };
    while (this.chosen.has(this.applied + 1)) this.apply(this.chosen.get(++this.applied)!);
  }

  /** Applies a chosen command once per client/seq and answers whoever waits for it. */
  private apply(cmd: Command): void {
    if (cmd.kind === 'noop') return;
    const session = this.sessions.get(cmd.client);
    let result: Json;
    if (session !== undefined && session.seq >= cmd.seq) {
      if (session.seq !== cmd.seq) return; // an older duplicate: nobody waits for it
      result = session.result;
    } else {
      result = this.machine.apply(cmd.op);
      this.sessions.set(cmd.client, { seq: cmd.seq, result });
    }
    const key = `${cmd.client}/${cmd.seq}`;
    for (const id of this.waiting.get(key) ?? []) this.env.reply(id, { ok: true, value: result });
    this.waiting.delete(key);
  }

  // ---- events ---------------------------------------------------------------------------------

  onMessage(from: NodeId, msg: MultiPaxosMsg): void {
    switch (msg.type) {
      case 'prepare':
        return this.onPrepare(from, msg);
      case 'promise':
        return this.onPromise(from, msg);
      case 'accept':
        return this.onAccept(from, msg);
      case 'accepted':
        return this.onAccepted(from, msg);
      case 'nack':
        return this.onNack(msg);
      case 'heartbeat':
        return this.onHeartbeat(from, msg);
      case 'catchup':
        return this.onCatchup(from, msg);
      case 'chosen':
        return this.onChosen(msg);
    }
  }

  onTimer(name: string): void {
    if (name === 'election') {
      this.electionTimer = null;
      if (this.role !== 'leader') this.campaign();
      else this.resetElectionTimer();
      return;
    }
    // tick
    this.env.setTimer(HEARTBEAT_MS, 'tick');
    if (this.role !== 'leader') return;
    this.heartbeat();
    const now = this.env.now();
    for (const [slot, p] of this.proposals) {
      if (Math.abs(now - p.sentAt) < RESEND_MS) continue;
      p.sentAt = now;
      this.sendAccept(
        slot,
        p.cmd,
        this.env.cluster.filter((n) => !p.acks.has(n)),
      );
    }
  }

  /** The command this node knows chosen at `slot`, if any. */
  chosenAt(slot: number): Command | undefined {
    return this.chosen.get(slot);
  }

  latestChosen(): { slot: number; cmd: Command } | null {
    return this.lastChosen;
  }

  inspect() {
    return {
      role: this.role,
      ballot: this.ballot,
      promised: this.promised,
      applied: this.applied,
      leaderChosenThrough: this.leaderChosenThrough,
      proposals: this.proposals.size,
      ...this.machine.summary(),
    };
  }
}
