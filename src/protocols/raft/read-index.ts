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
 */
import type { Json } from '../../core/json.js';
import type { RequestId } from '../../core/node.js';

export interface PendingRead {
  readonly request: RequestId;
  readonly query: Json;
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
  add(request: RequestId, query: Json, readIndex: number): boolean {
    const round = this.round + 1;
    this.waiting.push({ request, query, readIndex, round });
    if (this.round <= this.confirmed) return true;
    // A round is already in flight: batch this read into the next one, started when it ends.
    this.wanted = true;
    return false;
  }

  /** Queues a read that needs no new round (a valid lease covers it). */
  addConfirmed(request: RequestId, query: Json, readIndex: number): void {
    this.ready.push({ request, query, readIndex, round: this.confirmed });
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

  /** Confirmed reads whose read index has been applied, in arrival order. */
  takeReady(applied: number): PendingRead[] {
    if (this.ready.length === 0) return [];
    const out: PendingRead[] = [];
    const still: PendingRead[] = [];
    for (const r of this.ready) (r.readIndex <= applied ? out : still).push(r);
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

/**
 * How long a lease may last on the leader's clock: followers wait `electionMinMs` of *their*
 * clocks before voting for someone else; if every clock's rate is within ±`driftBound` of true
 * time, the leader's clock measures that wait as at least electionMin·(1−ρ)/(1+ρ).
 */
export function leaseDuration(electionMinMs: number, driftBound: number): number {
  return (electionMinMs * (1 - driftBound)) / (1 + driftBound);
}
