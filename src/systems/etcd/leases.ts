/**
 * Leases, in two halves as in etcd's lessor:
 *
 *  - `LeaseTable` is replicated state: which leases exist, their granted TTL, and which keys
 *    are attached to each. It changes only by applying log entries (grant, revoke, puts and
 *    deletes), so every replica holds the same table. It knows nothing of time.
 *  - `Lessor` is the leader's in-memory clock of deadlines. Time may not enter the replicated
 *    state (replicas' clocks differ, and replaying a log must give the same state), so only the
 *    leader measures how long a lease has gone without a keepalive, and when one runs out it
 *    *proposes* a revoke through the log like any client would. A follower keeps no deadlines;
 *    a new leader restarts every lease's clock (etcd's `Promote`), which errs on the side of
 *    keeping a lease longer, never of revoking it early.
 */

/** etcd's ceiling on a lease TTL in seconds (lease.MaxLeaseTTL). */
export const MAX_LEASE_TTL = 9_000_000_000;
/**
 * etcd raises shorter TTLs to its minimum, 1.5 election timeouts rounded up to a second
 * (minLeaseTTL). truthkit's election timeout is at most 300 ms, so the minimum is 1 s.
 */
export const MIN_LEASE_TTL = 1;

export interface LeaseRecord {
  readonly id: number;
  /** TTL in seconds, as granted (after raising to the minimum). */
  readonly ttl: number;
  /**
   * Which grant created it (a count of grants ever applied). A lease revoked and granted again
   * with the same id is a different grant, so an expiry decided for the old one cannot revoke
   * the new one.
   */
  readonly grant: number;
  readonly keys: Set<string>;
}

export interface LeaseTableSnapshot {
  /** [id, ttl, grant] per lease, by id. */
  readonly leases: readonly (readonly [number, number, number])[];
  readonly grants: number;
  readonly nextAuto: number;
}

export class LeaseTable {
  private leases = new Map<number, LeaseRecord>();
  private grants = 0;
  /** Where the search for a machine-chosen id starts (ids are small deterministic numbers). */
  private nextAuto = 1;

  get size(): number {
    return this.leases.size;
  }

  get(id: number): LeaseRecord | undefined {
    return this.leases.get(id);
  }

  has(id: number): boolean {
    return this.leases.has(id);
  }

  /** Every lease, by id. */
  all(): LeaseRecord[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Creates a lease. `id` 0 asks the machine to choose: the next unused number from a counter
   * in the replicated state, so every replica chooses the same one. The caller has checked
   * that a non-zero id is free.
   */
  grant(id: number, ttl: number): LeaseRecord {
    let chosen = id;
    if (chosen === 0) {
      while (this.leases.has(this.nextAuto)) this.nextAuto++;
      chosen = this.nextAuto++;
    }
    const lease: LeaseRecord = { id: chosen, ttl, grant: ++this.grants, keys: new Set() };
    this.leases.set(chosen, lease);
    return lease;
  }

  remove(id: number): void {
    this.leases.delete(id);
  }

  attach(id: number, key: string): void {
    this.leases.get(id)?.keys.add(key);
  }

  detach(id: number, key: string): void {
    this.leases.get(id)?.keys.delete(key);
  }

  snapshot(): LeaseTableSnapshot {
    return {
      leases: this.all().map((l) => [l.id, l.ttl, l.grant] as const),
      grants: this.grants,
      nextAuto: this.nextAuto,
    };
  }

  /** Restores the table; attachments come from the live keys (`attached` = [key, lease]). */
  restore(snap: LeaseTableSnapshot, attached: Iterable<readonly [string, number]>): void {
    this.leases = new Map(
      snap.leases.map(([id, ttl, grant]) => [id, { id, ttl, grant, keys: new Set<string>() }]),
    );
    this.grants = snap.grants;
    this.nextAuto = snap.nextAuto;
    for (const [key, lease] of attached) this.attach(lease, key);
  }
}

/**
 * The leader's deadlines. Times are the leader's local clock in ms (NodeEnv.now()); TTLs are in
 * seconds. Active only while its node leads (`term` ≥ 0).
 */
export class Lessor {
  private readonly deadlines = new Map<number, number>();
  /** Leases whose revoke this leader has proposed, with when (to retry a lost proposal). */
  private readonly revoking = new Map<number, number>();
  private leaderTerm = -1;

  get active(): boolean {
    return this.leaderTerm >= 0;
  }

  get term(): number {
    return this.leaderTerm;
  }

  get tracked(): number {
    return this.deadlines.size;
  }

  /**
   * On becoming leader: every lease's clock restarts at now + TTL + `extendMs` (etcd's
   * Promote extends by an election timeout, so clients of the old leader have time to find
   * this one and send keepalives).
   */
  promote(term: number, now: number, leases: readonly LeaseRecord[], extendMs: number): void {
    this.deadlines.clear();
    this.revoking.clear();
    this.leaderTerm = term;
    for (const l of leases) this.deadlines.set(l.id, now + l.ttl * 1000 + extendMs);
  }

  /** On losing leadership: forget every deadline (the next leader starts its own). */
  demote(): void {
    this.deadlines.clear();
    this.revoking.clear();
    this.leaderTerm = -1;
  }

  /** A grant applied while leading: its clock starts now. */
  track(id: number, ttl: number, now: number): void {
    if (!this.active) return;
    this.revoking.delete(id);
    this.deadlines.set(id, now + ttl * 1000);
  }

  /** A revoke applied: nothing left to time. */
  forget(id: number): void {
    this.deadlines.delete(id);
    this.revoking.delete(id);
  }

  /**
   * A keepalive: restart the clock and return the TTL, or 0 when the lease has already been
   * judged expired (its revoke is on its way through the log; etcd refuses the renewal too).
   */
  renew(id: number, ttl: number, now: number): number {
    if (this.revoking.has(id)) return 0;
    const deadline = this.deadlines.get(id);
    if (deadline !== undefined && deadline <= now) return 0;
    this.deadlines.set(id, now + ttl * 1000);
    return ttl;
  }

  /** Whole seconds left (etcd truncates), never negative; `ttl` for a lease not yet tracked. */
  remaining(id: number, ttl: number, now: number): number {
    if (this.revoking.has(id)) return 0;
    const deadline = this.deadlines.get(id);
    if (deadline === undefined) {
      this.deadlines.set(id, now + ttl * 1000);
      return ttl;
    }
    return Math.max(0, Math.floor((deadline - now) / 1000));
  }

  /**
   * Leases past their deadline whose revoke is not already in flight (or whose proposal has
   * been in flight longer than `retryMs`), earliest deadline first, at most `limit` of them.
   * Each is marked as being revoked.
   */
  expired(now: number, limit: number, retryMs: number): number[] {
    const due: [number, number][] = [];
    for (const [id, deadline] of this.deadlines) {
      if (deadline > now) continue;
      const since = this.revoking.get(id);
      if (since !== undefined && now - since < retryMs) continue;
      due.push([deadline, id]);
    }
    due.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const out = due.slice(0, limit).map(([, id]) => id);
    for (const id of out) this.revoking.set(id, now);
    return out;
  }

  /** A revoke proposal failed definitely: let the next check propose it again. */
  retry(id: number): void {
    this.revoking.delete(id);
  }
}
