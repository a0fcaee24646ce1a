/**
 * Linearizable reads without writing to the log (§6.4).
 *
 * ReadIndex: the leader notes its commit index when the read arrives, then confirms it is still
 * the leader by hearing from a majority after that moment, waits until it has applied through
 * the noted index, and answers from its state machine. Confirmation is batched in "rounds":
 * every heartbeat or append carries the leader's current round number and every reply echoes
 * it; a read that arrived during round r-1 is confirmed once a majority has echoed round r or
 * later, because every message of round r was sent after the read arrived. (A leader must
 * also have committed an entry of its own term first, so its commit index is current.)
 *
 * Lease reads (§6.4.1), opt-in: a majority that echoed round r will refuse to elect anyone for
 * an election timeout after they heard it (check-quorum's "leader stickiness", §4.2.3), so the
 * leader may answer reads without a new round until that long after round r began, *measured
 * by its own clock*. This is only as safe as the clocks: if the leader's clock runs slower than
 * the bound assumed (or jumps), the lease outlives the majority's promise, a new leader can be
 * elected and commit writes, and the old leader serves stale reads. The scenario test
 * "lease reads go stale under clock skew beyond the bound" shows exactly that.
 *
 * Follower reads (§6.4's "followers can serve reads", etcd's MsgReadIndex): a follower that
 * gets a read asks its leader for a read index; the leader treats the request exactly like a
 * read of its own (an entry of its term committed first, its commit index noted on arrival,
 * leadership confirmed by a later round or a valid lease) but, instead of waiting to apply,
 * answers the follower with the noted index. The follower serves the read once it has applied
 * through that index. Why that is linearizable: every write that completed before the read
 * arrived at the follower was committed before the follower sent its request, hence before the
 * leader received it, so the noted index covers it (a leader that has committed in its term
 * knows every committed entry, §6.4 step 1); the confirmation proves that no other leader had
 * committed anything newer at that moment; and the follower's applied prefix through the index
 * is the committed log's (state machine safety). So the state the follower reads holds every
 * write that completed before the read began, and only committed writes, each committed before
 * the answer. FollowerReads below is the follower's side: reads wait in a queue while one
 * request is outstanding and share the next one, as the leader batches its rounds.
 */
import type { Json } from '../../core/json.js';
import type { NodeId, RequestId, TimerId } from '../../core/node.js';

/** Who waits for a read index on the leader: one of its clients, or a follower's request. */
export type Reader =
  | { readonly kind: 'client'; readonly request: RequestId; readonly query: Json }
  | { readonly kind: 'peer'; readonly from: NodeId; readonly ctx: string };

export interface PendingRead {
  readonly reader: Reader;
  /** The leader's commit index when the read arrived. */
  readonly readIndex: number;
  /** The first round whose confirmation proves leadership after the read arrived. */
  readonly round: number;
}

export class ReadRounds {
  /** The latest round started (carried by every heartbeat and append). */
  round = 0;
  /** The latest round a majority has echoed. */
  confirmed = 0;
  /** A read is waiting for a round that has not started yet. */
  private wanted = false;
  private readonly startedAt = new Map<number, number>();
  private waiting: PendingRead[] = [];
  private ready: PendingRead[] = [];
  private leaseStart = -Infinity;

  /** Starts a new round at local time `now`; returns its number. */
  start(now: number): number {
    this.round++;
    this.wanted = false;
    this.startedAt.set(this.round, now);
    return this.round;
  }

  /** Queues a read; returns true if a new round must be started for it now. */
  add(reader: Reader, readIndex: number): boolean {
    const round = this.round + 1;
    this.waiting.push({ reader, readIndex, round });
    if (this.round <= this.confirmed) return true;
    // A round is already in flight: batch this read into the next one, started when it ends.
    this.wanted = true;
    return false;
  }

  /** Queues a read that needs no new round (a valid lease covers it). */
  addConfirmed(reader: Reader, readIndex: number): void {
    this.ready.push({ reader, readIndex, round: this.confirmed });
  }

  /**
   * A majority has echoed `round`: reads waiting for it (or earlier) become ready. Returns true
   * if a new round should start for reads that arrived while it was in flight.
   */
  confirm(round: number): boolean {
    if (round <= this.confirmed) return false;
    this.confirmed = round;
    const at = this.startedAt.get(round);
    if (at !== undefined) this.leaseStart = Math.max(this.leaseStart, at);
    for (const r of [...this.startedAt.keys()]) if (r <= round) this.startedAt.delete(r);
    const still: PendingRead[] = [];
    for (const r of this.waiting) (r.round <= round ? this.ready : still).push(r);
    this.waiting = still;
    return this.wanted && this.waiting.length > 0;
  }

