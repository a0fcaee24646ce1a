/**
 * A follower's reassembly of the leader's proposal stream. ZooKeeper's peers talk over TCP,
 * which delivers in order; truthkit's network may reorder, so a proposal that arrives before
 * its predecessor is held, keyed by the zxid it follows, until that one is appended. The buffer
 * is bounded: past the bound an early proposal is dropped, and the leader's resend of what the
 * follower has not acked brings it again.
 */
import type { ZabMsg } from './messages.js';
import { zxidKey, type Zxid } from './zxid.js';

export type Proposal = Extract<ZabMsg, { type: 'proposal' }>;

export class ReorderBuffer {
  private readonly early = new Map<string, Proposal>();

  constructor(private readonly bound: number) {}

  /** Holds `p`, which follows a proposal not here yet (unless the buffer is full). */
  hold(p: Proposal): void {
    if (this.early.size < this.bound) this.early.set(zxidKey(p.prev), p);
  }

  /** The held proposal that follows `last`, removed from the buffer, or undefined. */
  next(last: Zxid): Proposal | undefined {
    const key = zxidKey(last);
    const p = this.early.get(key);
    if (p !== undefined) this.early.delete(key);
    return p;
  }

  clear(): void {
    this.early.clear();
  }

  get size(): number {
    return this.early.size;
  }
}