  /**
   * Confirmed reads whose read index has been applied, in arrival order. A follower's request
   * is ready once confirmed: the follower waits to apply, not the leader.
   */
  takeReady(applied: number): PendingRead[] {
    if (this.ready.length === 0) return [];
    const out: PendingRead[] = [];
    const still: PendingRead[] = [];
    for (const r of this.ready) {
      (r.readIndex <= applied || r.reader.kind === 'peer' ? out : still).push(r);
    }
    this.ready = still;
    return out;
  }

  /** True while a lease of `durationMs` from the last confirmed round's start covers `now`. */
  leaseValid(now: number, durationMs: number): boolean {
    return now < this.leaseStart + durationMs && now >= this.leaseStart;
  }

  /** Every read still pending (the leader lost its leadership and must turn them away). */
  drain(): PendingRead[] {
    const out = [...this.ready, ...this.waiting];
    this.ready = [];
    this.waiting = [];
    this.startedAt.clear();
    this.wanted = false;
    this.leaseStart = -Infinity;
    return out;
  }

  get pending(): number {
    return this.ready.length + this.waiting.length;
  }
}

/** A client read a follower holds until its leader gives it a read index. */
export interface HeldRead {
  readonly request: RequestId;
  readonly query: Json;
}

/** The reads of one read-index request, and (once the leader answered) their read index. */
export interface ReadBatch {
  readonly ctx: string;
  readonly reads: readonly HeldRead[];
  /** The leader's answer; undefined while the request is outstanding. */
  index: number | undefined;
  /** Fails the batch if it is not served in time (set when the request is sent). */
  readonly timer: TimerId;
}

/**
 * A follower's reads (see the file comment): queued while a request is outstanding, sent in
 * one batch, then waiting for the follower to apply through the leader's answer. Every read
 * held belongs to one term and leader; the node fails them all if either changes.
 */
export class FollowerReads {
  /** The term and leader every held read was taken under. */
  term = 0;
  leader: NodeId | null = null;
  private queued: HeldRead[] = [];
  private asking: ReadBatch | null = null;
  private answered: ReadBatch[] = [];

  get empty(): boolean {
    return this.queued.length === 0 && this.asking === null && this.answered.length === 0;
  }

  /** Holds a read; returns true if a request must be sent for it now (none is outstanding). */
  hold(read: HeldRead): boolean {
    this.queued.push(read);
    return this.asking === null;
  }

  /** True when reads are queued for the next request and none is outstanding. */
  get wantsRequest(): boolean {
    return this.asking === null && this.queued.length > 0;
  }

  /** The queued reads leave in a request named `ctx`. */
  send(ctx: string, timer: TimerId): void {
    this.asking = { ctx, reads: this.queued, index: undefined, timer };
    this.queued = [];
  }

  /** The leader answered request `ctx` with `index`; false if that is not the one outstanding. */
  answer(ctx: string, index: number): boolean {
    const b = this.asking;
    if (b === null || b.ctx !== ctx) return false;
    b.index = index;
    this.answered.push(b);
    this.asking = null;
    return true;
  }

  /** The outstanding request if it is `ctx`, removed (refused by the leader). */
  refuse(ctx: string): ReadBatch | undefined {
    const b = this.asking;
    if (b === null || b.ctx !== ctx) return undefined;
    this.asking = null;
    return b;
  }

  /** Answered batches whose index has been applied, removed, in the order they were sent. */
  servable(applied: number): ReadBatch[] {
    if (this.answered.length === 0) return [];
    const out = this.answered.filter((b) => (b.index as number) <= applied);
    if (out.length > 0) this.answered = this.answered.filter((b) => !out.includes(b));
    return out;
  }

  /** The batch named `ctx`, outstanding or answered, removed (it ran out of time). */
  expire(ctx: string): ReadBatch | undefined {
    if (this.asking?.ctx === ctx) return this.refuse(ctx);
    const b = this.answered.find((x) => x.ctx === ctx);
    if (b !== undefined) this.answered = this.answered.filter((x) => x !== b);
    return b;
  }

  /** The reads queued for the next request, removed. */
  takeQueued(): HeldRead[] {
    const q = this.queued;
    this.queued = [];
    return q;
  }

  /** Everything held, removed: the batches (with their timers) and the queued reads. */
  drain(): { batches: ReadBatch[]; queued: HeldRead[] } {
    const batches = [...this.answered, ...(this.asking !== null ? [this.asking] : [])];
    this.answered = [];
    this.asking = null;
    return { batches, queued: this.takeQueued() };
  }
}

/**
 * How long a lease may last on the leader's clock: followers wait `electionMinMs` of *their*
 * clocks before voting for someone else; if every clock's rate is within ±`driftBound` of true
 * time, the leader's clock measures that wait as at least electionMin·(1−ρ)/(1+ρ).
 */
export function leaseDuration(electionMinMs: number, driftBound: number): number {
  return (electionMinMs * (1 - driftBound)) / (1 + driftBound);
}
